import { Field, Int, ObjectType } from 'type-graphql';

/** A prevention theme of the two-level taxonomy (DGS fields of action). */
@ObjectType({ description: 'Thème de prévention (taxonomie à deux niveaux, d’après les champs d’action de la DGS)' })
export class Theme {
  @Field(() => String, { description: 'Code stable (slug)' })
  code: string;

  @Field(() => String, { description: 'Libellé' })
  label: string;

  @Field(() => String, { nullable: true, description: 'Code du thème parent (null pour un thème de premier niveau)' })
  parentCode: string | null;

  @Field(() => Int)
  position: number;

  @Field(() => [String], { description: 'Codes data·inclusion équivalents' })
  dataInclusionCodes: string[];
}

/** A public an actor serves. */
@ObjectType({ description: 'Public visé' })
export class Audience {
  @Field(() => String, { description: 'Code stable (slug)' })
  code: string;

  @Field(() => String, { description: 'Libellé' })
  label: string;

  @Field(() => [String], { description: 'Codes data·inclusion équivalents' })
  dataInclusionCodes: string[];
}
