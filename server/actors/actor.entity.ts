import { Field, Float, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type Sql, sql, Table } from '../db/sql.js';
import { VersionField } from '../graphql/fields.js';
import { ActorKind, ActorStatus, ReviewStatus, Sector } from './actor-enums.js';

/**
 * An organisation that acts in prevention: association, CPTS, collectivité, state service,
 * establishment or coordination scheme. Its intervention territory is resolved at write time
 * into per-commune coverage (tables coverage_commune and coverage_area).
 */
@ObjectType({ description: 'Acteur de prévention : association, CPTS, collectivité, service de l’État, établissement ou dispositif' })
export class Actor {
  @Field(() => ID) id: string;
  @Field(() => String, { description: 'Nom' }) name: string;
  @Field(() => ActorKind, { description: 'Nature' }) kind: ActorKind;
  @Field(() => Sector, { description: 'Secteur' }) sector: Sector;
  @Field(() => String, { nullable: true, description: 'SIREN (9 chiffres)' }) siren: string | null;
  @Field(() => String, { nullable: true, description: 'SIRET (14 chiffres)' }) siret: string | null;
  @Field(() => String, { nullable: true, description: 'Numéro RNA des associations (W + 9 caractères)' }) rna: string | null;
  @Field(() => String, { nullable: true, description: 'Numéro FINESS des établissements' }) finess: string | null;
  @Field(() => String, { nullable: true, description: 'Adresse postale' }) address: string | null;
  @Field(() => String, { nullable: true }) postalCode: string | null;
  @Field(() => String, { nullable: true, description: 'Code INSEE de la commune de l’adresse' }) communeCode: string | null;
  @Field(() => Float, { nullable: true, description: 'Longitude WGS84 du lieu' }) lon: number | null;
  @Field(() => Float, { nullable: true, description: 'Latitude WGS84 du lieu' }) lat: number | null;
  @Field(() => String, { nullable: true }) description: string | null;
  @Field(() => String, { nullable: true, description: 'Courriel de la structure' }) email: string | null;
  @Field(() => String, { nullable: true, description: 'Téléphone de la structure' }) phone: string | null;
  @Field(() => String, { nullable: true, description: 'Site web' }) website: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Horaires d’ouverture, syntaxe OpenStreetMap opening_hours (« Mo-Fr 09:00-12:00,14:00-17:00; PH off ») ; en clair : openingSchedule',
  })
  openingHours: string | null;

  @Field(() => [String], { description: 'Codes des thèmes' }) themeCodes: string[];
  @Field(() => [String], { description: 'Codes des publics' }) audienceCodes: string[];
  @Field(() => Float, { nullable: true, description: 'Rayon d’intervention autour du lieu, en km' }) radiusKm: number | null;
  @Field(() => Boolean, { description: 'Vrai pour un acteur fictif de démonstration' }) isDemo: boolean;
  @Field(() => String, { nullable: true, description: 'Source de l’information (document public, fichier importé…)' }) source: string | null;
  @Field(() => ActorStatus) status: ActorStatus;

  @Field(() => ReviewStatus, {
    description: 'Modération : un acteur en attente de validation ou refusé reste cherchable mais ne compte dans aucun chiffre des lacunes',
  })
  reviewStatus: ReviewStatus;

  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { description: 'Dernier enregistrement de la fiche (toute modification, tout import)' }) updatedAt: Date;

  @Field(() => Date, {
    nullable: true,
    description:
      'Date à laquelle un responsable (un représentant de l’acteur, un analyste ARS de sa région, un administrateur) a confirmé ' +
      'que la fiche est à jour, ou l’a validée ; pour les acteurs des documents publics, la date de leur source. Null : jamais confirmée',
  })
  verifiedAt: Date | null;

  @Field(() => ID, {
    nullable: true,
    description: 'Pour une fiche archivée par une fusion de doublons (mergeActors) : l’acteur qui l’a absorbée. `actor(id)` donne alors directement celui-ci',
  })
  mergedInto: string | null;

  @VersionField()
  version: number;
}

/**
 * The actor table's column map, keyed by the fields of `Actor`: the one place that names its
 * columns. The SELECT list and `toActor`, the record of a write (`ActorRecord`), the INSERT and the
 * UPDATE (actor.repository.ts) are all written from it: a new column is a line here, its field above
 * and its input field (actor.inputs.ts).
 */
export const ACTOR_TABLE = new Table('actor', {
  id: 'uuid',
  name: 'text',
  kind: 'text',
  sector: 'text',
  siren: 'text',
  siret: 'text',
  rna: 'text',
  finess: 'text',
  address: 'text',
  postalCode: 'text',
  communeCode: 'text',
  // The place: a record carries coordinates, the table stores `location` (see actor.repository.ts).
  lon: 'float8',
  lat: 'float8',
  description: 'text',
  email: 'text',
  phone: 'text',
  website: 'text',
  openingHours: 'text',
  themeCodes: { name: 'themes', type: 'text[]' },
  audienceCodes: { name: 'audiences', type: 'text[]' },
  radiusKm: 'real',
  isDemo: 'boolean',
  source: 'text',
  status: 'text',
  reviewStatus: 'text',
  createdAt: 'timestamptz',
  updatedAt: 'timestamptz',
  verifiedAt: 'timestamptz',
  mergedInto: 'uuid',
  version: 'int',
  location: 'geometry',
});

type ActorColumn = (typeof ACTOR_TABLE.keys)[number];

/**
 * Columns the database keeps itself (identity, state, timestamps, the stored place), never copied
 * from a record: no import, create or update can set them. `verifiedAt` moves only through
 * confirmActorUpToDate and validateActor (actor-freshness.ts).
 */
const KEPT_BY_DATABASE = ['id', 'status', 'reviewStatus', 'createdAt', 'updatedAt', 'verifiedAt', 'mergedInto', 'version', 'location'] as const;
const PLACE: readonly ActorColumn[] = ['lon', 'lat'];

/** The fields an actor record carries to a write. */
export type RecordField = Exclude<ActorColumn, (typeof KEPT_BY_DATABASE)[number]>;
export const RECORD_FIELDS = ACTOR_TABLE.keys.filter((k): k is RecordField => !(KEPT_BY_DATABASE as readonly string[]).includes(k));
/** The columns a write copies from its record as they are (all its fields but the place). */
export const COPIED_FIELDS = RECORD_FIELDS.filter((k) => !PLACE.includes(k));
/** The fields of an Actor read from its row (all its columns but `location`, read as lon and lat). */
export type ActorField = Exclude<ActorColumn, 'location'>;
export const ACTOR_FIELDS = ACTOR_TABLE.keys.filter((k): k is ActorField => k !== 'location');

/** The columns of `fields` (every field by default) over actor `alias`, the place as lon and lat. */
export function actorColumns(alias = 'a', fields: readonly ActorField[] = ACTOR_FIELDS): Sql {
  const location = ACTOR_TABLE.col('location', alias);
  const columns = fields.filter((k) => !PLACE.includes(k));
  const place = fields.some((k) => PLACE.includes(k)) ? sql`ST_X(${location}) AS lon, ST_Y(${location}) AS lat` : null;
  if (columns.length === 0) return place ?? sql`${ACTOR_TABLE.col('id', alias)}`;
  return place ? sql`${ACTOR_TABLE.list(columns, alias)}, ${place}` : ACTOR_TABLE.list(columns, alias);
}

/** A row selected with `actorColumns` (or its JSON) → an Actor. */
export function toActor(row: Record<string, unknown>): Actor {
  return toActorOf(row);
}

/**
 * A row selected with `actorColumns(alias, fields)` → an Actor of those fields only (a search reads
 * what its GraphQL selection asks for): the others stay undefined, never read since nobody asked.
 */
export function toActorOf(row: Record<string, unknown>, fields: readonly ActorField[] = ACTOR_FIELDS): Actor {
  return Object.assign(new Actor(), ACTOR_TABLE.fromRow(row, fields));
}
