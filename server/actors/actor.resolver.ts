import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { CommentArg, RefusalArg, ReviewedVersionArg, withValue } from '../graphql/fields.js';
import { selectedUnder, selects } from '../graphql/selection.js';
import { Audience, Theme } from '../themes/theme.entity.js';
import { Territory } from '../territories/territory.entity.js';
import { TerritoryLevel } from '../territories/territory-level.js';
import { ActorOrder, ReviewStatus } from './actor-enums.js';
import { ActorReviewEvent } from './actor-review.js';
import { viewerPasses } from './actor-moderation.resolver.js';
import { ActorConnection, CoveredCommunes } from './actor.connection.js';
import { Actor, ACTOR_FIELDS, type ActorField } from './actor.entity.js';
import { ActorFilter, CreateActorInput, UpdateActorInput } from './actor.inputs.js';
import { ActorPermissions } from './actor.permissions.js';
import { ActorService, type FacetGroup } from './actor.service.js';
import { sourceLabel } from '../vocabulary/sources.js';

const FACET_GROUPS = new Set<string>(['themes', 'kinds', 'sectors', 'audiences', 'presence']);

/**
 * The columns read by each field of Actor that is not a column itself (its resolver below); `id`
 * is always read. A field missing here (one resolved elsewhere: moderation, memberships…) makes a
 * search read the whole row.
 */
const FIELD_COLUMNS: Record<string, readonly ActorField[]> = {
  __typename: [],
  sourceLabel: ['source'],
  viewerCanEdit: [],
  reviewHistory: [],
  kindLabel: ['kind'],
  sectorLabel: ['sector'],
  themes: ['themeCodes'],
  audiences: ['audienceCodes'],
  commune: ['communeCode'],
  territories: [],
  coveredCommunes: [],
};
const COLUMN_FIELDS = new Set<string>(ACTOR_FIELDS);

/** What a search reads of its page's actors for the fields `selected` under `edges { node }`. */
function nodeWants(selected: Set<string>): { fields: readonly ActorField[] | undefined; commune: boolean } {
  return { fields: actorFieldsFor(selected), commune: selected.has('commune') };
}

/** The columns the fields `selected` of an Actor read, or undefined for the whole row. */
export function actorFieldsFor(selected: Iterable<string>): ActorField[] | undefined {
  const fields = new Set<ActorField>(['id']);
  for (const name of selected) {
    if (COLUMN_FIELDS.has(name)) fields.add(name as ActorField);
    else if (FIELD_COLUMNS[name]) for (const f of FIELD_COLUMNS[name]) fields.add(f);
    else return undefined;
  }
  return [...fields];
}

/** The level of an address commune code: Paris, Lyon and Marseille arrondissements have their own. */
const communeLevel = (code: string) => (/^(751\d{2}|6938\d|132\d{2})$/.test(code) ? TerritoryLevel.ARRONDISSEMENT : TerritoryLevel.COMMUNE);

@Resolver(() => Actor)
export class ActorResolver {
  @Query(() => ActorConnection, {
    description: 'Recherche d’acteurs : filtres combinables, pagination par curseur, total et facettes du filtre',
  })
  async actors(
    @Arg('filter', () => ActorFilter, { nullable: true }) filter: ActorFilter | undefined,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Taille de page (0 à 200)' }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('orderBy', () => ActorOrder, { nullable: true, description: 'Par défaut PROXIMITY avec coversCommune, RELEVANCE avec text, NAME sinon' })
    orderBy: ActorOrder | null,
    @Ctx() { services, loaders }: Context,
    @Info() info: GraphQLResolveInfo,
  ): Promise<ActorConnection> {
    checkArgs('Query.actors', { first });
    const facetGroups = [...selectedUnder(info, 'facets')].filter((g): g is FacetGroup => FACET_GROUPS.has(g));
    const result = await services.actors.search({
      filter,
      first,
      after,
      orderBy,
      wants: { totalCount: selects(info, 'totalCount'), facets: facetGroups.length > 0, facetGroups },
      // Only the columns the page's actors are asked for (a third of them for the client's list).
      node: nodeWants(selectedUnder(info, 'edges', 'node')),
    });
    // The page came with the territory of each actor's commune: «commune» reads it from the loader.
    for (const r of result.rows) {
      if (r.commune && r.actor.communeCode && communeLevel(r.actor.communeCode) === r.commune.level) {
        loaders.territory.prime({ level: r.commune.level, code: r.commune.code }, r.commune);
        loaders.knownTerritories.set(`${r.commune.level}:${r.commune.code}`, r.commune);
      }
    }
    const taxonomy = await services.themes.taxonomyNow();
    const label = (map: Map<string, { label: string }>, v: string) => map.get(v)?.label ?? v;
    return {
      edges: result.rows.map((r) => ({ cursor: r.cursor, node: r.actor, distanceKm: r.distanceKm })),
      pageInfo: {
        hasNextPage: result.hasNextPage,
        hasPreviousPage: !!after,
        startCursor: result.rows[0]?.cursor ?? null,
        endCursor: result.rows.at(-1)?.cursor ?? null,
      },
      totalCount: result.totalCount,
      facets: {
        themes: result.facets.themes
          .map(([value, count]) => ({ value, count, label: label(taxonomy.themeByCode, value) }))
          .sort((a, b) => (taxonomy.themeByCode.get(a.value)?.position ?? 0) - (taxonomy.themeByCode.get(b.value)?.position ?? 0)),
        kinds: result.facets.kinds
          .map(([value, count]) => ({ value, count, label: ActorService.facetLabel('kinds', value) }))
          .sort((a, b) => b.count - a.count),
        sectors: result.facets.sectors
          .map(([value, count]) => ({ value, count, label: ActorService.facetLabel('sectors', value) }))
          .sort((a, b) => b.count - a.count),
        audiences: result.facets.audiences
          .map(([value, count]) => ({ value, count, label: label(taxonomy.audienceByCode, value) }))
          .sort((a, b) => b.count - a.count),
        presence: result.facets.presence.map(([value, count]) => ({ value, count, label: 'Acteurs de proximité' })),
      },
    };
  }

  @Query(() => Actor, {
    description: 'Un acteur par son identifiant ; celui d’une fiche fusionnée dans une autre (mergeActors) donne l’acteur qui l’a absorbée',
  })
  actor(@Arg('id', () => ID) id: string, @Ctx() { services }: Context): Promise<Actor> {
    return services.actors.current(id);
  }

  @Mutation(() => Actor, { description: 'Crée un acteur ; son territoire d’intervention est résolu en communes couvertes' })
  createActor(@Arg('input', () => CreateActorInput) input: CreateActorInput, @Ctx() { services, user }: Context): Promise<Actor> {
    return services.actors.create(input, ActorPermissions.creator(user));
  }

  @Mutation(() => Actor, {
    description: 'Modifie un acteur. Refusée (CONFLICT) si la version donnée n’est plus la version enregistrée',
  })
  updateActor(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int, { description: 'Version lue avant modification' }) version: number,
    @Arg('input', () => UpdateActorInput) input: UpdateActorInput,
    @Ctx() { services, user }: Context,
  ): Promise<Actor> {
    return services.actors.update(id, version, input, user);
  }

  @Mutation(() => Actor, { description: 'Archive un acteur : il disparaît des recherches mais reste consultable' })
  archiveActor(@Arg('id', () => ID) id: string, @Arg('version', () => Int) version: number, @Ctx() { services, user }: Context): Promise<Actor> {
    return services.actors.archive(id, version, user);
  }

  @Mutation(() => Actor, {
    description:
      'Valide un acteur en attente de validation : il compte dès lors dans les lacunes et la couverture. Réservé aux analystes ARS ' +
      'd’une région où il agit et aux administrateurs ; CONFLICT s’il n’est pas (ou plus) en attente',
  })
  validateActor(
    @Arg('id', () => ID) id: string,
    @CommentArg() reason: string | null,
    @ReviewedVersionArg() version: number | null,
    @Ctx() { services, user }: Context,
  ): Promise<Actor> {
    return services.actors.decideReview(id, ReviewStatus.VALIDATED, reason, user, version);
  }

  @Mutation(() => Actor, {
    description:
      'Refuse un acteur en attente de validation (raison obligatoire) : il reste cherchable mais ne compte dans aucun chiffre. ' +
      'Réservé aux analystes ARS d’une région où il agit et aux administrateurs ; CONFLICT s’il n’est pas (ou plus) en attente',
  })
  rejectActor(
    @Arg('id', () => ID) id: string,
    @RefusalArg() reason: string,
    @ReviewedVersionArg() version: number | null,
    @Ctx() { services, user }: Context,
  ): Promise<Actor> {
    return services.actors.decideReview(id, ReviewStatus.REJECTED, reason, user, version);
  }

  @FieldResolver(() => String, { nullable: true, description: 'D’où vient l’information, en clair (la source codée est dans `source`)' })
  sourceLabel(@Root() a: Actor): string | null {
    return sourceLabel(a.source);
  }

  @FieldResolver(() => Boolean, { description: 'Vrai si le compte connecté peut modifier ou archiver cet acteur' })
  viewerCanEdit(@Root() a: Actor, @Ctx() context: Context): Promise<boolean> {
    return viewerPasses(context, a.id, ActorPermissions.mayEditAny(context.user, a.id), 'canEdit');
  }

  @FieldResolver(() => [ActorReviewEvent], {
    nullable: true,
    description:
      'Historique de modération (qui, quand, de quel statut à quel statut, pourquoi), du plus ancien au plus récent : visible des ' +
      'comptes qui représentent l’acteur, des analystes ARS d’une région où il agit et des administrateurs ; null pour les autres',
  })
  async reviewHistory(@Root() a: Actor, @Ctx() context: Context): Promise<ActorReviewEvent[] | null> {
    if (!(await viewerPasses(context, a.id, ActorPermissions.mayReadReviewOf(context.user, a.id), 'canSeeReviewHistory'))) return null;
    return context.loaders.actorReviewHistory.load(a.id);
  }

  @FieldResolver(() => String, { description: 'Nature, en clair' })
  kindLabel(@Root() a: Actor): string {
    return ActorService.facetLabel('kinds', a.kind);
  }

  @FieldResolver(() => String, { description: 'Secteur, en clair' })
  sectorLabel(@Root() a: Actor): string {
    return ActorService.facetLabel('sectors', a.sector);
  }

  @FieldResolver(() => [Theme])
  themes(@Root() a: Actor, @Ctx() { services }: Context): Theme[] | Promise<Theme[]> {
    return withValue(services.themes.taxonomyNow(), (t) => a.themeCodes.map((c) => t.themeByCode.get(c)).filter((x): x is Theme => !!x));
  }

  @FieldResolver(() => [Audience], { description: 'Publics visés' })
  audiences(@Root() a: Actor, @Ctx() { services }: Context): Audience[] | Promise<Audience[]> {
    return withValue(services.themes.taxonomyNow(), (t) => a.audienceCodes.map((c) => t.audienceByCode.get(c)).filter((x): x is Audience => !!x));
  }

  @FieldResolver(() => Territory, { nullable: true, description: 'Commune de l’adresse' })
  commune(@Root() a: Actor, @Ctx() { loaders }: Context): Territory | Promise<Territory | null> | null {
    if (!a.communeCode) return null;
    const ref = { level: communeLevel(a.communeCode), code: a.communeCode };
    // Read with the search's page: no promise (see taxonomyNow).
    return loaders.knownTerritories.get(`${ref.level}:${ref.code}`) ?? loaders.territory.load(ref);
  }

  @FieldResolver(() => [Territory], { description: 'Territoires d’intervention déclarés' })
  territories(@Root() a: Actor, @Ctx() { loaders }: Context): Promise<Territory[]> {
    return loaders.actorTerritories.load(a.id);
  }

  @FieldResolver(() => CoveredCommunes, { description: 'Communes couvertes (territoires et rayon résolus), les plus peuplées d’abord' })
  async coveredCommunes(
    @Root() a: Actor,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('offset', () => Int, { defaultValue: 0 }) offset: number,
    @Ctx() { loaders }: Context,
  ): Promise<CoveredCommunes> {
    checkArgs('Actor.coveredCommunes', { first, offset });
    const [totalCount, nodes] = await Promise.all([
      loaders.coveredCount.load(a.id),
      first === 0 ? Promise.resolve([]) : loaders.coveredPage.load({ id: a.id, first, offset }),
    ]);
    return { totalCount, nodes };
  }
}
