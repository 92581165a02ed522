import { Field, Float, ID, Int, ObjectType } from 'type-graphql';
import { ActorKind, ActorStatus, ReviewStatus, Sector } from './actor-enums.js';

/**
 * An organisation that acts in prevention: association, CPTS, collectivité, state service,
 * establishment or coordination scheme. Its intervention territory is resolved at write time
 * into per-commune coverage (tables coverage_commune and coverage_area).
 */
@ObjectType({ description: 'Acteur de prévention : association, CPTS, collectivité, service de l’État, établissement ou dispositif' })
export class Actor {
  @Field(() => ID)
  id: string;

  @Field(() => String, { description: 'Nom' })
  name: string;

  @Field(() => ActorKind, { description: 'Nature' })
  kind: ActorKind;

  @Field(() => Sector, { description: 'Secteur' })
  sector: Sector;

  @Field(() => String, { nullable: true, description: 'SIREN (9 chiffres)' })
  siren: string | null;

  @Field(() => String, { nullable: true, description: 'SIRET (14 chiffres)' })
  siret: string | null;

  @Field(() => String, { nullable: true, description: 'Numéro RNA des associations (W + 9 caractères)' })
  rna: string | null;

  @Field(() => String, { nullable: true, description: 'Numéro FINESS des établissements' })
  finess: string | null;

  @Field(() => String, { nullable: true, description: 'Adresse postale' })
  address: string | null;

  @Field(() => String, { nullable: true })
  postalCode: string | null;

  @Field(() => String, { nullable: true, description: 'Code INSEE de la commune de l’adresse' })
  communeCode: string | null;

  @Field(() => Float, { nullable: true, description: 'Longitude WGS84 du lieu' })
  lon: number | null;

  @Field(() => Float, { nullable: true, description: 'Latitude WGS84 du lieu' })
  lat: number | null;

  @Field(() => String, { nullable: true })
  description: string | null;

  @Field(() => String, { nullable: true, description: 'Courriel de la structure' })
  email: string | null;

  @Field(() => String, { nullable: true, description: 'Téléphone de la structure' })
  phone: string | null;

  @Field(() => String, { nullable: true, description: 'Site web' })
  website: string | null;

  @Field(() => [String], { description: 'Codes des thèmes' })
  themeCodes: string[];

  @Field(() => [String], { description: 'Codes des publics' })
  audienceCodes: string[];

  @Field(() => Float, { nullable: true, description: 'Rayon d’intervention autour du lieu, en km' })
  radiusKm: number | null;

  @Field(() => Boolean, { description: 'Vrai pour un acteur fictif de démonstration' })
  isDemo: boolean;

  @Field(() => String, { nullable: true, description: 'Source de l’information (document public, fichier importé…)' })
  source: string | null;

  @Field(() => ActorStatus)
  status: ActorStatus;

  @Field(() => ReviewStatus, {
    description: 'Modération : un acteur en attente de validation ou refusé reste cherchable mais ne compte dans aucun chiffre des lacunes',
  })
  reviewStatus: ReviewStatus;

  @Field(() => Date)
  createdAt: Date;

  @Field(() => Date)
  updatedAt: Date;

  @Field(() => Int, { description: 'Version, à renvoyer lors d’une modification (concurrence optimiste)' })
  version: number;
}

/** Columns selected for an actor, mapped by `toActor`. */
export const ACTOR_COLUMNS = `a.id, a.name, a.kind, a.sector, a.siren, a.siret, a.rna, a.finess, a.address, a.postal_code,
  a.commune_code, ST_X(a.location) AS lon, ST_Y(a.location) AS lat, a.description, a.email, a.phone, a.website,
  a.themes, a.audiences, a.radius_km, a.is_demo, a.source, a.status, a.review_status, a.created_at, a.updated_at, a.version`;

export function toActor(r: any): Actor {
  return Object.assign(new Actor(), {
    id: r.id,
    name: r.name,
    kind: r.kind,
    sector: r.sector,
    siren: r.siren,
    siret: r.siret,
    rna: r.rna,
    finess: r.finess,
    address: r.address,
    postalCode: r.postal_code,
    communeCode: r.commune_code,
    lon: r.lon === null || r.lon === undefined ? null : Number(r.lon),
    lat: r.lat === null || r.lat === undefined ? null : Number(r.lat),
    description: r.description,
    email: r.email,
    phone: r.phone,
    website: r.website,
    themeCodes: r.themes ?? [],
    audienceCodes: r.audiences ?? [],
    radiusKm: r.radius_km === null || r.radius_km === undefined ? null : Number(r.radius_km),
    isDemo: r.is_demo,
    source: r.source,
    status: r.status,
    reviewStatus: r.review_status,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
    version: r.version,
  });
}
