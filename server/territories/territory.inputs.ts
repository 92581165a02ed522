import { Length } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { TerritoryLevel } from './territory-level.js';

/** A territory named by its level and official code, as every domain takes it (scope, area, coverage). */
@InputType({ description: 'Un territoire désigné par son niveau et son code officiel' })
export class TerritoryRefInput {
  @Field(() => TerritoryLevel) level: TerritoryLevel;

  @Field(() => String)
  @Length(1, 12, { message: 'un code de territoire a de 1 à 12 caractères' })
  code: string;
}
