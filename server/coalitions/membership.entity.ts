import { Field, Float, ID, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Actor } from '../actors/actor.entity.js';
import { Sector } from '../actors/actor-enums.js';
import { type Sql, sql, Table } from '../db/sql.js';
import { StatusChange } from '../graphql/fields.js';
import { MembershipRole, MembershipStatus, SectorCategory } from './coalition-enums.js';
import { historyOf } from './history.js';

/** An actor's place in a coalition: role and status, who asked and who decided, when. */
@ObjectType({ description: 'Adhésion d’un acteur à une coalition' })
export class Membership {
  @Field(() => ID) id: string;
  @Field(() => ID, { description: 'Identifiant de la coalition (toujours donné, même quand « coalition » est null)' }) coalitionId: string;

  actorId: string;

  @Field(() => MembershipRole) role: MembershipRole;
  @Field(() => MembershipStatus) status: MembershipStatus;
  @Field(() => Date, { description: 'Date de la demande ou de l’invitation' }) requestedAt: Date;
  @Field(() => Date, { nullable: true, description: 'Date de la décision (acceptation, refus)' }) decidedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'Date du départ' }) endedAt: Date | null;

  requestedBy: string | null;
  decidedBy: string | null;
  /** Display names (never emails) of who asked and who decided; the resolver shows them to coordinators and to the actor. */
  requestedByName: string | null;
  decidedByName: string | null;
}

/** The membership table's column map, keyed by the fields of `Membership`. */
export const MEMBERSHIP_TABLE = new Table('membership', {
  id: 'uuid',
  coalitionId: 'uuid',
  actorId: 'uuid',
  role: 'text',
  status: 'text',
  requestedAt: 'timestamptz',
  decidedAt: 'timestamptz',
  endedAt: 'timestamptz',
  requestedBy: 'uuid',
  decidedBy: 'uuid',
});

/** The SELECT list of a membership on alias `m`, with the display names of who asked and who decided. */
export const MEMBERSHIP_COLUMNS: Sql = sql`${MEMBERSHIP_TABLE.list(MEMBERSHIP_TABLE.keys, 'm')},
  (SELECT u.display_name FROM user_account u WHERE u.id = m.requested_by) AS requested_by_name,
  (SELECT u.display_name FROM user_account u WHERE u.id = m.decided_by) AS decided_by_name`;

export function toMembership(row: Record<string, unknown>): Membership {
  return Object.assign(new Membership(), MEMBERSHIP_TABLE.fromRow(row), {
    requestedByName: row.requested_by_name ?? null,
    decidedByName: row.decided_by_name ?? null,
  });
}

/** One change of a membership, kept forever (leaving and re-joining adds, never rewrites). */
@ObjectType({ description: 'Changement d’une adhésion (historique)' })
export class MembershipEvent extends StatusChange(MembershipStatus, { fromStatus: 'État avant le changement', toStatus: 'État après le changement' }) {
  @Field(() => ID) id: string;
  @Field(() => ID) membershipId: string;
  @Field(() => ID) actorId: string;
  @Field(() => MembershipRole) role: MembershipRole;
}

/** The membership_event table's column map (`byName` is read from the user's account). */
export const MEMBERSHIP_EVENT_TABLE = new Table('membership_event', {
  membershipId: 'uuid',
  coalitionId: 'uuid',
  actorId: 'uuid',
  fromStatus: 'text',
  toStatus: 'text',
  role: 'text',
  userId: 'uuid',
  at: 'timestamptz',
});

/** The SELECT list of an event on alias `e` (with `u`, its user_account), read back by `toMembershipEvent`. */
export const { columns: MEMBERSHIP_EVENT_COLUMNS, toEntry: toMembershipEvent } = historyOf(
  MEMBERSHIP_EVENT_TABLE,
  ['membershipId', 'actorId', 'fromStatus', 'toStatus', 'role', 'at'],
  MembershipEvent,
);

@ObjectType({ description: 'Membres d’une coalition ayant un même rôle' })
export class RoleGroup {
  @Field(() => MembershipRole) role: MembershipRole;
  @Field(() => String) label: string;
  @Field(() => [Membership]) members: Membership[];
}

@ObjectType({ description: 'Membres d’une coalition d’un même secteur' })
export class SectorGroup {
  @Field(() => Sector) sector: Sector;
  @Field(() => String) label: string;
  @Field(() => [Actor]) actors: Actor[];
}

@ObjectType({ description: 'Un secteur de l’intersectorialité, avec les membres qui l’apportent' })
export class SectorPresence {
  @Field(() => SectorCategory) category: SectorCategory;
  @Field(() => String) label: string;
  @Field(() => Int, { description: 'Nombre de membres actifs qui l’apportent' }) count: number;
}

@ObjectType({ description: 'Intersectorialité : secteurs présents et absents parmi les membres actifs' })
export class Intersectorality {
  @Field(() => [SectorPresence], { description: 'Secteurs présents' }) present: SectorPresence[];
  @Field(() => [SectorPresence], { description: 'Secteurs absents' }) missing: SectorPresence[];
  @Field(() => Float, { description: 'Part des 8 secteurs présents (0 à 1)' }) ratio: number;
}
