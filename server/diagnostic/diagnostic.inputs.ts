import { ArrayMaxSize, ArrayMinSize, IsOptional, MaxLength, ValidateNested } from 'class-validator';
import { Field, InputType } from 'type-graphql';
import { TerritoryRefInput } from '../territories/territory.inputs.js';

/** The most communes a list perimeter may hold (a CLS spans a few dozen; the largest EPCI 158). */
export const MAX_DIAGNOSTIC_COMMUNES = 500;

/**
 * The perimeter of a territorial diagnostic: one territory (a commune, an EPCI, an EPT or a
 * département), or a list of communes by INSEE code (a CLS perimeter), never both.
 */
@InputType({
  description:
    'Périmètre d’un diagnostic territorial : un territoire (commune, EPCI, EPT ou département) ou une liste de communes ' +
    '(codes INSEE, par exemple le périmètre d’un contrat local de santé), l’un ou l’autre',
})
export class DiagnosticPerimeterInput {
  @Field(() => TerritoryRefInput, { nullable: true, description: 'Une commune, un EPCI, un EPT ou un département' })
  @IsOptional()
  @ValidateNested()
  territory?: TerritoryRefInput | null;

  @Field(() => [String], {
    nullable: true,
    description: `Codes INSEE des communes (COG 2026), ${MAX_DIAGNOSTIC_COMMUNES} au plus ; les doublons comptent une fois`,
  })
  @IsOptional()
  @ArrayMinSize(1, { message: 'la liste des communes est vide' })
  @ArrayMaxSize(MAX_DIAGNOSTIC_COMMUNES, { message: `la liste compte plus de ${MAX_DIAGNOSTIC_COMMUNES} communes` })
  @MaxLength(12, { each: true, message: 'un code de commune a 5 caractères' })
  communes?: string[] | null;
}
