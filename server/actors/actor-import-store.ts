import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { one, type Queryable, run, sql } from '../db/sql.js';
import { rebuildPaysOff } from '../gaps/gap-aggregates.js';
import { ReviewStatus } from './actor-enums.js';
import type { ImportPlan, Match } from './actor-import-plan.js';
import type { BuiltRow } from './actor-import-rows.js';
import { type ActorReach, ActorReview, NO_REACH } from './actor-review.js';
import type { ActorService } from './actor.service.js';
import { ActorRepository, type ReviewChange, type StoredRecord } from './actor.repository.js';

/**
 * Actors written (and their coverage resolved, or their review status settled) per statement.
 * Every statement that writes coverage keeps the gap aggregates up to date in its own triggers:
 * for 1,000 actors of a région (15 % of them on a whole département) that is ~300,000 commune
 * counts in one statement, 10–13 s on the load-test base, near the 15 s statement timeout.
 * A quarter of that stays well under it; the whole import is still one transaction.
 */
const WRITE_BATCH = 250;
/** From this many writes the sorts of the coverage and aggregates get more memory. */
const LARGE_WRITE = 1000;
/** From this many writes (and half the directory, see rebuildPaysOff), the gap aggregates are rebuilt once rather than kept up by triggers. */
const BULK_DEFER_ROWS = 3000;
/** Rows matched per statement. */
const MATCH_BATCH = 5000;

/**
 * Finds the stored actor each row designates, in one query per 5,000 rows: by identifiant, then
 * SIRET, RNA, FINESS, SIREN + name, then normalised name + commune (only when no identifier contradicts);
 * an active actor before an archived one with the same number.
 */
export async function matchExisting(m: Queryable, rows: readonly BuiltRow[]): Promise<Map<number, Match>> {
  const out = new Map<number, Match>();
  const keys = rows.map((b) => ({
    i: b.row,
    id: b.id,
    siret: b.input.siret ?? null,
    siren: b.input.siren ?? null,
    rna: b.input.rna ?? null,
    finess: b.input.finess ?? null,
    name: b.input.name ?? null,
    commune_code: b.input.communeCode ?? null,
  }));
  for (let i = 0; i < keys.length; i += MATCH_BATCH) {
    const found = await run<{ i: number; id: string; prio: number }>(
      m,
      sql`WITH r AS (SELECT r.*, public.f_norm(r.name) AS norm
                     FROM json_to_recordset(${JSON.stringify(keys.slice(i, i + MATCH_BATCH))}::json)
                       AS r(i int, id uuid, siret text, siren text, rna text, finess text, name text, commune_code text))
          SELECT DISTINCT ON (r.i) r.i, x.id, x.prio
          FROM r CROSS JOIN LATERAL (
            SELECT a.id, 1 AS prio, a.status, a.created_at FROM actor a WHERE r.id IS NOT NULL AND a.id = r.id
            UNION ALL SELECT a.id, 2, a.status, a.created_at FROM actor a WHERE r.siret IS NOT NULL AND a.siret = r.siret
            UNION ALL SELECT a.id, 3, a.status, a.created_at FROM actor a WHERE r.rna IS NOT NULL AND a.rna = r.rna
            UNION ALL SELECT a.id, 4, a.status, a.created_at FROM actor a WHERE r.finess IS NOT NULL AND a.finess = r.finess
            UNION ALL SELECT a.id, 5, a.status, a.created_at FROM actor a
              WHERE r.siren IS NOT NULL AND a.siren = r.siren AND a.search_name = r.norm
                AND (a.siret IS NULL OR r.siret IS NULL OR a.siret = r.siret)
            UNION ALL SELECT a.id, 6, a.status, a.created_at FROM actor a
              WHERE a.search_name = r.norm
                AND (a.commune_code = r.commune_code OR (a.commune_code IS NULL AND r.commune_code IS NULL))
                AND (a.siret IS NULL OR r.siret IS NULL OR a.siret = r.siret)
                AND (a.rna IS NULL OR r.rna IS NULL OR a.rna = r.rna)
                AND (a.finess IS NULL OR r.finess IS NULL OR a.finess = r.finess)
          ) x
          ORDER BY r.i, x.prio, x.status <> 'ACTIVE', x.created_at, x.id`,
    );
    for (const f of found) out.set(Number(f.i), { id: f.id, prio: Number(f.prio) as Match['prio'] });
  }
  return out;
}

/** The label point of communes (where an actor without coordinates is placed). */
export async function communePoints(m: Queryable, codes: readonly string[]): Promise<Map<string, [number, number]>> {
  const out = new Map<string, [number, number]>();
  if (codes.length === 0) return out;
  const rows = await run<{ code: string; lon: number; lat: number }>(
    m,
    sql`SELECT DISTINCT ON (code) code, ST_X(label_point) AS lon, ST_Y(label_point) AS lat FROM territory
        WHERE code = ANY(${codes}::text[]) AND level IN ('COMMUNE','ARRONDISSEMENT') AND label_point IS NOT NULL ORDER BY code, level`,
  );
  for (const r of rows) out.set(r.code, [Number(r.lon), Number(r.lat)]);
  return out;
}

export interface WriteOptions {
  author: AuthUser | null;
  /** From this many writes the gap aggregates are rebuilt once at the end (default: see rebuildPaysOff). */
  deferAggregatesFrom?: number;
  onWritten: (done: number, total: number) => void;
}

/**
 * Writes a plan inside the import's transaction: creations and updates in batches, then the same
 * moderation as one by one (createActor, updateActor), then, for a large import, one rebuild of
 * the gap aggregates instead of their upkeep by triggers statement by statement.
 */
export async function writePlan(
  m: Queryable,
  actors: ActorService,
  plan: ImportPlan,
  before: { bases: ReadonlyMap<string, StoredRecord>; reach: ReadonlyMap<string, ActorReach> },
  { author, deferAggregatesFrom, onWritten }: WriteOptions,
): Promise<{ aggregatesRebuilt: boolean }> {
  const writes = plan.create.length + plan.update.length;
  // A rebuild recomputes the whole directory (minutes for 100,000 actors): it pays off only when
  // the import rewrites a large share of it; otherwise the triggers' cost follows the import's size.
  const { has_rebuild: hasRebuild, actors: existing } = (await one<{ has_rebuild: boolean; actors: number }>(
    m,
    sql`SELECT to_regproc('gap_rebuild') IS NOT NULL AS has_rebuild, (SELECT count(*)::int FROM actor) AS actors`,
  ))!;
  const deferAggregates = hasRebuild && (deferAggregatesFrom !== undefined ? writes >= deferAggregatesFrom : rebuildPaysOff(writes, existing, BULK_DEFER_ROWS));
  if (deferAggregates) await run(m, sql`SET LOCAL app.gap_aggregates_deferred = 'on'`);
  // Coverage of a thousand actors sorts hundreds of thousands of rows: keep the sorts in memory.
  if (writes >= LARGE_WRITE) await run(m, sql`SET LOCAL work_mem = '64MB'`);
  let done = 0;
  // New actors of an administrator (or the command line) count at once; an analyst's start
  // pending (touching no aggregate) until the review rule is applied below.
  const knownReview = !author || author.role !== UserRole.ANALYST ? ActorReview.onCreate(author, NO_REACH) : null;
  const createdIds: string[] = [];
  for (let i = 0; i < plan.create.length; i += WRITE_BATCH) {
    const batch = plan.create.slice(i, i + WRITE_BATCH);
    createdIds.push(...(await actors.insertMany(m, batch, knownReview?.status ?? ReviewStatus.PENDING_REVIEW)));
    onWritten((done += batch.length), writes);
  }
  for (let i = 0; i < plan.update.length; i += WRITE_BATCH) {
    const batch = plan.update.slice(i, i + WRITE_BATCH);
    await actors.updateMany(m, batch, plan.coverageIds);
    onWritten((done += batch.length), writes);
  }
  if (author) {
    // Before any rebuild of the aggregates.
    const changed = new Set(plan.coverageIds);
    const reachAfter = await ActorRepository.reach(m, [...(knownReview ? [] : createdIds), ...plan.coverageIds]);
    const changes: ReviewChange[] = createdIds.map((id) => ({
      id,
      from: null,
      stored: knownReview?.status ?? ReviewStatus.PENDING_REVIEW,
      decision: knownReview ?? ActorReview.onCreate(author, reachAfter.get(id) ?? NO_REACH),
    }));
    for (const r of plan.update) {
      const reach = before.reach.get(r.id) ?? NO_REACH;
      const current = before.bases.get(r.id)!.reviewStatus;
      const decision = ActorReview.onUpdate(author, current, reach, changed.has(r.id) ? (reachAfter.get(r.id) ?? NO_REACH) : reach, r.id);
      if (decision) changes.push({ id: r.id, from: current, decision });
    }
    // Validating an analyst's new actors counts them in the aggregates (the actor trigger): as many per statement as written above.
    for (let i = 0; i < changes.length; i += WRITE_BATCH) await actors.settleReview(m, author.id, changes.slice(i, i + WRITE_BATCH));
  }
  if (deferAggregates) {
    // The rebuild is the directory's own upkeep, bounded by its size (seconds for a few thousand
    // actors): the request timeout, meant for runaway queries, does not apply to it.
    await run(m, sql`SET LOCAL statement_timeout = 0`);
    await run(m, sql`SELECT gap_rebuild()`);
    await run(m, sql`SET LOCAL app.gap_aggregates_deferred = 'off'`);
  }
  return { aggregatesRebuilt: deferAggregates };
}
