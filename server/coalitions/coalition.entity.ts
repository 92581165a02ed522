import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Sql, sql, Table } from '../db/sql.js';
import { VersionField } from '../graphql/fields.js';
import { ConnectionOf, EdgeOf, ForwardPageInfo } from '../graphql/pagination.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { CoalitionKind, CoalitionVisibility, JoinPolicy } from './coalition-enums.js';

/**
 * A coalition of actors on a territory: thematic coalition, CLS, CLSM, ASV, cooperative,
 * partnership convention or regional alliance. Members-only coalitions are invisible to anyone
 * who is neither a member nor an ARS analyst or an admin.
 */
@ObjectType({ description: 'Coalition d’acteurs : coalition thématique, CLS, CLSM, ASV, coopérative, convention, alliance régionale' })
export class Coalition {
  @Field(() => ID) id: string;
  @Field(() => String, { description: 'Nom' }) name: string;
  @Field(() => CoalitionKind) kind: CoalitionKind;
  @Field(() => [String], { description: 'Codes des thèmes' }) themeCodes: string[];
  @Field(() => TerritoryLevel, { description: 'Niveau du territoire de la coalition' }) territoryLevel: TerritoryLevel;
  @Field(() => String, { description: 'Code officiel du territoire de la coalition' }) territoryCode: string;

  regionCode: string | null;

  @Field(() => String, { nullable: true, description: 'Début (AAAA-MM-JJ)' }) startDate: string | null;
  @Field(() => String, { nullable: true, description: 'Fin (AAAA-MM-JJ) ; vide si elle court toujours' }) endDate: string | null;
  @Field(() => Boolean, { description: 'Vrai si la période de la coalition est terminée' }) ended: boolean;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => CoalitionVisibility) visibility: CoalitionVisibility;
  @Field(() => JoinPolicy) joinPolicy: JoinPolicy;
  @Field(() => Boolean, { description: 'Vrai pour une coalition fictive de démonstration' }) isDemo: boolean;
  @Field(() => String, { nullable: true, description: 'Source de l’information' }) source: string | null;
  @Field(() => Date) createdAt: Date;
  @Field(() => Date) updatedAt: Date;

  @VersionField()
  version: number;
}

/** The coalition table's column map, keyed by the fields of `Coalition` (and the two a read does not show). */
export const COALITION_TABLE = new Table('coalition', {
  id: 'uuid',
  name: 'text',
  kind: 'text',
  themeCodes: { name: 'themes', type: 'text[]' },
  territoryLevel: 'text',
  territoryCode: 'text',
  regionCode: 'text',
  startDate: 'date',
  endDate: 'date',
  description: 'text',
  visibility: 'text',
  joinPolicy: 'text',
  isDemo: 'boolean',
  source: 'text',
  createdAt: 'timestamptz',
  updatedAt: 'timestamptz',
  version: 'int',
  /** 'LEVEL:CODE' of its territory and of every territory containing it (coalition-area.ts). */
  areaKeys: 'text[]',
  createdBy: 'uuid',
});

export type CoalitionField = (typeof COALITION_TABLE.keys)[number];

/** What a coalition's owner writes: on INSERT (with `createdBy`) and on UPDATE. */
export const COALITION_WRITTEN: readonly CoalitionField[] = [
  'name',
  'kind',
  'themeCodes',
  'territoryLevel',
  'territoryCode',
  'areaKeys',
  'regionCode',
  'startDate',
  'endDate',
  'description',
  'visibility',
  'joinPolicy',
];

const READ_AS_IS: readonly CoalitionField[] = [
  'id',
  'name',
  'kind',
  'themeCodes',
  'territoryLevel',
  'territoryCode',
  'regionCode',
  'description',
  'visibility',
  'joinPolicy',
  'isDemo',
  'source',
  'createdAt',
  'updatedAt',
  'version',
];

/** The SELECT list of a coalition on alias `c`, read back by `toCoalition`: dates as AAAA-MM-JJ, and whether it is over. */
export const COALITION_COLUMNS: Sql = sql`${COALITION_TABLE.list(READ_AS_IS, 'c')},
  to_char(c.start_date, 'YYYY-MM-DD') AS start_date, to_char(c.end_date, 'YYYY-MM-DD') AS end_date,
  (c.end_date IS NOT NULL AND c.end_date < current_date) AS ended`;

export function toCoalition(row: Record<string, unknown>): Coalition {
  return Object.assign(new Coalition(), COALITION_TABLE.fromRow(row, [...READ_AS_IS, 'startDate', 'endDate']), { ended: row.ended === true });
}

@ObjectType()
export class CoalitionEdge extends EdgeOf(Coalition) {}

@ObjectType({ description: 'Une page de coalitions' })
export class CoalitionConnection extends ConnectionOf(CoalitionEdge, undefined, ForwardPageInfo) {}
