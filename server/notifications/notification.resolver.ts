import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { requireUser } from '../auth/auth.service.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';
import { checkUuid } from '../graphql/ids.js';
import { NotificationConnection } from './notification.entity.js';
import { NotificationStore } from './notification.store.js';

/**
 * The signed-in account's notifications. Each query and mutation reads the account from the
 * session only: there is no argument naming an account, and an id of another account's
 * notification is simply not among the account's own (nothing read, nothing marked).
 */
@Resolver()
export class NotificationResolver {
  @Query(() => NotificationConnection, { description: 'Les notifications du compte connecté, les plus récentes d’abord (UNAUTHENTICATED sans session)' })
  myNotifications(
    @Arg('first', () => Int, { defaultValue: 20, description: 'Taille de page (0 à 100)' }) first: number,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Ctx() { ds, user }: Context,
  ): Promise<NotificationConnection> {
    checkArgs('Query.myNotifications', { first });
    return NotificationStore.list(ds, requireUser(user ?? null).id, first, after);
  }

  @Query(() => Int, { description: 'Nombre de notifications non lues du compte connecté (0 pour un visiteur)' })
  unreadNotificationCount(@Ctx() { ds, user }: Context): Promise<number> {
    return user ? NotificationStore.unreadCount(ds, user.id) : Promise.resolve(0);
  }

  @Mutation(() => Int, {
    description:
      'Marque comme lues des notifications du compte connecté ; les identifiants qui ne sont pas les siens ne changent rien. Renvoie le nombre marqué',
  })
  markNotificationsRead(@Arg('ids', () => [ID], { description: '200 au plus' }) ids: string[], @Ctx() { ds, user }: Context): Promise<number> {
    const u = requireUser(user ?? null);
    checkArgs('Mutation.markNotificationsRead', { ids });
    for (const id of ids) checkUuid(id, 'ids', 'de notification');
    return NotificationStore.markRead(ds, u.id, ids);
  }

  @Mutation(() => Int, { description: '« Tout marquer comme lu » : toutes les notifications du compte connecté ; renvoie le nombre marqué' })
  markAllNotificationsRead(@Ctx() { ds, user }: Context): Promise<number> {
    return NotificationStore.markRead(ds, requireUser(user ?? null).id, null);
  }
}
