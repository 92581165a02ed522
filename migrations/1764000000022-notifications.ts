import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * In-app notifications. A partner waited on a coordinator who had to open each coalition to find
 * its pending requests, and nobody learned that a request, an invitation, a moderation decision or
 * a partnership to confirm concerned them. Each such event now writes one row per account to tell,
 * in the same transaction as the event (server/notifications/notify.ts): a refused or rolled-back
 * change tells nobody.
 *
 * - `kind` is a value of the NotificationKind enum, `payload` what the text of the notification
 *   needs (names and ids known to the recipient when it was written), kept as it was then.
 * - `channel` says how it is delivered: only `in_app` today, read in the page; e-mail can be added
 *   as another channel without changing the rows already written.
 * - `read_at` is set by the owner only (markNotificationsRead, markAllNotificationsRead).
 * - The index on (account_id, read_at, created_at) serves the unread count of the header (polled
 *   by every open page) and the list, newest first.
 */
export class Notifications1764000000022 implements MigrationInterface {
  name = 'Notifications1764000000022';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE notification (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        account_id uuid NOT NULL REFERENCES user_account(id) ON DELETE CASCADE,
        kind text NOT NULL CHECK (kind ~ '^[A-Z_]{1,60}$'),
        payload jsonb NOT NULL DEFAULT '{}'::jsonb,
        channel text NOT NULL DEFAULT 'in_app' CHECK (channel IN ('in_app','email')),
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        read_at timestamptz
      )`);
    await q.query(`CREATE INDEX notification_account_idx ON notification (account_id, read_at, created_at)`);
    await q.query(`CREATE INDEX notification_account_list_idx ON notification (account_id, created_at DESC, id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE notification`);
  }
}
