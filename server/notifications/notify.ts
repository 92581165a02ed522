import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { type Queryable, run, sql } from '../db/sql.js';

/** What a notification tells; its French label is served by the `vocabulary` query. */
export const NotificationKind = defineEnum('NotificationKind');
export type NotificationKind = EnumValue<typeof NotificationKind>;

/** How a notification is delivered: in the page today; e-mail can be added as another channel. */
export const NOTIFICATION_CHANNELS = ['in_app', 'email'] as const;
export type NotificationChannel = (typeof NOTIFICATION_CHANNELS)[number];

export interface NotifyInput {
  /** The accounts to tell (duplicates are written once; an empty list writes nothing). */
  accountIds: readonly string[];
  kind: NotificationKind;
  /** What the text needs: names and ids the recipients may know, kept as they are now. */
  payload: Record<string, unknown>;
  /** The account that caused the event, never told of its own act. */
  exceptAccountId?: string | null;
  channel?: NotificationChannel;
}

/**
 * Writes one notification per account, through `db`: pass the transaction (EntityManager) of the
 * event so that a change rolled back or refused tells nobody. Returns how many were written.
 */
export async function notify(db: Queryable, input: NotifyInput): Promise<number> {
  if (!Object.hasOwn(NotificationKind, input.kind)) throw new Error(`notify: type de notification inconnu : ${String(input.kind).slice(0, 60)}`);
  const accounts = [...new Set(input.accountIds)].filter((id) => id !== input.exceptAccountId);
  if (accounts.length === 0) return 0;
  const rows = await run<{ id: string }>(
    db,
    sql`INSERT INTO notification (account_id, kind, payload, channel)
        SELECT a, ${input.kind}, ${JSON.stringify(input.payload)}::jsonb, ${input.channel ?? 'in_app'}
        FROM unnest(${accounts}::uuid[]) AS a
        RETURNING id`,
  );
  return rows.length;
}

/** The accounts that represent any of `actorIds` (user_actor). */
export async function representativesOf(db: Queryable, actorIds: readonly string[]): Promise<string[]> {
  if (actorIds.length === 0) return [];
  const rows = await run<{ user_id: string }>(db, sql`SELECT DISTINCT user_id FROM user_actor WHERE actor_id = ANY(${actorIds}::uuid[])`);
  return rows.map((r) => r.user_id);
}
