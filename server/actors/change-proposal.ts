import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Queryable, run, sql } from '../db/sql.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { FIELD_LABELS } from '../graphql/field-labels.js';
import { ConnectionOf, decodeCursor, EdgeOf, encodeCursor, forwardPage, isInstantKey } from '../graphql/pagination.js';
import type { TerritoryLevel } from '../territories/territory-level.js';
import { Actor, actorColumns, toActor } from './actor.entity.js';
import type { ActorChangeInput } from './actor.inputs.js';

/**
 * « Proposer une modification »: what a visitor or a member proposes for an actor's record, kept in
 * actor_change_proposal (migration 1764000000023) until an ARS analyst of a région the actor covers
 * or an administrator accepts it (the change then goes through ActorService.applyChange, as
 * updateActor) or rejects it. The rules are in change-proposal.service.ts.
 */

export const ProposalStatus = defineEnum('ProposalStatus');
export type ProposalStatus = EnumValue<typeof ProposalStatus>;

/**
 * The fields a proposal may change, with their French label: those of ActorChangeInput, and only
 * them (a stored proposal is read back through this list too). Status, review status,
 * demonstration flag, identifiers, name, place and radius are not proposable.
 */
export const PROPOSABLE = {
  address: FIELD_LABELS.address,
  postalCode: FIELD_LABELS.postalCode,
  communeCode: 'Commune de l’adresse (code INSEE)',
  email: FIELD_LABELS.email,
  phone: FIELD_LABELS.phone,
  website: FIELD_LABELS.website,
  openingHours: FIELD_LABELS.openingHours,
  description: FIELD_LABELS.description,
  audiences: FIELD_LABELS.audiences,
  territories: FIELD_LABELS.territories,
} as const satisfies Partial<Record<keyof ActorChangeInput, string>>;

export type ProposableField = keyof typeof PROPOSABLE;
export const PROPOSABLE_FIELDS = Object.keys(PROPOSABLE) as ProposableField[];

/** The proposed values as stored (the given fields of ActorChangeInput, null to erase one). */
export type ProposedValues = Partial<{
  [K in ProposableField]: K extends 'audiences' ? string[] : K extends 'territories' ? { level: TerritoryLevel; code: string }[] : string | null;
}>;

/** Only the proposable fields that were given, whatever else the object holds. */
export function proposedValues(input: object): ProposedValues {
  const source = input as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of PROPOSABLE_FIELDS) {
    const v = source[k];
    if (v === undefined) continue;
    out[k] = k === 'territories' && Array.isArray(v) ? v.map((t: { level: string; code: string }) => ({ level: t.level, code: t.code })) : v;
  }
  return out;
}

@ObjectType({ description: 'Un champ dont la modification est proposée : la valeur actuelle et la valeur proposée, en clair' })
export class ProposedChange {
  @Field(() => String, { description: 'Nom du champ (address, openingHours…)' }) field: string;
  @Field(() => String, { description: 'Libellé du champ' }) label: string;
  @Field(() => String, { nullable: true, description: 'Valeur actuelle de la fiche ; null : vide' }) current: string | null;
  @Field(() => String, { nullable: true, description: 'Valeur proposée ; null : effacer' }) proposed: string | null;
}

@ObjectType({
  description:
    'Proposition de modification d’un acteur, faite depuis sa page par un visiteur ou un compte : elle ne change la fiche ' +
    'qu’une fois acceptée par un analyste ARS d’une région où il agit ou un administrateur',
})
export class ActorChangeProposal {
  @Field(() => ID) id: string;
  @Field(() => Actor, { description: 'L’acteur, tel qu’il est enregistré maintenant' }) actor: Actor;

  /** The proposed values (the field `changes` shows them beside the current ones). */
  values: ProposedValues;

  @Field(() => String, { nullable: true, description: 'Message de l’auteur de la proposition' }) message: string | null;

  @Field(() => String, { nullable: true, description: 'Courriel laissé par l’auteur pour être recontacté (visible des seuls modérateurs)' })
  contactEmail: string | null;

  @Field(() => String, { nullable: true, description: 'Nom affiché du compte qui l’a faite ; null pour un visiteur' }) submittedBy: string | null;
  @Field(() => ProposalStatus) status: ProposalStatus;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) decidedAt: Date | null;
  @Field(() => String, { nullable: true, description: 'Motif de l’acceptation ou du refus' }) decisionReason: string | null;

  /** `createdAt` to the microsecond, as the cursor keeps it. */
  createdKey: string;
}

@ObjectType({ description: 'Une proposition de modification en attente' })
export class ActorChangeProposalEdge extends EdgeOf(ActorChangeProposal) {}

@ObjectType({ description: 'Propositions de modification en attente, les plus anciennes d’abord' })
export class ActorChangeProposalConnection extends ConnectionOf(ActorChangeProposalEdge, 'Nombre de propositions en attente dans ce périmètre') {}

type ProposalRow = Record<string, unknown> & {
  proposal_id: string;
  changes: ProposedValues;
  message: string | null;
  contact_email: string | null;
  by_name: string | null;
  proposal_status: ProposalStatus;
  proposal_created_at: Date;
  created_key: string;
  decided_at: Date | null;
  decision_reason: string | null;
};

const PROPOSAL_COLUMNS = sql`p.id AS proposal_id, p.changes, p.message, p.contact_email, u.display_name AS by_name,
  p.status AS proposal_status, p.created_at AS proposal_created_at, p.decided_at, p.decision_reason,
  to_char(p.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_key, ${actorColumns()}`;
const PROPOSAL_FROM = sql`actor_change_proposal p JOIN actor a ON a.id = p.actor_id LEFT JOIN user_account u ON u.id = p.author_id`;

const toProposal = (r: ProposalRow): ActorChangeProposal =>
  Object.assign(new ActorChangeProposal(), {
    id: r.proposal_id,
    actor: toActor(r),
    values: proposedValues(r.changes ?? {}),
    message: r.message,
    contactEmail: r.contact_email,
    submittedBy: r.by_name,
    status: r.proposal_status,
    createdAt: new Date(r.proposal_created_at),
    decidedAt: r.decided_at ? new Date(r.decided_at) : null,
    decisionReason: r.decision_reason,
    createdKey: r.created_key,
  });

/** The SQL of actor_change_proposal, the one place that writes it. */
export const ProposalRepository = {
  async insert(
    db: Queryable,
    p: { actorId: string; values: ProposedValues; message: string | null; contactEmail: string | null; authorId: string | null },
  ): Promise<string> {
    const [row] = await run<{ id: string }>(
      db,
      sql`INSERT INTO actor_change_proposal (actor_id, changes, message, contact_email, author_id)
          VALUES (${p.actorId}, ${JSON.stringify(p.values)}::jsonb, ${p.message}, ${p.contactEmail}, ${p.authorId}) RETURNING id`,
    );
    return row.id;
  },

  async pendingCount(db: Queryable, actorId: string): Promise<number> {
    const [{ n }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM actor_change_proposal WHERE actor_id = ${actorId} AND status = 'PENDING'`);
    return n;
  },

  /** A proposal locked until the end of the transaction: its actor and status, or undefined. */
  async lock(db: Queryable, id: string): Promise<{ actorId: string; status: ProposalStatus; values: ProposedValues } | undefined> {
    const [row] = await run<{ actor_id: string; status: ProposalStatus; changes: ProposedValues }>(
      db,
      sql`SELECT actor_id, status, changes FROM actor_change_proposal WHERE id = ${id} FOR UPDATE`,
    );
    return row && { actorId: row.actor_id, status: row.status, values: proposedValues(row.changes ?? {}) };
  },

  async decide(db: Queryable, id: string, status: ProposalStatus, userId: string, reason: string | null): Promise<void> {
    await run(
      db,
      sql`UPDATE actor_change_proposal SET status = ${status}, decided_at = clock_timestamp(), decided_by = ${userId}, decision_reason = ${reason}
          WHERE id = ${id}`,
    );
  },

  async get(db: Queryable, id: string): Promise<ActorChangeProposal | undefined> {
    const [row] = await run<ProposalRow>(db, sql`SELECT ${PROPOSAL_COLUMNS} FROM ${PROPOSAL_FROM} WHERE p.id = ${id}`);
    return row && toProposal(row);
  },

  /** The pending proposals of several actors, oldest first, by actor id. */
  async pendingOf(db: Queryable, actorIds: readonly string[]): Promise<ActorChangeProposal[][]> {
    const rows = await run<ProposalRow>(
      db,
      sql`SELECT ${PROPOSAL_COLUMNS} FROM ${PROPOSAL_FROM}
          WHERE p.actor_id = ANY(${actorIds}::uuid[]) AND p.status = 'PENDING' ORDER BY p.created_at, p.id`,
    );
    const by = new Map<string, ActorChangeProposal[]>();
    for (const p of rows.map(toProposal)) by.set(p.actor.id, [...(by.get(p.actor.id) ?? []), p]);
    return actorIds.map((id) => by.get(id) ?? []);
  },

  /**
   * The pending proposals of the actors that cover at least one commune of `region` (a code, as
   * ActorPermissions.canReview reads coverage_area; null: all), oldest first, keyset on (created_at, id).
   */
  async pendingPage(
    db: Queryable,
    { region, first, after, wantsTotal }: { region: string | null; first: number; after: string | null | undefined; wantsTotal: boolean },
  ): Promise<ActorChangeProposalConnection> {
    const [afterAt, afterId] = after ? decodeCursor(after, isInstantKey) : [null, null];
    const inScope = sql`p.status = 'PENDING' AND (${region}::text IS NULL OR EXISTS (
      SELECT 1 FROM coverage_area ca WHERE ca.actor_id = p.actor_id AND ca.level = 'REGION' AND ca.code = ${region}))`;
    const rows =
      first === 0
        ? []
        : await run<ProposalRow>(
            db,
            sql`SELECT ${PROPOSAL_COLUMNS} FROM ${PROPOSAL_FROM}
                WHERE ${inScope} AND (${afterAt}::timestamptz IS NULL OR (p.created_at, p.id) > (${afterAt}::timestamptz, ${afterId}::uuid))
                ORDER BY p.created_at, p.id LIMIT ${first + 1}`,
          );
    const page = forwardPage(rows.map(toProposal), first, (p) => encodeCursor(p.createdKey, p.id), after);
    let totalCount = 0;
    if (wantsTotal) [{ n: totalCount }] = await run<{ n: number }>(db, sql`SELECT count(*)::int AS n FROM actor_change_proposal p WHERE ${inScope}`);
    return { ...page, totalCount };
  },
};
