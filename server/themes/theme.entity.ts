import { Field, Int } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';

/** A term of the taxonomy (theme or public): a stable code and its French label. */
@ObjectType()
abstract class Term {
  @Field(() => String, { description: 'Code stable (slug)' }) code: string;
  @Field(() => String, { description: 'Libellé' }) label: string;
}

const DataInclusionCodes = () => Field(() => [String], { description: 'Codes data·inclusion équivalents' });

/** A prevention theme of the two-level taxonomy (DGS fields of action). */
@ObjectType({ description: 'Thème de prévention (taxonomie à deux niveaux, d’après les champs d’action de la DGS)' })
export class Theme extends Term {
  @Field(() => String, { nullable: true, description: 'Code du thème parent (null pour un thème de premier niveau)' }) parentCode: string | null;
  @Field(() => Int) position: number;

  @DataInclusionCodes()
  dataInclusionCodes: string[];
}

/** A public an actor serves. */
@ObjectType({ description: 'Public visé' })
export class Audience extends Term {
  @DataInclusionCodes()
  dataInclusionCodes: string[];
}
