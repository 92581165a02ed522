import { ArrayMaxSize, IsEmail, IsOptional, IsUrl, Matches, Max, MaxLength, Min, ValidateNested } from 'class-validator';
import { Field, Float, InputType, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Presence } from '../gaps/gap.inputs.js';
import { decorators, DescriptionInput, NameInput, OptionalList } from '../graphql/fields.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { ActorKind, ReviewStatus, Sector } from './actor-enums.js';
import { type IdentifierField, IsIdentifier } from './actor-identifiers.js';
import { OPENING_HOURS_MAX } from './opening-hours.js';

/** WGS84 coordinates in degrees, checked with one message wherever a place is given. */
const inRange = (min: number, max: number, message: string) => decorators(Min(min, { message }), Max(max, { message }));
const IsLongitude = () => inRange(-180, 180, 'la longitude est comprise entre -180 et 180');
const IsLatitude = () => inRange(-90, 90, 'la latitude est comprise entre -90 et 90');

/** A structure's identifier (SIREN, SIRET, RNA, FINESS) in an input: optional, checked by its own rule (actor-identifiers.ts). */
const IdentifierInput = (field: IdentifierField) =>
  decorators(
    Field(() => String, { nullable: true }),
    IsOptional(),
    IsIdentifier(field),
  );

/**
 * The fields anyone may propose to change on an actor's page (proposeActorChange), shared by
 * creation and modification: contacts, opening hours, description, publics and territory. Status,
 * review status, demonstration flag, identifiers and name are not among them.
 */
@InputType()
class ActorChangeFields {
  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500, { message: 'l’adresse dépasse 500 caractères' })
  address?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(/^\d{5}$/, { message: 'le code postal compte 5 chiffres' })
  postalCode?: string | null;

  @Field(() => String, { nullable: true, description: 'Code INSEE de la commune de l’adresse' })
  @IsOptional()
  @Matches(/^(\d{5}|2[AB]\d{3})$/, { message: 'le code commune compte 5 caractères (INSEE)' })
  communeCode?: string | null;

  @DescriptionInput()
  description?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsEmail({}, { message: 'le courriel n’est pas valide' })
  @MaxLength(254, { message: 'le courriel dépasse 254 caractères' })
  email?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @Matches(/^[+\d][\d .()-]{5,24}$/, { message: 'le numéro de téléphone n’est pas valide' })
  phone?: string | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @IsUrl({ protocols: ['http', 'https'], require_protocol: true }, { message: 'le site web doit être une adresse http(s) valide' })
  @MaxLength(500, { message: 'l’adresse du site dépasse 500 caractères' })
  website?: string | null;

  @Field(() => String, { nullable: true, description: 'Horaires d’ouverture, syntaxe OpenStreetMap opening_hours (« Mo-Fr 09:00-12:00; PH off »)' })
  @IsOptional()
  @MaxLength(OPENING_HOURS_MAX, { message: `les horaires dépassent ${OPENING_HOURS_MAX} caractères` })
  openingHours?: string | null;

  @OptionalList(String, 20, { description: 'Codes des publics' }) audiences?: string[];

  @Field(() => [TerritoryRefInput], { nullable: true, description: 'Territoires d’intervention, de tout niveau' })
  @IsOptional()
  @ArrayMaxSize(2000, { message: 'au plus 2 000 territoires' })
  @ValidateNested({ each: true })
  territories?: TerritoryRefInput[];
}

/** Fields shared by creation and modification; every one optional here, required ones checked by the service. */
@InputType()
class ActorFields extends ActorChangeFields {
  @NameInput()
  name?: string;

  @Field(() => ActorKind, { nullable: true }) kind?: ActorKind;
  @Field(() => Sector, { nullable: true }) sector?: Sector;

  @IdentifierInput('siren')
  siren?: string | null;

  @IdentifierInput('siret')
  siret?: string | null;

  @IdentifierInput('rna')
  rna?: string | null;

  @IdentifierInput('finess')
  finess?: string | null;

  @Field(() => Float, { nullable: true })
  @IsOptional()
  @IsLongitude()
  lon?: number | null;

  @Field(() => Float, { nullable: true })
  @IsOptional()
  @IsLatitude()
  lat?: number | null;

  @OptionalList(String, 60, { description: 'Codes des thèmes' }) themes?: string[];

  @Field(() => Float, { nullable: true, description: 'Rayon d’intervention autour du lieu, en km (0 < r ≤ 300)' })
  @IsOptional()
  @Min(0.1, { message: 'le rayon est d’au moins 0,1 km' })
  @Max(300, { message: 'le rayon est d’au plus 300 km' })
  radiusKm?: number | null;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(500, { message: 'la source dépasse 500 caractères' })
  source?: string | null;
}

@InputType({ description: 'Modification proposée d’un acteur : seuls les champs donnés changent ; null efface un champ facultatif' })
export class ActorChangeInput extends ActorChangeFields {}

@InputType({ description: 'Nouvel acteur : nom, nature, secteur et au moins un thème sont requis' })
export class CreateActorInput extends ActorFields {
  @Field(() => Boolean, { nullable: true, description: 'Acteur fictif de démonstration' }) isDemo?: boolean;
}

@InputType({ description: 'Modification d’un acteur : seuls les champs donnés changent ; null efface un champ facultatif' })
export class UpdateActorInput extends ActorFields {}

@InputType({ description: 'Point et rayon de recherche' })
export class NearInput {
  @Field(() => Float)
  @IsLongitude()
  lon: number;

  @Field(() => Float)
  @IsLatitude()
  lat: number;

  @Field(() => Float, { description: 'Rayon en km (au plus 500)' })
  @Min(0.01, { message: 'le rayon est positif' })
  @Max(500, { message: 'le rayon est d’au plus 500 km' })
  radiusKm: number;
}

@InputType({
  description:
    'Filtres de la recherche d’acteurs : les filtres se combinent (ET) ; les valeurs d’une même liste (thèmes de themesAny, natures, secteurs, publics) se combinent (OU)',
})
export class ActorFilter {
  @Field(() => String, {
    nullable: true,
    description:
      'Acteurs dont le territoire couvre cette commune ou cet arrondissement municipal (code INSEE, 75118 pour Paris 18e) ; ordre PROXIMITY par défaut',
  })
  @IsOptional()
  @Matches(/^(\d{5}|2[AB]\d{3})$/, { message: 'le code commune compte 5 caractères (INSEE)' })
  coversCommune?: string;

  @Field(() => TerritoryRefInput, { nullable: true, description: 'Acteurs couvrant au moins une partie de ce territoire' })
  @IsOptional()
  @ValidateNested()
  territory?: TerritoryRefInput;

  @OptionalList(String, 60, { description: 'Au moins un de ces thèmes (un thème inclut ses sous-thèmes)' }) themesAny?: string[];

  @OptionalList(String, 20, { description: 'Tous ces thèmes' }) themesAll?: string[];

  @OptionalList(ActorKind, 30) kinds?: ActorKind[];

  @OptionalList(Sector, 20) sectors?: Sector[];

  @OptionalList(String, 20, { description: 'Au moins un de ces publics' }) audiences?: string[];

  @Field(() => String, { nullable: true, description: 'Texte libre (nom, description, ou nom d’un thème ou sous-thème), sans tenir compte des accents' })
  @IsOptional()
  @MaxLength(200, { message: 'le texte recherché dépasse 200 caractères' })
  text?: string;

  @Field(() => NearInput, { nullable: true, description: 'Acteurs situés dans ce rayon ; la distance est renvoyée' })
  @IsOptional()
  @ValidateNested()
  near?: NearInput;

  @Field(() => Boolean, { nullable: true, description: 'true : seulement la démonstration ; false : seulement les acteurs réels' }) demo?: boolean;
  @Field(() => Boolean, { nullable: true, description: 'Inclure les acteurs archivés' }) includeArchived?: boolean;

  @Field(() => Presence, {
    nullable: true,
    description:
      'LOCAL : seulement les acteurs présents localement dans la commune de coversCommune (ou le territoire de territory), comme pour les lacunes ; ANY ou absent : toute couverture',
  })
  presence?: Presence;

  @OptionalList(ReviewStatus, 3, {
    description: 'Seulement les acteurs de ces statuts de modération (ex. PENDING_REVIEW pour la file de validation) ; absent : tous',
  })
  reviewStatuses?: ReviewStatus[];
}

@ObjectType({ description: 'Effectif par valeur de facette' })
export class FacetCount {
  @Field(() => String) value: string;
  @Field(() => String) label: string;
  @Field(() => Int) count: number;
}

@ObjectType({
  description:
    'Répartition des résultats. Les facettes sont disjonctives : les effectifs d’un groupe sont comptés comme si rien n’y était coché ' +
    '(les autres filtres s’appliquent), si bien qu’un effectif dit ce que cocher cette valeur apporte',
})
export class ActorFacets {
  @Field(() => [FacetCount], { description: 'Par thème (un thème parent compte les acteurs de ses sous-thèmes)' }) themes: FacetCount[];
  @Field(() => [FacetCount], { description: 'Par nature' }) kinds: FacetCount[];
  @Field(() => [FacetCount], { description: 'Par secteur' }) sectors: FacetCount[];
  @Field(() => [FacetCount], { description: 'Par public' }) audiences: FacetCount[];

  @Field(() => [FacetCount], {
    description: 'Présence locale (valeur LOCAL) dans la commune de coversCommune ou le territoire de territory ; vide sans l’un ou l’autre',
  })
  presence: FacetCount[];
}
