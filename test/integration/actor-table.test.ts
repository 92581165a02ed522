import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { ACTOR_TABLE, COPIED_FIELDS } from '../../server/actors/actor.entity.js';
import { useTestServer } from '../helpers/server.js';

const server = useTestServer();

describe('the actor column map', () => {
  it('should name every column of the actor table and no other', async () => {
    // The truth is the database's catalogue, not the map: a column added by a migration and
    // forgotten in the map (or a map entry with no column) fails here.
    const rows: { column_name: string }[] = await server().ds.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'actor'`,
    );
    const columns = new Set(rows.map((r) => r.column_name));
    const place = new Set(['lon', 'lat']);
    const mapped = ACTOR_TABLE.keys.map((k) => ACTOR_TABLE.columns[k].name).filter((name) => !place.has(name));
    expect(mapped.filter((name) => !columns.has(name))).toEqual([]);
    // The only columns outside the map are derived from the others by the database: generated
    // (migration 1764000000002), or kept by a trigger from verified_at and the freshness policy
    // (verified_recently, migration 1764000000020; nothing in the app writes or reads it but the gap counts).
    const generated = ['search_name', 'search_vector', 'verified_recently'];
    expect([...columns].filter((c) => !mapped.includes(c) && !generated.includes(c))).toEqual([]);
    // A write copies every mapped column but those the database keeps and the place (written as `location`).
    expect(COPIED_FIELDS.map((k) => ACTOR_TABLE.columns[k].name).sort()).toEqual(
      mapped
        .filter((c) => !['id', 'status', 'review_status', 'created_at', 'updated_at', 'verified_at', 'merged_into', 'version', 'location'].includes(c))
        .sort(),
    );
  });

  it('should map each column to a field of the GraphQL Actor type', async () => {
    const res = await server().gql(`{ __type(name: "Actor") { fields { name } } }`);
    const fields = new Set<string>(res.data.__type.fields.map((f: { name: string }) => f.name));
    const mapped = ACTOR_TABLE.keys.filter((k) => k !== 'location');
    expect(mapped.filter((k) => !fields.has(k))).toEqual([]);
  });
});
