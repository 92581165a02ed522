import { Field, Float } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import type { DataSource } from 'typeorm';
import { run, shared, type Sql, sql } from '../db/sql.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { isUuid } from '../graphql/ids.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage, isCursorText } from '../graphql/pagination.js';
import { Actor } from './actor.entity.js';
import { ActorRepository } from './actor.repository.js';

/** Why two active actors may be the same structure (migration 1764000000027 indexes each rule). */
export const DuplicateReason = defineEnum('DuplicateReason');
export type DuplicateReason = EnumValue<typeof DuplicateReason>;

/** Two names this close (pg_trgm `similarity` of the normalised names, 0 to 1) in the same commune make a pair. */
export const NAME_SIMILARITY = 0.6;

@ObjectType({ description: 'Deux acteurs actifs qui sont peut-être la même structure, et pourquoi' })
export class DuplicatePair {
  @Field(() => Actor, { description: 'Le premier des deux par ordre alphabétique' }) a: Actor;
  @Field(() => Actor) b: Actor;
  @Field(() => [DuplicateReason], { description: 'Les règles qui les rapprochent (au moins une)' }) reasons: DuplicateReason[];
  @Field(() => Float, { nullable: true, description: 'Similarité de leurs noms (0 à 1) quand elle les rapproche' }) nameSimilarity: number | null;
}

@ObjectType({ description: 'Une paire de doublons possibles' })
export class DuplicatePairEdge extends EdgeOf(DuplicatePair) {}

@ObjectType({ description: 'Doublons possibles : paires d’acteurs actifs, par ordre alphabétique du premier' })
export class DuplicatePairs extends ConnectionOf(DuplicatePairEdge, 'Nombre de paires dans ce périmètre') {}

/** The cursor's sort value: the first actor's normalised name and the second's id (the first's id is the cursor's id). */
const isPairKey = (v: unknown): v is [string, string] => Array.isArray(v) && v.length === 2 && isCursorText(v[0]) && isUuid(v[1]);

/**
 * The pairs of active actors that may be the same structure: same SIREN (the `siren` column, else
 * the first 9 digits of the SIRET), close names (NAME_SIMILARITY) in the same commune, the same
 * website or the same e-mail. `region` (a code) keeps the pairs whose two actors both act in it
 * (coverage_area, as the moderation queue reads it); null keeps all. Each pair once, with every
 * reason that holds, ordered by the first actor's normalised name (then the ids): keyset pages.
 * A pair set aside (« Pas un doublon », actor-duplicate-dismissal.ts) is left out, whatever its reasons.
 *
 * Each rule joins `actor` to itself (not a materialised copy, which has no statistics): the exact
 * keys go through the partial indexes of migration 1764000000027, names are compared within a
 * commune by a hash join (a GiST index on (commune, name) probed once per actor measured 6 times
 * slower on the bench's 100,000 actors), and each pair carries both names, so nothing reads the
 * actors again before the page. Measured in the README (« Doublons et fusion »).
 */
export async function readDuplicatePairs(
  ds: DataSource,
  { region, first, after }: { region: string | null; first: number; after: string | null | undefined },
): Promise<DuplicatePairs> {
  const [afterKey, afterA] = after ? decodeCursor(after, isPairKey) : [null, null];
  const [afterName, afterB] = afterKey ?? [null, null];
  const r = shared(region);
  const inRegion = (id: Sql) => sql`(${r}::text IS NULL OR EXISTS (
    SELECT 1 FROM coverage_area ca WHERE ca.actor_id = ${id} AND ca.level = 'REGION' AND ca.code = ${r}))`;
  const both = sql`x.status = 'ACTIVE' AND y.status = 'ACTIVE' AND ${inRegion(sql`x.id`)} AND ${inRegion(sql`y.id`)}`;
  const statement = sql`WITH found AS (
          SELECT x.id AS x, y.id AS y, x.search_name AS xn, y.search_name AS yn, ${DuplicateReason.SAME_SIREN}::text AS reason, NULL::real AS sim
            FROM actor x JOIN actor y ON coalesce(y.siren, left(y.siret, 9)) = coalesce(x.siren, left(x.siret, 9)) AND x.id < y.id
            WHERE ${both} AND coalesce(x.siren, left(x.siret, 9)) IS NOT NULL
          UNION ALL
          SELECT x.id, y.id, x.search_name, y.search_name, ${DuplicateReason.SIMILAR_NAME}::text, similarity(x.search_name, y.search_name)
            FROM actor x JOIN actor y ON y.commune_code = x.commune_code AND x.id < y.id
            WHERE ${both} AND x.commune_code IS NOT NULL AND similarity(x.search_name, y.search_name) >= ${NAME_SIMILARITY}
          UNION ALL
          SELECT x.id, y.id, x.search_name, y.search_name, ${DuplicateReason.SAME_WEBSITE}::text, NULL
            FROM actor x JOIN actor y ON public.f_site_key(y.website) = public.f_site_key(x.website) AND x.id < y.id
            WHERE ${both} AND x.website IS NOT NULL AND y.website IS NOT NULL
          UNION ALL
          SELECT x.id, y.id, x.search_name, y.search_name, ${DuplicateReason.SAME_EMAIL}::text, NULL
            FROM actor x JOIN actor y ON lower(btrim(y.email)) = lower(btrim(x.email)) AND x.id < y.id
            WHERE ${both} AND x.email IS NOT NULL AND y.email IS NOT NULL),
        pairs AS (
          SELECT f.x, f.y, min(f.xn) AS xn, min(f.yn) AS yn, array_agg(DISTINCT f.reason) AS reasons, max(f.sim) AS sim FROM found f
          WHERE NOT EXISTS (SELECT 1 FROM actor_duplicate_dismissal d WHERE d.actor_a = f.x AND d.actor_b = f.y AND d.restored_at IS NULL)
          GROUP BY f.x, f.y),
        ordered AS MATERIALIZED (
          SELECT CASE WHEN k.x_first THEN p.x ELSE p.y END AS a_id, CASE WHEN k.x_first THEN p.y ELSE p.x END AS b_id,
            CASE WHEN k.x_first THEN p.xn ELSE p.yn END AS a_name, p.reasons, p.sim
          FROM pairs p CROSS JOIN LATERAL (SELECT (p.xn, p.x) <= (p.yn, p.y) AS x_first) k)
        SELECT page.*, t.total FROM (SELECT count(*)::int AS total FROM ordered) t
        LEFT JOIN LATERAL (
          SELECT o.a_id, o.b_id, o.a_name, o.reasons, o.sim FROM ordered o
          WHERE ${afterName}::text IS NULL OR (o.a_name, o.a_id, o.b_id) > (${afterName}::text, ${afterA}::uuid, ${afterB}::uuid)
          ORDER BY o.a_name, o.a_id, o.b_id LIMIT ${first + 1}) page ON true`;
  // A plan of a few hundred milliseconds whose cost estimate (pairs by key are guessed, not counted) crosses jit_above_cost:
  // PostgreSQL's JIT then spent 3.3 s compiling it on 100,000 actors (README, « Doublons et fusion »). Off for this statement.
  const rows = await ds.transaction(async (m) => {
    await run(m, sql`SET LOCAL jit = off`);
    return run<{
      a_id: string | null;
      b_id: string | null;
      a_name: string | null;
      reasons: DuplicateReason[] | null;
      sim: number | null;
      total: number;
    }>(m, statement);
  });
  const total = rows[0]?.total ?? 0;
  const found = rows.filter((r) => r.a_id !== null && first > 0);
  const actors = new Map((await ActorRepository.findMany(ds, [...new Set(found.flatMap((r) => [r.a_id!, r.b_id!]))])).map((a) => [a.id, a]));
  const pairs = found.map((r) => ({
    key: [r.a_name!, r.b_id!] as const,
    pair: Object.assign(new DuplicatePair(), {
      a: actors.get(r.a_id!)!,
      b: actors.get(r.b_id!)!,
      reasons: [...r.reasons!].sort((x, y) => Object.keys(DuplicateReason).indexOf(x) - Object.keys(DuplicateReason).indexOf(y)),
      nameSimilarity: r.sim === null ? null : Math.round(Number(r.sim) * 100) / 100,
    }),
  }));
  const { edges, pageInfo } = forwardPage(pairs, first, (p) => encodeCursor(p.key, p.pair.a.id), after);
  return { edges: edges.map(({ cursor, node }) => ({ cursor, node: node.pair })), pageInfo, totalCount: total };
}
