import { Field } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Queryable, run, sql } from '../db/sql.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage, isInstantKey } from '../graphql/pagination.js';
import { ReviewStatus } from './actor-enums.js';
import { Actor, actorColumns, toActor } from './actor.entity.js';

@ObjectType({ description: 'Un acteur en attente de validation, avec ce qui l’a mis en attente' })
export class ReviewQueueEdge extends EdgeOf(Actor) {
  @Field(() => Date, { description: 'Depuis quand il attend : son dernier passage en attente de validation' }) pendingSince: Date;
  @Field(() => String, { nullable: true, description: 'Pourquoi il attend (création par un membre, territoire élargi…)' }) pendingReason: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Nom affiché du compte dont l’enregistrement l’a mis en attente (jamais son courriel) ; null pour un import du serveur',
  })
  submittedBy: string | null;
}

@ObjectType({ description: 'File de modération : les acteurs en attente de validation, les plus anciens d’abord' })
export class ReviewQueue extends ConnectionOf(ReviewQueueEdge, 'Nombre d’acteurs en attente dans ce périmètre') {}

/** An actor waiting for review and what put it there, as read by `readReviewQueue`. */
interface QueueRow {
  actor: Actor;
  since: Date;
  /** `since` to the microsecond, as the cursor keeps it (a Date keeps milliseconds only). */
  sinceKey: string;
  reason: string | null;
  byName: string | null;
}

/**
 * The active actors waiting for review (PENDING_REVIEW), in the order they started waiting, with
 * the event that put them there (actor_review_event). `region` (a code) keeps those that cover at
 * least one commune of it (coverage_area, as ActorPermissions.canReview reads it); null keeps all.
 * Keyset pagination on (pending since, id) with the project's cursor codec.
 */
export async function readReviewQueue(
  db: Queryable,
  { region, first, after, wantsTotal }: { region: string | null; first: number; after: string | null | undefined; wantsTotal: boolean },
): Promise<ReviewQueue> {
  const [afterSince, afterId] = after ? decodeCursor(after, isInstantKey) : [null, null];
  const inQueue = sql`a.review_status = ${ReviewStatus.PENDING_REVIEW} AND a.status = 'ACTIVE'
    AND (${region}::text IS NULL OR EXISTS (
      SELECT 1 FROM coverage_area ca WHERE ca.actor_id = a.id AND ca.level = 'REGION' AND ca.code = ${region}))`;
  const since = sql`coalesce(p.at, a.updated_at)`;
  const rows =
    first === 0
      ? []
      : await run<Record<string, unknown> & { since: string; since_key: string; reason: string | null; by_name: string | null }>(
          db,
          sql`SELECT ${actorColumns()}, ${since} AS since,
                to_char(${since} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS since_key, p.reason, u.display_name AS by_name
              FROM actor a
              LEFT JOIN LATERAL (
                SELECT e.at, e.reason, e.user_id FROM actor_review_event e
                WHERE e.actor_id = a.id AND e.to_status = ${ReviewStatus.PENDING_REVIEW} ORDER BY e.id DESC LIMIT 1) p ON true
              LEFT JOIN user_account u ON u.id = p.user_id
              WHERE ${inQueue}
                AND (${afterSince}::timestamptz IS NULL OR (${since}, a.id) > (${afterSince}::timestamptz, ${afterId}::uuid))
              ORDER BY ${since}, a.id
              LIMIT ${first + 1}`,
        );
  const queue: QueueRow[] = rows.map((r) => ({ actor: toActor(r), since: new Date(r.since), sinceKey: r.since_key, reason: r.reason, byName: r.by_name }));
  const { edges, pageInfo } = forwardPage(queue, first, (q) => encodeCursor(q.sinceKey, q.actor.id), after);
  let totalCount = 0;
  if (wantsTotal) {
    [{ n: totalCount }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM actor a WHERE ${inQueue}`);
  }
  return {
    edges: edges.map(({ cursor, node }) => ({ cursor, node: node.actor, pendingSince: node.since, pendingReason: node.reason, submittedBy: node.byName })),
    pageInfo,
    totalCount,
  };
}
