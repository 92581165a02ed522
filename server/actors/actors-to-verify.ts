import { Field, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Queryable, run, sql } from '../db/sql.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage } from '../graphql/pagination.js';
import { Actor, actorColumns, toActor } from './actor.entity.js';

@ObjectType({ description: 'Une fiche à vérifier : périmée, et seule présence locale d’un thème dans des communes' })
export class ActorToVerifyEdge extends EdgeOf(Actor) {
  @Field(() => Int, { description: 'Communes (de la région demandée) où il est la seule présence locale d’au moins un de ses thèmes' })
  soleCommuneCount: number;

  @Field(() => Int, { description: 'Population de ces communes' }) solePopulation: number;
  @Field(() => [String], { description: 'Codes des thèmes dont il est la seule présence locale quelque part' }) soleThemeCodes: string[];
  @Field(() => [String], { description: 'Noms des plus peuplées de ces communes (5 au plus)' }) soleCommuneNames: string[];
}

@ObjectType({ description: 'Fiches à vérifier : les plus grandes populations d’abord' })
export class ActorsToVerify extends ConnectionOf(ActorToVerifyEdge) {}

const isPopulation = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

type Row = Record<string, unknown> & { commune_count: number; population: string | number; themes: string[]; names: string[]; total: number };

/**
 * The active, validated actors whose record is stale (never confirmed, or confirmed before
 * `staleBefore`) and that are the only local presence of one of their themes in at least one
 * commune (of `region`, or anywhere): if such a record is wrong, those communes are gaps the map
 * does not show. Read from the maintained aggregates: a `local:<theme>` count of 1 for the commune
 * (migration 1764000000018), then the one actor present there locally with that theme key.
 * Ordered by the population of those communes, largest first (cursor [population, id]).
 */
export async function readActorsToVerify(
  db: Queryable,
  { region, staleBefore, first, after }: { region: string | null; staleBefore: Date; first: number; after: string | null | undefined },
): Promise<ActorsToVerify> {
  const [afterPopulation, afterId] = after ? decodeCursor(after, isPopulation) : [null, null];
  const rows = await run<Row>(
    db,
    sql`WITH sole AS MATERIALIZED (
          SELECT ctc.code AS commune_code, substr(ctc.theme, 7) AS theme, c.population, c.name
          FROM coverage_theme_count ctc JOIN territory c ON c.level = 'COMMUNE' AND c.code = ctc.code
          WHERE ctc.level = 'COMMUNE' AND ctc.actor_count = 1 AND left(ctc.theme, 6) = 'local:'
            AND ctc.theme <> 'local:*' AND left(ctc.theme, 14) <> 'local:terrain:'
            AND (${region}::text IS NULL OR c.region_code = ${region})),
        who AS MATERIALIZED (
          SELECT cc.actor_id, s.commune_code, s.theme, s.population, s.name
          FROM sole s
          JOIN coverage_commune cc ON cc.commune_code = s.commune_code AND cc.local
          JOIN actor_theme_key k ON k.actor_id = cc.actor_id AND s.theme = ANY(k.keys)
          JOIN actor a ON a.id = cc.actor_id
          WHERE a.verified_at IS NULL OR a.verified_at < ${staleBefore}),
        -- Each actor's communes once, ranked by population: one pass, where a subquery per actor
        -- scanned every row of who for each (103 s for an administrator's whole France on the
        -- embedded database, which serves one query at a time: the app stood still meanwhile).
        ranked AS (
          SELECT d.*, row_number() OVER (PARTITION BY d.actor_id ORDER BY d.population DESC NULLS LAST, d.name, d.commune_code) AS rank
          FROM (SELECT DISTINCT actor_id, commune_code, population, name FROM who) d),
        per_actor AS (
          SELECT r.actor_id, count(*)::int AS commune_count, coalesce(sum(r.population), 0)::bigint AS population,
            array_agg(r.name ORDER BY r.population DESC NULLS LAST, r.name) FILTER (WHERE r.rank <= 5) AS names
          FROM ranked r GROUP BY r.actor_id),
        per_actor_themes AS (SELECT actor_id, array_agg(DISTINCT theme ORDER BY theme) AS themes FROM who GROUP BY actor_id)
        SELECT ${actorColumns()}, p.commune_count, p.population, t.themes, p.names, count(*) OVER ()::int AS total
        FROM per_actor p JOIN per_actor_themes t ON t.actor_id = p.actor_id JOIN actor a ON a.id = p.actor_id
        ORDER BY p.population DESC, a.id`,
  );
  // Keyset on (population DESC, id) over the few stale sole actors, in memory: the total counts them all.
  const total = rows[0]?.total ?? 0;
  const start =
    afterPopulation === null
      ? 0
      : rows.findIndex((r) => Number(r.population) < afterPopulation || (Number(r.population) === afterPopulation && (r.id as string) > afterId));
  const rest = start < 0 ? [] : rows.slice(start, start + first + 1);
  const items = rest.map((r) => ({
    actor: toActor(r),
    population: Number(r.population),
    communeCount: r.commune_count,
    themes: r.themes,
    names: r.names,
  }));
  const { edges, pageInfo } = forwardPage(items, first, (i) => encodeCursor(i.population, i.actor.id), after);
  return {
    edges: edges.map(({ cursor, node }) => ({
      cursor,
      node: node.actor,
      soleCommuneCount: node.communeCount,
      solePopulation: node.population,
      soleThemeCodes: node.themes,
      soleCommuneNames: node.names,
    })),
    pageInfo,
    totalCount: total,
  };
}
