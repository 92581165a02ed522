import type { AuthUser } from '../auth/auth.types.js';
import { type Queryable, run, sql } from '../db/sql.js';
import { badInput } from '../graphql/errors.js';
import type { ChangeEntity, ChangeKind } from './change.entity.js';
import { visibleChangeSql } from './change.permissions.js';

/**
 * The change feed (migration 1764000000028): numbered at commit, in commit order, with no hole.
 *
 * Triggers on `actor` and `coalition` already record every creation, update, archiving, deletion
 * and merge (an UPDATE setting `actor.merged_into` writes ARCHIVED for the removed id and MERGED
 * for the kept id, `mergedId` = the removed one). `recordChange` is for an entry no row change
 * says: call it inside the transaction of the change (`db` = its EntityManager); the entry is
 * numbered when that transaction commits, and not at all if it rolls back. The same entry twice in
 * one transaction is written once.
 */
export async function recordChange(db: Queryable, change: { entity: ChangeEntity; id: string; kind: ChangeKind; mergedId?: string | null }): Promise<void> {
  await run(
    db,
    sql`WITH c AS (SELECT visibility, region_code FROM coalition WHERE id = ${change.id}::uuid AND ${change.entity} = 'COALITION'),
        added AS (
          INSERT INTO change_pending (entity, entity_id, kind, related_id, visibility, region_code)
          SELECT ${change.entity}, ${change.id}::uuid, ${change.kind}, ${change.mergedId ?? null}::uuid, (SELECT visibility FROM c), (SELECT region_code FROM c)
          RETURNING txid)
        INSERT INTO change_pending_tx (txid) SELECT DISTINCT txid FROM added ON CONFLICT DO NOTHING`,
  );
}

export interface ChangeRow {
  seq: string;
  entity: ChangeEntity;
  entity_id: string;
  kind: ChangeKind;
  related_id: string | null;
  changed_at: Date;
}

/** A cursor of the feed: the number of a change, or 0 before the first. */
const CURSOR = /^(0|[1-9][0-9]{0,17})$/;

const badCursor = () =>
  badInput(
    'Curseur du flux des changements invalide : donnez le « sequence » ou le « endCursor » d’une réponse précédente, ou rien pour tout reprendre',
    'after',
  );

/**
 * The visible changes after `after`, at most `first`, and where the reader stands: `head` is the
 * last number of the feed read in the same statement (so in the same snapshot) as the page. Every
 * number up to `head` is committed and seen by that snapshot (migration 028), so a reader who got
 * the whole of what it may see may move its cursor to `head`, past the entries it may not see,
 * without skipping one it may. The feed is read on the primary (it is not among the replica's root
 * fields, server/http/read-routing.ts): a lagging replica would answer a fresh cursor as unknown.
 */
export async function readChanges(
  db: Queryable,
  user: AuthUser | null,
  after: string | null,
  first: number,
): Promise<{ rows: ChangeRow[]; hasNextPage: boolean; endCursor: string; head: string }> {
  if (after !== null && !CURSOR.test(after)) throw badCursor();
  const from = after ?? '0';
  const rows = await run<ChangeRow & { head: string }>(
    db,
    sql`SELECT h.head, p.* FROM (SELECT coalesce(max(seq), 0)::text AS head FROM change_log) h
        LEFT JOIN LATERAL (
          SELECT l.seq::text AS seq, l.entity, l.entity_id, l.kind, l.related_id, l.changed_at
          FROM change_log l
          LEFT JOIN coalition c0 ON l.entity = 'COALITION' AND c0.id = l.entity_id
          CROSS JOIN LATERAL (SELECT l.entity_id AS id, coalesce(c0.visibility, l.visibility) AS visibility,
                                     coalesce(c0.region_code, l.region_code) AS region_code) c
          WHERE l.seq > ${from}::bigint AND ${visibleChangeSql(user)}
          ORDER BY l.seq
          LIMIT ${first + 1}) p ON true`,
  );
  const head = rows[0].head;
  if (BigInt(from) > BigInt(head)) throw badCursor();
  const page = rows.filter((r) => r.seq !== null);
  const hasNextPage = page.length > first;
  const shown = page.slice(0, first);
  return { rows: shown, hasNextPage, endCursor: hasNextPage ? (shown.at(-1)?.seq ?? from) : head, head };
}
