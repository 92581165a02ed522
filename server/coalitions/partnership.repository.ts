import type { DataSource } from 'typeorm';
import { one, type Queryable, run, type Sql, sql } from '../db/sql.js';
import { isUuid } from '../graphql/ids.js';
import type { PartnershipKind, PartnershipStatus } from './coalition-enums.js';
import { groupBy } from './coalition.repository.js';
import {
  PARTNERSHIP_COLUMNS,
  PARTNERSHIP_EVENT_COLUMNS,
  PARTNERSHIP_EVENT_TABLE,
  PARTNERSHIP_TABLE,
  type Partnership,
  type PartnershipEvent,
  toPartnership,
  toPartnershipEvent,
} from './partnership.entity.js';

/** A declaration, as written. */
export interface NewPartnership {
  actorAId: string;
  actorBId: string;
  kind: PartnershipKind;
  title: string | null;
  startDate: string | null;
  endDate: string | null;
  status: PartnershipStatus;
  createdBy: string;
}

/** A change of status and its event. */
export interface PartnershipMove {
  from: PartnershipStatus;
  to: PartnershipStatus;
  userId: string;
  reason: string | null;
}

const EVENT_WRITTEN = ['partnershipId', 'fromStatus', 'toStatus', 'userId', 'reason'] as const;

/** The same unordered pair of actors as ($a, $b), on partnership columns. */
const samePair = (a: string, b: string): Sql =>
  sql`least(actor_a, actor_b) = least(${a}::uuid, ${b}::uuid) AND greatest(actor_a, actor_b) = greatest(${a}::uuid, ${b}::uuid)`;

/**
 * Reads and writes of direct partnerships and their history, on the tagged-SQL helper with the
 * column maps of partnership.entity.ts. No rule here: callers check permissions and the transition
 * table first.
 */
export class PartnershipRepository {
  constructor(private readonly ds: DataSource) {}

  private async list(condition: Sql, tail: Sql = sql`ORDER BY p.start_date NULLS LAST, p.created_at, p.id`): Promise<Partnership[]> {
    return (await run(this.ds, sql`SELECT ${PARTNERSHIP_COLUMNS} FROM partnership p WHERE ${condition} ${tail}`)).map(toPartnership);
  }

  /** Every partnership of the given actors, all statuses (callers filter with `PartnershipRules.canSee`). */
  async partnershipsOf(actorIds: readonly string[]): Promise<Partnership[][]> {
    const valid = actorIds.filter(isUuid);
    const list = valid.length ? await this.list(sql`p.actor_a = ANY(${valid}::uuid[]) OR p.actor_b = ANY(${valid}::uuid[])`) : [];
    return actorIds.map((id) => list.filter((p) => p.actorAId === id || p.actorBId === id));
  }

  async byId(id: string): Promise<Partnership | null> {
    return (await this.list(sql`p.id = ${id}`, sql``))[0] ?? null;
  }

  /** Pending partnerships the condition keeps, oldest first (`limit` at most). */
  async pending(visible: Sql, limit: number): Promise<Partnership[]> {
    return this.list(sql`p.status = 'PENDING' AND ${visible}`, sql`ORDER BY p.created_at, p.id LIMIT ${limit}`);
  }

  /** Histories of several partnerships in one query, for the per-request loader. */
  async histories(ids: readonly string[]): Promise<PartnershipEvent[][]> {
    const rows = await run(
      this.ds,
      sql`SELECT ${PARTNERSHIP_EVENT_COLUMNS} FROM partnership_event e LEFT JOIN user_account u ON u.id = e.user_id
          WHERE e.partnership_id = ANY(${ids}::uuid[]) ORDER BY e.id`,
    );
    return groupBy(ids, rows, (r) => r.partnership_id as string).map((list) => list.map(toPartnershipEvent));
  }

  /** Ends the pair's active partnerships of this kind whose period is over (`move`), with their events. */
  async expire(m: Queryable, p: Pick<NewPartnership, 'actorAId' | 'actorBId' | 'kind'>, move: PartnershipMove): Promise<void> {
    await run(
      m,
      sql`WITH over AS (
            UPDATE partnership SET status = ${move.to}, ended_at = now(), updated_at = now()
            WHERE ${samePair(p.actorAId, p.actorBId)} AND kind = ${p.kind} AND status = ${move.from} AND end_date < current_date RETURNING id)
          INSERT INTO partnership_event (${PARTNERSHIP_EVENT_TABLE.list(EVENT_WRITTEN)})
          SELECT id, ${move.from}, ${move.to}, ${move.userId}::uuid, ${move.reason} FROM over`,
    );
  }

  /**
   * Inserts a declaration and its first event, or nothing when the partial unique index on the pair
   * and kind already holds an open one: of two concurrent declarations, the second waits for the
   * first and inserts nothing (ON CONFLICT, no database error). Returns the new id, or null.
   */
  async insert(m: Queryable, n: NewPartnership): Promise<string | null> {
    const keys = ['actorAId', 'actorBId', 'kind', 'title', 'startDate', 'endDate', 'status', 'createdBy'] as const;
    const row = await one<{ id: string }>(m, sql`INSERT INTO partnership ${PARTNERSHIP_TABLE.values(n, keys)} ON CONFLICT DO NOTHING RETURNING id`);
    if (!row) return null;
    const event = { partnershipId: row.id, fromStatus: null, toStatus: n.status, userId: n.createdBy };
    await run(m, sql`INSERT INTO partnership_event ${PARTNERSHIP_EVENT_TABLE.values(event, ['partnershipId', 'fromStatus', 'toStatus', 'userId'])}`);
    return row.id;
  }

  /**
   * Moves a partnership if it is still in `move.from`, and records the change: the conditional
   * UPDATE is the lock, so of two concurrent decisions exactly one succeeds. A confirmation records
   * who confirmed; an end fixes the end date (today at the latest, once started). False if the row
   * had already moved.
   */
  async move(m: Queryable, id: string, move: PartnershipMove): Promise<boolean> {
    const confirms = move.to === 'ACTIVE';
    const closes = move.to === 'ENDED' || move.to === 'DECLINED';
    const moved = await run(
      m,
      sql`UPDATE partnership SET status = ${move.to}, updated_at = now(),
            confirmed_at = ${confirms ? sql`now()` : sql`confirmed_at`},
            confirmed_by = ${confirms ? sql`${move.userId}::uuid` : sql`confirmed_by`},
            ended_at = ${closes ? sql`now()` : sql`ended_at`},
            end_date = ${
              move.to === 'ENDED'
                ? sql`CASE WHEN start_date IS NULL OR start_date <= current_date THEN least(coalesce(end_date, current_date), current_date) ELSE end_date END`
                : sql`end_date`
            }
          WHERE id = ${id} AND status = ${move.from} RETURNING id`,
    );
    if (moved.length === 0) return false;
    const event = { partnershipId: id, fromStatus: move.from, toStatus: move.to, userId: move.userId, reason: move.reason };
    await run(m, sql`INSERT INTO partnership_event ${PARTNERSHIP_EVENT_TABLE.values(event, EVENT_WRITTEN)}`);
    return true;
  }

  async status(m: Queryable, id: string): Promise<PartnershipStatus | null> {
    return (await one<{ status: PartnershipStatus }>(m, sql`SELECT status FROM partnership WHERE id = ${id}`))?.status ?? null;
  }
}
