import { randomUUID } from 'node:crypto';
import { empty, isOneOf, type Queryable, run, runPrepared, shared, Sql, sql, together } from '../db/sql.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { TERRITORY_COLUMNS } from '../territories/territory.entity.js';
import type { ActorStatus, ReviewStatus } from './actor-enums.js';
import { type ActorReach, ActorReviewEvent, type ReviewDecision } from './actor-review.js';
import { ACTOR_TABLE, type Actor, actorColumns, COPIED_FIELDS, RECORD_FIELDS, type RecordField, toActor } from './actor.entity.js';
import { resolveCoverage } from './actor-coverage.js';

/** An actor checked and normalised, ready to be written: the fields of the column map, and its declared territories. */
export type ActorRecord = Pick<Actor, RecordField> & {
  id?: string;
  territories: { level: TerritoryLevel; code: string }[];
};

/** An actor record as stored, with what the writes check (version, status, review status). */
export type StoredRecord = ActorRecord & { id: string; version: number; status: ActorStatus; reviewStatus: ReviewStatus };

/**
 * A review status change to write: `from` null for a creation. `stored`: the status the row holds
 * now when it is not `from` (a creation, inserted with one): the row is updated only if it differs.
 */
export interface ReviewChange {
  id: string;
  from: ReviewStatus | null;
  stored?: ReviewStatus;
  decision: ReviewDecision;
}

/** The territory columns as a fragment (a constant of territory.entity.ts, written in the code). */
const territoryColumns = Sql.trusted(TERRITORY_COLUMNS);

/** A record's place: its coordinates, or else the label point of its commune. */
const PLACE_OF_R = sql`COALESCE(CASE WHEN r.lon IS NOT NULL THEN ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326) END,
  (SELECT t.label_point FROM territory t WHERE t.code = r.commune_code AND t.level IN ('COMMUNE','ARRONDISSEMENT') LIMIT 1))`;

const WRITTEN = ['id', ...RECORD_FIELDS] as const;

/** Records as one JSON parameter read as the relation `r` (see Table.recordset). */
const recordset = (records: readonly (ActorRecord & { id: string })[]) =>
  ACTOR_TABLE.recordset(
    records.map((r) => ACTOR_TABLE.toRecord(r, WRITTEN)),
    WRITTEN,
  );

/**
 * The SQL of the actor tables (actor, actor_territory, user_actor, actor_review_event), the one
 * place that writes it. Every function takes what runs the statement: the DataSource, or the
 * EntityManager of the caller's transaction.
 */
export const ActorRepository = {
  async findMany(db: Queryable, ids: readonly string[]): Promise<Actor[]> {
    const rows = await runPrepared(db, sql`SELECT ${actorColumns()} FROM actor a WHERE ${isOneOf(sql`a.id`, ids)}`);
    return rows.map(toActor);
  },

  /** The stored records of several actors, by id. */
  async records(db: Queryable, ids: readonly string[]): Promise<Map<string, StoredRecord>> {
    const out = new Map<string, StoredRecord>();
    if (ids.length === 0) return out;
    const rows = await runPrepared(db, sql`SELECT ${recordColumns} FROM actor a WHERE ${isOneOf(sql`a.id`, ids)}`);
    for (const row of rows.map(toStoredRecord)) out.set(row.id, row);
    return out;
  },

  /**
   * Inserts records (any number) with a review status, their declared territories and their
   * coverage; returns their ids in order. Ids are made here so that each record keeps its own,
   * whatever order the rows are written in.
   */
  async insert(db: Queryable, records: readonly ActorRecord[], review: ReviewStatus): Promise<string[]> {
    if (records.length === 0) return [];
    const rows = records.map((r) => ({ ...r, id: randomUUID() }));
    // The actors and their declared territories in one statement (their ids are new: nothing to
    // replace), then their coverage.
    await runPrepared(
      db,
      together([
        sql`INSERT INTO actor (id, ${ACTOR_TABLE.list(COPIED_FIELDS)}, location, review_status)
            SELECT r.id, ${ACTOR_TABLE.list(COPIED_FIELDS, 'r')}, ${PLACE_OF_R}, ${review}
            FROM ${recordset(rows)}`,
        territoryInsert(rows),
      ]),
    );
    const ids = rows.map((r) => r.id);
    await resolveCoverage(db, ids, { fresh: true });
    return ids;
  },

  /**
   * Overwrites records that carry their id (any number), bumping their version, and re-resolves
   * the coverage of those listed in `coverageIds` (territories, radius or place changed).
   */
  async update(
    db: Queryable,
    records: readonly (ActorRecord & { id: string })[],
    coverageIds: readonly string[],
    { returning = false }: { returning?: boolean } = {},
  ): Promise<Actor[]> {
    if (records.length === 0) return [];
    // `returning`: the actors as updated, from the same statement (what a change answers with).
    // The ids again beside the join (as in settleStatement): PostgreSQL estimates any json_to_recordset at 100 rows, and
    // on a directory of a few thousand actors it read all of them (a hash join) to update one:
    // 1.1 of 2.7 ms for one actor (load test base, EXPLAIN ANALYZE). By its key, whatever the size.
    const rows = await runPrepared(
      db,
      sql`UPDATE actor SET ${ACTOR_TABLE.assign(COPIED_FIELDS)}, location = ${PLACE_OF_R},
            updated_at = now(), version = actor.version + 1
          FROM ${recordset(records)} WHERE actor.id = r.id AND ${isOneOf(
            sql`actor.id`,
            records.map((r) => r.id),
          )}${returning ? sql` RETURNING ${actorColumns('actor')}` : empty}`,
    );
    const wanted = new Set(coverageIds);
    const changed = records.filter((r) => wanted.has(r.id));
    if (changed.length) {
      const ids = changed.map((r) => r.id);
      // The declared territories are replaced in the statement that removes the old coverage: the
      // ones no longer declared deleted, the new ones inserted (those kept are left as they are).
      const pairs = territoryPairs(changed);
      await resolveCoverage(db, ids, {
        alongside: [
          sql`DELETE FROM actor_territory t WHERE ${isOneOf(sql`t.actor_id`, ids)}
                AND NOT EXISTS (SELECT 1 FROM ${pairs} WHERE p.actor_id = t.actor_id AND p.level = t.level AND p.code = t.code)`,
          sql`INSERT INTO actor_territory (actor_id, level, code) SELECT p.actor_id, p.level, p.code FROM ${pairs} ON CONFLICT DO NOTHING`,
        ],
      });
    }
    return returning ? rows.map(toActor) : [];
  },

  /** Locks an actor's row until the end of the transaction: its version and review status, or undefined. */
  async lock(db: Queryable, id: string): Promise<{ version: number; reviewStatus: ReviewStatus } | undefined> {
    const [row] = await runPrepared<{ version: number; review_status: ReviewStatus }>(
      db,
      sql`SELECT version, review_status FROM actor WHERE id = ${id} FOR UPDATE`,
    );
    return row && { version: row.version, reviewStatus: row.review_status };
  },

  /** Locks several actors' rows, in a fixed order. */
  async lockMany(db: Queryable, ids: readonly string[]): Promise<void> {
    if (ids.length) await run(db, sql`SELECT 1 FROM actor WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`);
  },

  async setReviewStatus(db: Queryable, id: string, status: ReviewStatus): Promise<void> {
    await run(db, sql`UPDATE actor SET review_status = ${status} WHERE id = ${id}`);
  },

  /**
   * Someone responsible confirmed the record (confirmActorUpToDate, validateActor): its
   * verified_at, and nothing else (no version, no updated_at: the record itself did not change).
   */
  async markVerified(db: Queryable, id: string): Promise<void> {
    await run(db, sql`UPDATE actor SET verified_at = now() WHERE id = ${id}`);
  },

  async archive(db: Queryable, id: string): Promise<void> {
    await run(db, sql`UPDATE actor SET status = 'ARCHIVED', updated_at = now(), version = version + 1 WHERE id = ${id}`);
  },

  /** The statement by which the account represents the actor, sent with others (settleReview's `alongside`). */
  representation(userId: string, actorId: string): Sql {
    return sql`INSERT INTO user_actor (user_id, actor_id) VALUES (${userId}, ${actorId})`;
  },

  /** Actors in the directory. */
  async count(db: Queryable): Promise<number> {
    const [{ n }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM actor`);
    return n;
  },

  /**
   * Where each actor acts, from its stored coverage and declared territories (ActorReach): what
   * the permission and moderation rules read. Actors without coverage are absent.
   */
  async reach(db: Queryable, ids: readonly string[]): Promise<Map<string, ActorReach>> {
    const out = new Map<string, ActorReach>();
    if (ids.length === 0) return out;
    // One text whatever the number of ids (an array parameter): prepared once per connection, as a
    // change to an actor's territory asks for it again after writing the new coverage.
    const rows = await runPrepared<{ id: string } & ActorReach>(
      db,
      sql`SELECT k.id, ${reachColumns(Sql.trusted('k.id'))} FROM unnest(${ids}::uuid[]) AS k(id)`,
    );
    for (const r of rows) out.set(r.id, reachOf(r));
    return out;
  },

  /**
   * An actor's stored record and reach, its row locked until the transaction ends (FOR UPDATE), in
   * one statement: what a change to it starts from. Undefined if there is no such actor.
   */
  async lockRecord(db: Queryable, id: string): Promise<{ record: StoredRecord; reach: ActorReach } | undefined> {
    const [row] = await runPrepared(db, sql`SELECT ${recordColumns}, ${reachColumns(Sql.trusted('a.id'))} FROM actor a WHERE a.id = ${id} FOR UPDATE OF a`);
    return row && { record: toStoredRecord(row), reach: reachOf(row as unknown as ActorReach) };
  },

  /**
   * Sets review statuses and records each change in actor_review_event, in one statement whatever
   * their number, with the statements `alongside` (writes of other tables that read neither).
   */
  async settleReview(db: Queryable, userId: string | null, changes: readonly ReviewChange[], alongside: readonly Sql[] = []): Promise<void> {
    if (changes.length === 0 && alongside.length === 0) return;
    await run(db, settleStatement(changes, userId, alongside));
  },

  /**
   * settleReview, reading back in the same statement the actor `id` as the transaction leaves it
   * (what a creation answers with): one round trip fewer than a read after the commit.
   */
  async settleReviewAndRead(db: Queryable, userId: string | null, changes: readonly ReviewChange[], alongside: readonly Sql[], id: string): Promise<Actor> {
    const [row] = await runPrepared(db, settleStatement(changes, userId, alongside, sql`SELECT ${actorColumns()} FROM actor a WHERE a.id = ${id}`));
    const actor = toActor(row);
    // The statement reads the row as it stood before its own UPDATE: a status it moved is the decided one.
    const change = changes.find((c) => c.id === id);
    if (change) actor.reviewStatus = change.decision.status;
    return actor;
  },

  /** Review histories of several actors, oldest change first. */
  async reviewHistories(db: Queryable, ids: readonly string[]): Promise<ActorReviewEvent[][]> {
    const rows = await run<{
      actor_id: string;
      from_status: ReviewStatus | null;
      to_status: ReviewStatus;
      reason: string | null;
      at: string;
      display_name: string | null;
    }>(
      db,
      sql`SELECT e.actor_id, e.from_status, e.to_status, e.reason, e.at, u.display_name
          FROM actor_review_event e LEFT JOIN user_account u ON u.id = e.user_id
          WHERE e.actor_id = ANY(${ids}::uuid[]) ORDER BY e.actor_id, e.id`,
    );
    const by = new Map<string, ActorReviewEvent[]>();
    for (const r of rows) {
      const event = Object.assign(new ActorReviewEvent(), {
        fromStatus: r.from_status,
        toStatus: r.to_status,
        reason: r.reason,
        at: new Date(r.at),
        byName: r.display_name,
      });
      by.set(r.actor_id, [...(by.get(r.actor_id) ?? []), event]);
    }
    return ids.map((id) => by.get(id) ?? []);
  },
};

/**
 * Where the actor of `id` (a column) acts, as the columns regions, departements and broad: its
 * coverage's régions and départements, its declared régions and country (ActorReach).
 */
const reachColumns = (id: Sql) =>
  sql`ARRAY(SELECT ca.code FROM coverage_area ca WHERE ca.actor_id = ${id} AND ca.level = 'REGION' ORDER BY ca.code) AS regions,
      ARRAY(SELECT ca.code FROM coverage_area ca WHERE ca.actor_id = ${id} AND ca.level = 'DEPARTEMENT' ORDER BY ca.code) AS departements,
      ARRAY(SELECT t.level || ':' || t.code FROM actor_territory t WHERE t.actor_id = ${id} AND t.level IN ('REGION', 'PAYS') ORDER BY 1) AS broad`;
const reachOf = (row: ActorReach): ActorReach => ({ regions: row.regions, departements: row.departements, broad: row.broad });

/** The SELECT list of a stored record (table alias `a`): the actor and its declared territories. */
export const recordColumns = sql`${actorColumns()},
  COALESCE((SELECT json_agg(json_build_object('level', t.level, 'code', t.code) ORDER BY t.level, t.code)
            FROM actor_territory t WHERE t.actor_id = a.id), '[]') AS territories`;

/** A row selected with `recordColumns` → the record it stores (what an update starts from, what an export writes). */
export function toStoredRecord(row: Record<string, unknown>): StoredRecord {
  const actor = toActor(row);
  const fields = Object.fromEntries(RECORD_FIELDS.map((k) => [k, actor[k]])) as Pick<Actor, RecordField>;
  const territories = parseJson<ActorRecord['territories']>(row.territories);
  return { ...fields, territories, id: actor.id, version: actor.version, status: actor.status, reviewStatus: actor.reviewStatus };
}

/** A json column as pg returns it (parsed) or as PGlite may (text). */
export const parseJson = <T>(v: unknown): T => (typeof v === 'string' ? JSON.parse(v) : v) as T;

/** The territory columns for queries of other tables that join `territory t` (loaders, search). */
export { territoryColumns };

/** The declared territories of records as the relation `p(actor_id, level, code)`, their JSON sent once however often it is read. */
const territoryPairs = (records: readonly (ActorRecord & { id: string })[]) =>
  sql`json_to_recordset(${shared(JSON.stringify(records.flatMap((r) => r.territories.map((t) => ({ actor_id: r.id, level: t.level, code: t.code })))))}::json)
      AS p(actor_id uuid, level text, code text)`;

/** Inserts the declared territories of records just created (nothing when they declare none). */
function territoryInsert(records: readonly (ActorRecord & { id: string })[]): Sql {
  if (records.every((r) => r.territories.length === 0)) return empty;
  return sql`INSERT INTO actor_territory (actor_id, level, code) SELECT p.actor_id, p.level, p.code FROM ${territoryPairs(records)}`;
}

/**
 * The statement of settleReview: the `alongside` writes, the review statuses that move, the review
 * events, then `last` if given (which reads the snapshot the statement started from).
 */
function settleStatement(changes: readonly ReviewChange[], userId: string | null, alongside: readonly Sql[], last: Sql = empty): Sql {
  const moved = changes.filter((c) => (c.stored ?? c.from) !== c.decision.status);
  const rows = moved.map((c) => ({ id: c.id, to_status: c.decision.status }));
  const movedIds = moved.map((c) => c.id);
  const events = changes.map((c) => ({ id: c.id, from_status: c.from, to_status: c.decision.status, reason: c.decision.reason }));
  return together([
    ...alongside,
    moved.length
      ? sql`UPDATE actor a SET review_status = r.to_status
            FROM json_to_recordset(${JSON.stringify(rows)}::json) AS r(id uuid, to_status text)
            WHERE a.id = r.id AND ${isOneOf(sql`a.id`, movedIds)} AND a.review_status IS DISTINCT FROM r.to_status`
      : empty,
    changes.length
      ? sql`INSERT INTO actor_review_event (actor_id, from_status, to_status, user_id, reason)
            SELECT r.id, r.from_status, r.to_status, ${userId}, r.reason
            FROM json_to_recordset(${JSON.stringify(events)}::json) AS r(id uuid, from_status text, to_status text, reason text)`
      : empty,
    last,
  ]);
}
