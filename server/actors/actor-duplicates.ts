import { Field, Float, ObjectType } from 'type-graphql';
import { type Queryable, run, sql } from '../db/sql.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { isUuid } from '../graphql/ids.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage, isCursorText } from '../graphql/pagination.js';
import { Actor } from './actor.entity.js';
import { ActorRepository } from './actor.repository.js';

/** Why two active actors may be the same structure (migration 1764000000027 indexes each rule). */
export const DuplicateReason = defineEnum('DuplicateReason', 'Pourquoi deux acteurs sont peut-être la même structure', {
  SAME_SIREN: { label: 'Même SIREN', description: 'Même SIREN : la colonne siren, ou les 9 premiers chiffres du SIRET' },
  SIMILAR_NAME: { label: 'Noms proches, même commune', description: 'Noms proches (similarité de trigrammes d’au moins 0,6) et même commune d’adresse' },
  SAME_WEBSITE: { label: 'Même site web', description: 'Même site web, sans tenir compte du protocole, de « www. », de la casse ni de la barre finale' },
  SAME_EMAIL: { label: 'Même courriel', description: 'Même courriel, sans tenir compte de la casse' },
});
export type DuplicateReason = EnumValue<typeof DuplicateReason>;

/** Two names this close (pg_trgm `similarity` of the normalised names, 0 to 1) in the same commune make a pair. */
export const NAME_SIMILARITY = 0.6;

@ObjectType({ description: 'Deux acteurs actifs qui sont peut-être la même structure, et pourquoi' })
export class DuplicatePair {
  @Field(() => Actor, { description: 'Le premier des deux par ordre alphabétique' })
  a: Actor;

  @Field(() => Actor)
  b: Actor;

  @Field(() => [DuplicateReason], { description: 'Les règles qui les rapprochent (au moins une)' })
  reasons: DuplicateReason[];

  @Field(() => Float, { nullable: true, description: 'Similarité de leurs noms (0 à 1) quand elle les rapproche' })
  nameSimilarity: number | null;
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
 */
export async function readDuplicatePairs(
  db: Queryable,
  { region, first, after }: { region: string | null; first: number; after: string | null | undefined },
): Promise<DuplicatePairs> {
  const [afterKey, afterA] = after ? decodeCursor(after, isPairKey) : [null, null];
  const [afterName, afterB] = afterKey ?? [null, null];
  const rows = await run<{
    a_id: string | null;
    b_id: string | null;
    a_name: string | null;
    reasons: DuplicateReason[] | null;
    sim: number | null;
    total: number;
  }>(
    db,
    sql`WITH cand AS MATERIALIZED (
          SELECT a.id, a.search_name, a.commune_code, coalesce(a.siren, left(a.siret, 9)) AS siren_key,
            public.f_site_key(a.website) AS site_key, lower(btrim(a.email)) AS email_key
          FROM actor a
          WHERE a.status = 'ACTIVE' AND (${region}::text IS NULL OR EXISTS (
            SELECT 1 FROM coverage_area ca WHERE ca.actor_id = a.id AND ca.level = 'REGION' AND ca.code = ${region}))),
        found AS (
          SELECT x.id AS x, y.id AS y, ${DuplicateReason.SAME_SIREN}::text AS reason, NULL::real AS sim
            FROM cand x JOIN cand y ON y.siren_key = x.siren_key AND x.id < y.id
          UNION ALL
          SELECT x.id, y.id, ${DuplicateReason.SIMILAR_NAME}::text, similarity(x.search_name, y.search_name)
            FROM cand x JOIN cand y ON y.commune_code = x.commune_code AND x.id < y.id
            WHERE similarity(x.search_name, y.search_name) >= ${NAME_SIMILARITY}
          UNION ALL
          SELECT x.id, y.id, ${DuplicateReason.SAME_WEBSITE}::text, NULL FROM cand x JOIN cand y ON y.site_key = x.site_key AND x.id < y.id
          UNION ALL
          SELECT x.id, y.id, ${DuplicateReason.SAME_EMAIL}::text, NULL FROM cand x JOIN cand y ON y.email_key = x.email_key AND x.id < y.id),
        pairs AS (
          SELECT f.x, f.y, array_agg(DISTINCT f.reason) AS reasons, max(f.sim) AS sim FROM found f
          WHERE NOT EXISTS (SELECT 1 FROM actor_duplicate_dismissal d WHERE d.actor_a = f.x AND d.actor_b = f.y AND d.restored_at IS NULL)
          GROUP BY f.x, f.y),
        ordered AS MATERIALIZED (
          SELECT CASE WHEN k.x_first THEN p.x ELSE p.y END AS a_id, CASE WHEN k.x_first THEN p.y ELSE p.x END AS b_id,
            CASE WHEN k.x_first THEN cx.search_name ELSE cy.search_name END AS a_name, p.reasons, p.sim
          FROM pairs p JOIN cand cx ON cx.id = p.x JOIN cand cy ON cy.id = p.y
          CROSS JOIN LATERAL (SELECT (cx.search_name, cx.id) <= (cy.search_name, cy.id) AS x_first) k)
        SELECT page.*, t.total FROM (SELECT count(*)::int AS total FROM ordered) t
        LEFT JOIN LATERAL (
          SELECT o.a_id, o.b_id, o.a_name, o.reasons, o.sim FROM ordered o
          WHERE ${afterName}::text IS NULL OR (o.a_name, o.a_id, o.b_id) > (${afterName}::text, ${afterA}::uuid, ${afterB}::uuid)
          ORDER BY o.a_name, o.a_id, o.b_id LIMIT ${first + 1}) page ON true`,
  );
  const total = rows[0]?.total ?? 0;
  const found = rows.filter((r) => r.a_id !== null && first > 0);
  const actors = new Map((await ActorRepository.findMany(db, [...new Set(found.flatMap((r) => [r.a_id!, r.b_id!]))])).map((a) => [a.id, a]));
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
