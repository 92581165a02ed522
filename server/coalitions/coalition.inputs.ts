import { IsOptional, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, ID, InputType } from 'type-graphql';
import { decorators, DescriptionInput, NameInput, OptionalList } from '../graphql/fields.js';
import { TerritoryRefInput } from '../territories/territory.inputs.js';
import { CoalitionKind, CoalitionVisibility, JoinPolicy, MembershipRole, PartnershipKind } from './coalition-enums.js';

/** An optional day, AAAA-MM-JJ in GraphQL and in the validation (`checkDates` then checks it is a real date). */
const OptionalDay = (description?: string) =>
  decorators(
    Field(() => String, { nullable: true, description }),
    IsOptional(),
    Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'date au format AAAA-MM-JJ' }),
  );

@InputType()
class CoalitionFields {
  @NameInput()
  name?: string;

  @Field(() => CoalitionKind, { nullable: true }) kind?: CoalitionKind;

  @OptionalList(String, 30, { description: 'Codes des thèmes', message: '30 thèmes au plus' }) themes?: string[];

  @Field(() => TerritoryRefInput, { nullable: true, description: 'Territoire, de tout niveau' }) territory?: TerritoryRefInput;

  @OptionalDay('Début (AAAA-MM-JJ)')
  startDate?: string | null;

  @OptionalDay('Fin (AAAA-MM-JJ)')
  endDate?: string | null;

  @DescriptionInput()
  description?: string | null;

  @Field(() => CoalitionVisibility, { nullable: true }) visibility?: CoalitionVisibility;
  @Field(() => JoinPolicy, { nullable: true }) joinPolicy?: JoinPolicy;
}

@InputType({ description: 'Nouvelle coalition ; l’acteur pilote en devient membre actif (rôle PILOTE)' })
export class CreateCoalitionInput extends CoalitionFields {
  @Field(() => ID, { description: 'Acteur pilote, que le compte représente' }) pilotActorId: string;
}

@InputType({ description: 'Modification d’une coalition : seuls les champs donnés changent' })
export class UpdateCoalitionInput extends CoalitionFields {}

@InputType({ description: 'Filtre des coalitions' })
export class CoalitionFilter {
  @Field(() => TerritoryRefInput, { nullable: true, description: 'Coalitions de ce territoire : situées dedans, ou le contenant' })
  territory?: TerritoryRefInput;

  @OptionalList(String, 30, { description: 'Au moins un de ces thèmes (un thème inclut ses sous-thèmes)' }) themes?: string[];

  @OptionalList(CoalitionKind, 20, { message: '20 natures au plus' }) kinds?: CoalitionKind[];

  @Field(() => ID, { nullable: true, description: 'Coalitions dont cet acteur est membre actif' }) actorId?: string;
  @Field(() => Boolean, { nullable: true, description: 'Inclure les coalitions terminées (non par défaut)' }) includeEnded?: boolean;
}

@InputType({ description: 'Nouveau partenariat direct entre deux acteurs' })
export class CreatePartnershipInput {
  @Field(() => ID, { description: 'Acteur que le compte représente' }) actorId: string;
  @Field(() => ID, { description: 'Acteur partenaire' }) partnerActorId: string;
  @Field(() => PartnershipKind) kind: PartnershipKind;

  @Field(() => String, { nullable: true })
  @IsOptional()
  @MaxLength(300, { message: 'l’intitulé dépasse 300 caractères' })
  title?: string | null;

  @OptionalDay()
  startDate?: string | null;

  @OptionalDay()
  endDate?: string | null;
}

/** Which actor joins which coalition, in which role: a request for one's actor, or a coordinator's invitation. */
@ArgsType()
export class MembershipTargetArgs {
  @Field(() => ID) coalitionId: string;
  @Field(() => ID) actorId: string;
  @Field(() => MembershipRole, { defaultValue: MembershipRole.MEMBRE }) role: MembershipRole;
}
