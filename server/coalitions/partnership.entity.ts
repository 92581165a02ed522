import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Sql, sql, Table } from '../db/sql.js';
import { StatusChange } from '../graphql/fields.js';
import { PartnershipKind, PartnershipStatus } from './coalition-enums.js';
import { historyOf } from './history.js';

/**
 * A direct partnership between two actors (a signed convention…). `actorA` is the declaring side;
 * it is public only once `actorB`'s side has confirmed it (see `PartnershipRules`).
 */
@ObjectType({ description: 'Partenariat direct entre deux acteurs (convention signée…), déclaré par l’un, confirmé par l’autre' })
export class Partnership {
  @Field(() => ID) id: string;

  actorAId: string;
  actorBId: string;

  @Field(() => PartnershipKind) kind: PartnershipKind;
  @Field(() => PartnershipStatus) status: PartnershipStatus;
  @Field(() => String, { nullable: true, description: 'Intitulé' }) title: string | null;
  @Field(() => String, { nullable: true, description: 'Début (AAAA-MM-JJ)' }) startDate: string | null;
  @Field(() => String, { nullable: true, description: 'Fin (AAAA-MM-JJ)' }) endDate: string | null;
  @Field(() => Boolean, { description: 'Vrai si le partenariat est terminé (fin passée ou état ENDED)' }) ended: boolean;
  @Field(() => Date, { description: 'Date de la déclaration' }) declaredAt: Date;
  @Field(() => Date, { nullable: true, description: 'Date de la confirmation par l’autre acteur' }) confirmedAt: Date | null;
  @Field(() => Date, { nullable: true, description: 'Date à laquelle il a été terminé ou refusé' }) endedAt: Date | null;

  createdBy: string | null;
  /** Régions where either actor works (coverage_area), for the ARS analysts' rights. */
  regionCodes: string[];
}

/** The partnership table's column map, keyed by the fields of `Partnership` (and the two a read does not show). */
export const PARTNERSHIP_TABLE = new Table('partnership', {
  id: 'uuid',
  actorAId: { name: 'actor_a', type: 'uuid' },
  actorBId: { name: 'actor_b', type: 'uuid' },
  kind: 'text',
  status: 'text',
  title: 'text',
  startDate: 'date',
  endDate: 'date',
  declaredAt: { name: 'created_at', type: 'timestamptz' },
  confirmedAt: 'timestamptz',
  endedAt: 'timestamptz',
  createdBy: 'uuid',
  confirmedBy: 'uuid',
  updatedAt: 'timestamptz',
});

const READ_AS_IS = ['id', 'actorAId', 'actorBId', 'kind', 'status', 'title', 'declaredAt', 'confirmedAt', 'endedAt', 'createdBy'] as const;

/** The SELECT list of a partnership on alias `p`, read back by `toPartnership`, with the régions of its two actors. */
export const PARTNERSHIP_COLUMNS: Sql = sql`${PARTNERSHIP_TABLE.list(READ_AS_IS, 'p')},
  to_char(p.start_date, 'YYYY-MM-DD') AS start_date, to_char(p.end_date, 'YYYY-MM-DD') AS end_date,
  (p.status = 'ENDED' OR (p.end_date IS NOT NULL AND p.end_date < current_date)) AS ended,
  ARRAY(SELECT DISTINCT ca.code FROM coverage_area ca WHERE ca.level = 'REGION' AND ca.actor_id IN (p.actor_a, p.actor_b)) AS region_codes`;

export function toPartnership(row: Record<string, unknown>): Partnership {
  return Object.assign(new Partnership(), PARTNERSHIP_TABLE.fromRow(row, [...READ_AS_IS, 'startDate', 'endDate']), {
    ended: row.ended === true,
    regionCodes: (row.region_codes as string[] | null) ?? [],
  });
}

/** One change of a partnership, kept forever: who, when, from which status to which, and why. */
@ObjectType({ description: 'Changement d’un partenariat (historique)' })
export class PartnershipEvent extends StatusChange(PartnershipStatus, {
  fromStatus: 'État avant le changement (vide pour la déclaration)',
  toStatus: 'État après le changement',
}) {
  @Field(() => ID) id: string;
  @Field(() => String, { nullable: true, description: 'Motif donné' }) reason: string | null;
}

/** The partnership_event table's column map (`byName` is read from the user's account). */
export const PARTNERSHIP_EVENT_TABLE = new Table('partnership_event', {
  partnershipId: 'uuid',
  fromStatus: 'text',
  toStatus: 'text',
  userId: 'uuid',
  reason: 'text',
  at: 'timestamptz',
});

/** The SELECT list of an event on alias `e` (with `u`, its user_account, and its partnership for grouping), read back by `toPartnershipEvent`. */
export const { columns: PARTNERSHIP_EVENT_COLUMNS, toEntry: toPartnershipEvent } = historyOf(
  PARTNERSHIP_EVENT_TABLE,
  ['fromStatus', 'toStatus', 'reason', 'at'],
  PartnershipEvent,
  sql`, e.partnership_id`,
);
