import { Field, Float, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { Actor } from '../actors/actor.entity.js';
import { SectorCategory, SuggestionReasonKind } from './coalition-enums.js';

@ObjectType({ description: 'Raison d’une suggestion' })
export class SuggestionReason {
  @Field(() => SuggestionReasonKind) kind: SuggestionReasonKind;
  @Field(() => String, { description: 'En clair, par exemple « couvre 12 des 30 communes »' }) label: string;
}

@ObjectType({ description: 'Partenaire suggéré pour une coalition' })
export class PartnerSuggestion {
  @Field(() => Actor) actor: Actor;
  @Field(() => Float, { description: 'Score (plus haut = plus pertinent)' }) score: number;
  @Field(() => Int, { description: 'Communes du territoire de la coalition couvertes par l’acteur' }) coveredCommunes: number;
  @Field(() => Int, { description: 'Communes du territoire de la coalition' }) communeCount: number;
  @Field(() => [String], { description: 'Thèmes en commun' }) sharedThemes: string[];
  @Field(() => [SectorCategory], { description: 'Secteurs absents de la coalition que l’acteur apporterait' }) missingSectors: SectorCategory[];
  @Field(() => [SuggestionReason]) reasons: SuggestionReason[];
}
