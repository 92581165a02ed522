import { Arg, Ctx, Field, Query, Resolver } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import type { Context } from '../graphql/context.js';
import { ACTOR_KIND_LABELS, ActorKind, SECTOR_LABELS, Sector } from '../actors/actor-enums.js';
import { Audience, Theme } from './theme.entity.js';

@ObjectType({ description: 'Valeur d’une liste fermée, avec son libellé' })
class LabelledValue {
  @Field(() => String) value: string;
  @Field(() => String) label: string;
}

@Resolver()
export class ThemeResolver {
  @Query(() => [Theme], { description: 'Les thèmes de prévention, dans l’ordre de la taxonomie' })
  async themes(@Arg('topLevelOnly', () => Boolean, { defaultValue: false }) topLevelOnly: boolean, @Ctx() { services }: Context): Promise<Theme[]> {
    const { themes } = await services.themes.taxonomy();
    return topLevelOnly ? themes.filter((t) => !t.parentCode) : themes;
  }

  @Query(() => [Audience], { description: 'Les publics' })
  async audiences(@Ctx() { services }: Context): Promise<Audience[]> {
    return (await services.themes.taxonomy()).audiences;
  }

  @Query(() => [LabelledValue], { description: 'Les natures d’acteurs' })
  actorKinds(): LabelledValue[] {
    return Object.values(ActorKind).map((value) => ({ value, label: ACTOR_KIND_LABELS[value] }));
  }

  @Query(() => [LabelledValue], { description: 'Les secteurs' })
  sectors(): LabelledValue[] {
    return Object.values(Sector).map((value) => ({ value, label: SECTOR_LABELS[value] }));
  }
}
