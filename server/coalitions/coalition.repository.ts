import type { DataSource } from 'typeorm';
import type { OpenMembership } from '../auth/auth.types.js';
import { isOneOf, one, onePrepared, type Queryable, run, runPrepared, type Sql, sql, where } from '../db/sql.js';
import { isUuid } from '../graphql/ids.js';
import { COALITION_COLUMNS, COALITION_TABLE, COALITION_WRITTEN, type Coalition, type CoalitionField, toCoalition } from './coalition.entity.js';
import type { MembershipRole, MembershipStatus } from './coalition-enums.js';
import { DECIDED_STATUSES } from './coalition.transitions.js';
import {
  MEMBERSHIP_COLUMNS,
  MEMBERSHIP_EVENT_COLUMNS,
  MEMBERSHIP_EVENT_TABLE,
  MEMBERSHIP_TABLE,
  type Membership,
  type MembershipEvent,
  toMembership,
  toMembershipEvent,
} from './membership.entity.js';

type Row = Record<string, unknown>;

/** Rows grouped by a key, in the order of `keys` (an empty list for a key without rows). */
export function groupBy<K, T>(keys: readonly K[], items: readonly T[], keyOf: (item: T) => K): T[][] {
  const by = new Map<K, T[]>();
  for (const item of items) by.set(keyOf(item), [...(by.get(keyOf(item)) ?? []), item]);
  return keys.map((k) => by.get(k) ?? []);
}

/** A new membership and its first event. */
export interface NewMembership {
  coalitionId: string;
  actorId: string;
  role: MembershipRole;
  status: MembershipStatus;
  userId: string;
}

/**
 * Reads and writes of coalitions and memberships, on the tagged-SQL helper with the column maps of
 * coalition.entity.ts and membership.entity.ts. No rule here: callers check permissions and the
 * transition table first.
 */
export class CoalitionRepository {
  constructor(private readonly ds: DataSource) {}

  // ---------------------------------------------------------------- coalitions

  async findMany(ids: readonly string[]): Promise<(Coalition | null)[]> {
    const valid = ids.filter(isUuid);
    const rows = valid.length ? await runPrepared(this.ds, sql`SELECT ${COALITION_COLUMNS} FROM coalition c WHERE ${isOneOf(sql`c.id`, valid)}`) : [];
    const by = new Map(rows.map((r) => [r.id as string, toCoalition(r)]));
    return ids.map((id) => by.get(id) ?? null);
  }

  async findOne(id: string): Promise<Coalition | null> {
    return (await this.findMany([id]))[0];
  }

  /** The coalition of a membership, found by the membership's id (read beside the membership itself). */
  async coalitionOfMembership(membershipId: string): Promise<Coalition | null> {
    const row = await onePrepared(
      this.ds,
      sql`SELECT ${COALITION_COLUMNS} FROM coalition c WHERE c.id = (SELECT coalition_id FROM membership WHERE id = ${membershipId})`,
    );
    return row ? toCoalition(row) : null;
  }

  async count(conditions: readonly Sql[]): Promise<number> {
    const row = await one<{ n: number }>(this.ds, sql`SELECT count(*)::int AS n FROM coalition c ${where(conditions)}`);
    return row?.n ?? 0;
  }

  /** `limit` coalitions by name then id, after the keyset `after` ([name, id]) when given. */
  async page(conditions: readonly Sql[], after: [string, string] | null, limit: number): Promise<Coalition[]> {
    const keyset = after ? [sql`(c.name, c.id) > (${after[0]}, ${after[1]}::uuid)`] : [];
    const rows = await run(
      this.ds,
      sql`SELECT ${COALITION_COLUMNS} FROM coalition c ${where([...conditions, ...keyset])} ORDER BY c.name, c.id LIMIT ${limit}`,
    );
    return rows.map(toCoalition);
  }

  async insert(m: Queryable, record: Partial<Record<CoalitionField, unknown>>): Promise<string> {
    const row = await one<{ id: string }>(m, sql`INSERT INTO coalition ${COALITION_TABLE.values(record, [...COALITION_WRITTEN, 'createdBy'])} RETURNING id`);
    return row!.id;
  }

  /** Writes the record if the coalition is still at `version`; false if someone changed it in between. */
  async update(id: string, version: number, record: Partial<Record<CoalitionField, unknown>>): Promise<boolean> {
    const rows = await run(
      this.ds,
      sql`UPDATE coalition SET ${COALITION_TABLE.set(record, COALITION_WRITTEN)}, updated_at = now(), version = version + 1
          WHERE id = ${id} AND version = ${version} RETURNING id`,
    );
    return rows.length > 0;
  }

  /** Serialises changes that count a coalition's members (the departure of its last pilot). */
  async lock(m: Queryable, coalitionId: string): Promise<void> {
    await run(m, sql`SELECT id FROM coalition WHERE id = ${coalitionId} FOR UPDATE`);
  }

  /** The id, name and status of an actor, to check it exists and is active. */
  async actorState(actorId: string): Promise<{ id: string; name: string; status: string } | undefined> {
    return onePrepared(this.ds, sql`SELECT id, name, status FROM actor WHERE id = ${actorId}`);
  }

  // ---------------------------------------------------------------- memberships

  private async memberships(condition: Sql, order: Sql = sql`m.requested_at, m.id`): Promise<Membership[]> {
    return (await runPrepared(this.ds, sql`SELECT ${MEMBERSHIP_COLUMNS} FROM membership m WHERE ${condition} ORDER BY ${order}`)).map(toMembership);
  }

  /** Every membership of the given coalitions, all statuses (callers filter by permission). */
  async membershipsOf(coalitionIds: readonly string[]): Promise<Membership[][]> {
    const list = await this.memberships(isOneOf(sql`m.coalition_id`, coalitionIds));
    return groupBy(coalitionIds, list, (m) => m.coalitionId);
  }

  /** Every membership of the given actors, all statuses, grouped by actor (callers filter by permission). */
  async membershipsByActors(actorIds: readonly string[]): Promise<Membership[][]> {
    const valid = actorIds.filter(isUuid);
    const list = valid.length ? await this.memberships(isOneOf(sql`m.actor_id`, valid)) : [];
    return groupBy(actorIds, list, (m) => m.actorId);
  }

  /** The memberships of the given actors, the latest first. */
  async membershipsOfActors(actorIds: readonly string[]): Promise<Membership[]> {
    if (actorIds.length === 0) return [];
    return this.memberships(sql`m.actor_id = ANY(${actorIds}::uuid[])`, sql`m.requested_at DESC, m.id`);
  }

  /** Pending requests (REQUESTED) of the coalitions aliased `c` that `managed` keeps, oldest first, `limit` at most. */
  async pendingRequests(managed: Sql, limit: number): Promise<Membership[]> {
    const inManaged = sql`m.status = 'REQUESTED' AND m.coalition_id IN (SELECT c.id FROM coalition c WHERE ${managed})`;
    return this.memberships(inManaged, sql`m.requested_at, m.id LIMIT ${limit}`);
  }

  async membershipById(id: string): Promise<Membership | null> {
    return (await this.memberships(sql`m.id = ${id}`))[0] ?? null;
  }

  /** The open memberships (requested, invited, active) of the given actors, as the session keeps them. */
  async openMemberships(actorIds: readonly string[]): Promise<OpenMembership[]> {
    return run<OpenMembership>(
      this.ds,
      sql`SELECT m.coalition_id AS "coalitionId", m.actor_id AS "actorId", m.role, m.status FROM membership m
          WHERE m.actor_id = ANY(${actorIds}::uuid[]) AND m.status IN ('REQUESTED','INVITED','ACTIVE')`,
    );
  }

  /** How many other active pilots the coalition has. */
  async otherActivePilots(m: Queryable, coalitionId: string, membershipId: string): Promise<number> {
    const row = await one<{ n: number }>(
      m,
      sql`SELECT count(*)::int AS n FROM membership WHERE coalition_id = ${coalitionId} AND role = 'PILOTE' AND status = 'ACTIVE' AND id <> ${membershipId}`,
    );
    return row?.n ?? 0;
  }

  /**
   * Inserts a membership and its first event, in one statement; a membership born ACTIVE (open
   * coalition, founder) records who decided.
   */
  async insertMembership(m: Queryable, n: NewMembership): Promise<string> {
    const decided = DECIDED_STATUSES.includes(n.status);
    const columns = MEMBERSHIP_TABLE.list(['coalitionId', 'actorId', 'role', 'status', 'requestedBy', 'decidedBy', 'decidedAt']);
    const row = await one<{ id: string }>(
      m,
      sql`WITH ms AS (
            INSERT INTO membership (${columns})
            VALUES (${n.coalitionId}, ${n.actorId}, ${n.role}, ${n.status}, ${n.userId}, ${decided ? n.userId : null}, ${decided ? sql`now()` : sql`NULL`})
            RETURNING id, coalition_id, actor_id, status, role)
          INSERT INTO membership_event (${MEMBERSHIP_EVENT_TABLE.list(EVENT_WRITTEN)})
          SELECT id, coalition_id, actor_id, NULL, status, role, ${n.userId}::uuid FROM ms
          RETURNING membership_id AS id`,
    );
    return row!.id;
  }

  /**
   * Moves a membership from one of `from` to `to` if it is still there, and records the change, in
   * one statement: the conditional UPDATE is the lock, so of two concurrent decisions exactly one
   * changes the row. Returns false (and writes nothing) when the row had already moved.
   */
  async moveMembership(m: Queryable, membership: Membership, from: readonly MembershipStatus[], to: MembershipStatus, userId: string): Promise<boolean> {
    const decided = DECIDED_STATUSES.includes(to);
    const moved = await run(
      m,
      sql`WITH moved AS (
            UPDATE membership SET status = ${to}, updated_at = now(),
              decided_by = ${decided ? sql`${userId}::uuid` : sql`decided_by`},
              decided_at = ${decided ? sql`now()` : sql`decided_at`},
              ended_at = ${to === 'LEFT' ? sql`now()` : sql`ended_at`}
            WHERE id = ${membership.id} AND status = ANY(${from}::text[]) RETURNING id, coalition_id, actor_id, role)
          INSERT INTO membership_event (${MEMBERSHIP_EVENT_TABLE.list(EVENT_WRITTEN)})
          SELECT id, coalition_id, actor_id, ${membership.status}, ${to}, role, ${userId}::uuid FROM moved
          RETURNING membership_id`,
    );
    return moved.length > 0;
  }

  async membershipStatus(m: Queryable, id: string): Promise<MembershipStatus | null> {
    return (await one<{ status: MembershipStatus }>(m, sql`SELECT status FROM membership WHERE id = ${id}`))?.status ?? null;
  }

  // ---------------------------------------------------------------- history

  /** The history of a coalition (every membership), or of one actor in it across leaves and re-joins. */
  async history(coalitionId: string, actorId: string | null): Promise<MembershipEvent[]> {
    const rows = await run(
      this.ds,
      sql`SELECT ${MEMBERSHIP_EVENT_COLUMNS} FROM membership_event e LEFT JOIN user_account u ON u.id = e.user_id
          ${where([sql`e.coalition_id = ${coalitionId}`, actorId ? sql`e.actor_id = ${actorId}` : sql``])} ORDER BY e.id`,
    );
    return rows.map(toMembershipEvent);
  }

  /** Histories of several (coalition, actor) pairs in one query, for the per-request loader. */
  async histories(keys: readonly { coalitionId: string; actorId: string }[]): Promise<MembershipEvent[][]> {
    const rows = await run<Row & { n: string | number }>(
      this.ds,
      sql`SELECT k.n, ${MEMBERSHIP_EVENT_COLUMNS}
          FROM unnest(${keys.map((k) => k.coalitionId)}::uuid[], ${keys.map((k) => k.actorId)}::uuid[]) WITH ORDINALITY AS k(coalition_id, actor_id, n)
          JOIN membership_event e ON e.coalition_id = k.coalition_id AND e.actor_id = k.actor_id
          LEFT JOIN user_account u ON u.id = e.user_id
          ORDER BY k.n, e.id`,
    );
    const grouped = groupBy(
      keys.map((_, i) => i + 1),
      rows,
      (r) => Number(r.n),
    );
    return grouped.map((list) => list.map(toMembershipEvent));
  }
}

const EVENT_WRITTEN = ['membershipId', 'coalitionId', 'actorId', 'fromStatus', 'toStatus', 'role', 'userId'] as const;
