import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { defineEnum, type EnumValue } from '../graphql/enums.js';
import { EdgeOf, PageOf } from '../graphql/pagination.js';

export const ChangeEntity = defineEnum('ChangeEntity');
export type ChangeEntity = EnumValue<typeof ChangeEntity>;

export const ChangeKind = defineEnum('ChangeKind');
export type ChangeKind = EnumValue<typeof ChangeKind>;

/** One entry of the change feed (migration 1764000000028). */
@ObjectType({ description: 'Un changement du répertoire, numéroté dans l’ordre où il a été enregistré' })
export class Change {
  @Field(() => String, {
    description: 'Numéro du changement (1, 2, 3… dans l’ordre des enregistrements, en texte) : c’est aussi le curseur à garder',
  })
  sequence: string;

  @Field(() => ChangeEntity) entity: ChangeEntity;
  @Field(() => ID, { description: 'Identifiant de l’acteur ou de la coalition' }) entityId: string;
  @Field(() => ChangeKind) kind: ChangeKind;
  @Field(() => ID, { nullable: true, description: 'MERGED : la fiche absorbée (archivée, qui renvoie désormais vers entityId)' }) mergedId: string | null;
  @Field(() => Date, { description: 'Instant de l’enregistrement' }) changedAt: Date;
}

@ObjectType()
export class ChangeEdge extends EdgeOf(Change) {}

@ObjectType({ description: 'Une page du flux des changements' })
export class ChangeConnection extends PageOf(ChangeEdge) {
  @Field(() => String, {
    description:
      'Numéro du dernier changement enregistré au moment de la lecture (visible ou non du compte) : pour suivre le flux à partir de ' +
      'maintenant sans le relire depuis le début, gardez-le comme curseur',
  })
  lastSequence: string;
}
