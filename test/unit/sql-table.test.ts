import { describe, expect, it } from 'vitest';
import { sql, Table } from '../../server/db/sql.js';

const t = new Table('coalition', {
  name: { name: 'name', type: 'text' },
  themeCodes: { name: 'themes', type: 'text[]' },
  createdAt: { name: 'created_at', type: 'timestamptz' },
  version: { name: 'version', type: 'int' },
});

describe('tagged SQL: a column map for single-row writes and reads', () => {
  it('should write an INSERT and an UPDATE from the map, every value a parameter', () => {
    const name = `x'); DROP TABLE coalition; --`;
    expect(sql`INSERT INTO ${t.table} ${t.values({ name, themeCodes: ['a'] }, ['name', 'themeCodes', 'version'])} RETURNING id`.toQuery()).toEqual({
      text: 'INSERT INTO coalition (name, themes, version) VALUES ($1, $2, $3) RETURNING id',
      values: [name, ['a'], null],
    });
    expect(sql`UPDATE coalition SET ${t.set({ name, version: 2 }, ['name', 'version'])} WHERE id = ${'i'}`.toQuery()).toEqual({
      text: 'UPDATE coalition SET name = $1, version = $2 WHERE id = $3',
      values: [name, 2, 'i'],
    });
  });

  it('should read a row back by field name, typed by the column', () => {
    const read = t.fromRow({ name: 'C', themes: null, created_at: '2026-12-03T09:00:00Z', version: '3' });
    expect(read).toEqual({ name: 'C', themeCodes: [], createdAt: new Date('2026-12-03T09:00:00Z'), version: 3 });
    expect(t.fromRow({ name: null }, ['name'])).toEqual({ name: null });
  });

  it('should name a column given by its type alone after its field in snake_case, exactly as the written-out form', () => {
    const short = new Table('membership', { coalitionId: 'uuid', requestedAt: 'timestamptz', themeCodes: { name: 'themes', type: 'text[]' } });
    const long = new Table('membership', {
      coalitionId: { name: 'coalition_id', type: 'uuid' },
      requestedAt: { name: 'requested_at', type: 'timestamptz' },
      themeCodes: { name: 'themes', type: 'text[]' },
    });
    expect(short.columns).toEqual(long.columns);
    expect(short.list(short.keys, 'm').toQuery().text).toBe('m.coalition_id, m.requested_at, m.themes');
    expect(() => new Table('membership', { 'bad-key': 'uuid' })).toThrow();
  });
});
