import { describe, expect, it } from 'vitest';
import { empty, ident, join, shared, sql, Table, together, where } from '../../server/db/sql.js';

describe('tagged SQL', () => {
  it('should send every interpolated value as a parameter, never as text', () => {
    const name = `x'; DROP TABLE actor; --`;
    expect(sql`SELECT id FROM actor WHERE name = ${name} AND version > ${3}`.toQuery()).toEqual({
      text: 'SELECT id FROM actor WHERE name = $1 AND version > $2',
      values: [name, 3],
    });
  });

  it('should renumber the parameters of nested fragments', () => {
    const inner = sql`a.kind = ${'ASSOCIATION'} OR a.kind = ${'COLLECTIVITE'}`;
    const q = sql`SELECT 1 WHERE a.id = ${'i'} AND (${inner}) AND a.version = ${2}`.toQuery();
    expect(q.text).toBe('SELECT 1 WHERE a.id = $1 AND (a.kind = $2 OR a.kind = $3) AND a.version = $4');
    expect(q.values).toEqual(['i', 'ASSOCIATION', 'COLLECTIVITE', 2]);
  });

  it('should join fragments, skip empty ones, and write no WHERE without condition', () => {
    expect(where([]).toQuery().text).toBe('');
    expect(where([empty, sql`x = ${1}`, sql`y = ${2}`]).toQuery()).toEqual({ text: 'WHERE x = $1 AND y = $2', values: [1, 2] });
    expect(join([sql`a`, sql`${'b'}`]).toQuery()).toEqual({ text: 'a, $1', values: ['b'] });
  });

  it('should send statements together as one, their parameters renumbered, and refuse one with its own WITH', () => {
    const q = together([sql`INSERT INTO a VALUES (${1})`, empty, sql`DELETE FROM b WHERE id = ${'x'}`, sql`INSERT INTO c VALUES (${2})`]).toQuery();
    expect(q).toEqual({ text: 'WITH w0 AS (INSERT INTO a VALUES ($1)), w1 AS (DELETE FROM b WHERE id = $2) INSERT INTO c VALUES ($3)', values: [1, 'x', 2] });
    expect(together([empty, sql`DELETE FROM b`]).toQuery().text).toBe('DELETE FROM b');
    expect(() => together([sql`INSERT INTO a VALUES (1)`, sql` with x AS (SELECT 1) INSERT INTO c SELECT * FROM x`])).toThrow(/WITH/);
    expect(() => together([empty])).toThrow();
  });

  it('should refuse an identifier outside its closed list', () => {
    const allowed = ['name', 'created_at'] as const;
    expect(sql`ORDER BY ${ident('name', allowed)}`.toQuery().text).toBe('ORDER BY name');
    expect(() => ident('name; DROP TABLE actor' as 'name', allowed)).toThrow();
  });

  it('should write reads and writes from one column map', () => {
    const t = new Table('actor', { name: { name: 'name', type: 'text' }, postalCode: { name: 'postal_code', type: 'text' } });
    expect(sql`SELECT ${t.list(t.keys, 'a')} FROM ${t.table} a`.toQuery().text).toBe('SELECT a.name, a.postal_code FROM actor a');
    const rows = [t.toRecord({ name: 'Ville', postalCode: '55100' })];
    const q = sql`UPDATE actor SET ${t.assign(t.keys)} FROM ${t.recordset(rows)} WHERE actor.id = ${'i'}`.toQuery();
    expect(q.text).toBe(
      'UPDATE actor SET name = r.name, postal_code = r.postal_code FROM json_to_recordset($1::json) AS r(name text, postal_code text) WHERE actor.id = $2',
    );
    expect(JSON.parse(q.values[0] as string)).toEqual([{ name: 'Ville', postal_code: '55100' }]);
    expect(() => t.col('name', 'a; DROP')).toThrow();
  });

  it('should send a shared value once and write the same placeholder wherever it is used', () => {
    const keys = shared(['addictions']);
    const inner = sql`k.theme = ANY(${keys}::text[])`;
    expect(sql`SELECT ${1} WHERE ${inner} OR x = ANY(${keys}::text[]) AND y = ${2}`.toQuery()).toEqual({
      text: 'SELECT $1 WHERE k.theme = ANY($2::text[]) OR x = ANY($2::text[]) AND y = $3',
      values: [1, ['addictions'], 2],
    });
    // Two shared values holding equal content stay two parameters.
    expect(sql`${shared(5)} ${shared(5)}`.toQuery()).toEqual({ text: '$1 $2', values: [5, 5] });
  });
});
