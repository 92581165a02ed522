import { type Queryable, run, sql } from '../db/sql.js';
import { decodeCursor, encodeCursor, forwardPage, isInstantKey } from '../graphql/pagination.js';
import type { NotificationConnection, Notification } from './notification.entity.js';
import { describeNotification, readPayload } from './notification-text.js';
import { type NotificationKind } from './notify.js';

interface Row {
  id: string;
  kind: NotificationKind;
  payload: unknown;
  channel: string;
  created_at: Date;
  created_key: string;
  read_at: Date | null;
}

const toNotification = (r: Row): Notification => ({
  id: r.id,
  kind: r.kind,
  ...describeNotification(r.kind, readPayload(r.payload)),
  createdAt: new Date(r.created_at),
  readAt: r.read_at ? new Date(r.read_at) : null,
  channel: r.channel,
});

/**
 * The notifications of one account: every statement here is keyed by the account of the session
 * (`accountId`), never by an argument, so no path reads or marks another account's notifications.
 */
export const NotificationStore = {
  /** Newest first; keyset pagination on (created_at, id) with the project's cursor codec. */
  async list(db: Queryable, accountId: string, first: number, after: string | null | undefined): Promise<NotificationConnection> {
    const [afterAt, afterId] = after ? decodeCursor(after, isInstantKey) : [null, null];
    const rows =
      first === 0
        ? []
        : await run<Row>(
            db,
            sql`SELECT id, kind, payload, channel, created_at, read_at,
                  to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key
                FROM notification
                WHERE account_id = ${accountId} AND channel = 'in_app'
                  AND (${afterAt}::timestamptz IS NULL OR (created_at, id) < (${afterAt}::timestamptz, ${afterId}::uuid))
                ORDER BY created_at DESC, id DESC
                LIMIT ${first + 1}`,
          );
    const page = forwardPage(rows, first, (r) => encodeCursor(r.created_key, r.id), after);
    return {
      edges: page.edges.map(({ cursor, node }) => ({ cursor, node: toNotification(node) })),
      pageInfo: page.pageInfo,
      unreadCount: await NotificationStore.unreadCount(db, accountId),
    };
  },

  async unreadCount(db: Queryable, accountId: string): Promise<number> {
    const [{ n }] = await run<{ n: number }>(
      db,
      sql`SELECT count(*)::int AS n FROM notification WHERE account_id = ${accountId} AND read_at IS NULL AND channel = 'in_app'`,
    );
    return n;
  },

  /** Marks as read those of `ids` that belong to the account; others' ids change nothing. Returns how many changed. */
  async markRead(db: Queryable, accountId: string, ids: readonly string[] | null): Promise<number> {
    const rows = await run(
      db,
      sql`UPDATE notification SET read_at = clock_timestamp()
          WHERE account_id = ${accountId} AND read_at IS NULL AND (${ids}::uuid[] IS NULL OR id = ANY(${ids}::uuid[]))
          RETURNING id`,
    );
    return rows.length;
  },
};
