import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { Coalition } from '../coalitions/coalition.entity.js';
import { Permissions } from '../coalitions/coalition.permissions.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { Change, ChangeConnection, ChangeEntity } from './change.entity.js';
import { readChanges } from './change-log.js';

@Resolver(() => Change)
export class ChangeResolver {
  @Query(() => ChangeConnection, {
    description:
      'Flux des changements (acteurs et coalitions créés, modifiés, archivés, fusionnés) dans l’ordre où ils ont été enregistrés, ' +
      'sans trou ni doublon : gardez `pageInfo.endCursor` et redonnez-le en `after`. Seuls les changements de ce que le compte ' +
      'peut lire y figurent ; le curseur avance aussi au-delà des autres',
  })
  async changes(
    @Arg('after', () => String, { nullable: true, description: 'Le endCursor (ou un sequence) d’une réponse précédente ; rien : depuis le début' })
    after: string | null,
    @Arg('first', () => Int, { defaultValue: 100, description: 'Taille de page (0 à 200)' }) first: number,
    @Ctx() { ds, user }: Context,
  ): Promise<ChangeConnection> {
    checkArgs('Query.changes', { first });
    const page = await readChanges(ds, user ?? null, after, first);
    const edges = page.rows.map((r) => ({
      cursor: r.seq,
      node: Object.assign(new Change(), {
        sequence: r.seq,
        entity: r.entity,
        entityId: r.entity_id,
        kind: r.kind,
        mergedId: r.related_id,
        changedAt: r.changed_at,
      }),
    }));
    return {
      edges,
      lastSequence: page.head,
      pageInfo: { hasNextPage: page.hasNextPage, hasPreviousPage: !!after, startCursor: edges[0]?.cursor ?? null, endCursor: page.endCursor },
    };
  }

  @FieldResolver(() => Actor, { nullable: true, description: 'L’acteur tel qu’il est maintenant (null : une coalition, ou un acteur supprimé)' })
  async actor(@Root() c: Change, @Ctx() { loaders }: Context): Promise<Actor | null> {
    if (c.entity !== ChangeEntity.ACTOR) return null;
    return loaders.actor.load(c.entityId);
  }

  @FieldResolver(() => Coalition, {
    nullable: true,
    description: 'La coalition telle qu’elle est maintenant, si le compte la voit (null : un acteur, ou une coalition supprimée)',
  })
  async coalition(@Root() c: Change, @Ctx() { loaders, user }: Context): Promise<Coalition | null> {
    if (c.entity !== ChangeEntity.COALITION) return null;
    const coalition = await loaders.coalition.load(c.entityId);
    // The entry was shown under the lists' rule; the coalition itself is checked again as `coalition(id)` does.
    return coalition && Permissions.canView(user ?? null, coalition) ? coalition : null;
  }
}
