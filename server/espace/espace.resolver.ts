import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { Actor } from '../actors/actor.entity.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { MembershipStatus } from '../coalitions/coalition-enums.js';
import { requireUser } from '../auth/auth.service.js';
import { Permissions } from '../coalitions/coalition.permissions.js';
import { Membership } from '../coalitions/membership.entity.js';
import { join, run, type Sql, sql } from '../db/sql.js';
import type { Context } from '../graphql/context.js';
import { checkArgs } from '../graphql/cost.js';

/** The most requests a coordinator's list (and its count) reads. */
const MAX_PENDING = 500;

/**
 * SQL condition on coalition alias `c` for the coalitions the user manages, as `Permissions.canManage`
 * decides it (administrators: all; ARS analysts: those of their région; anyone: those an actor of
 * theirs pilots). Only a preselection: every row read is checked again with `canManage`.
 */
function managedSql(user: AuthUser): Sql {
  if (user.role === UserRole.ADMIN) return sql`TRUE`;
  const piloted = [...new Set(user.memberships.filter((m) => m.role === 'PILOTE' && m.status === MembershipStatus.ACTIVE).map((m) => m.coalitionId))];
  const or = [sql`c.id = ANY(${piloted}::uuid[])`];
  if (user.role === UserRole.ANALYST && user.regionCode) or.push(sql`c.region_code = ${user.regionCode}`);
  return sql`(${join(or, sql` OR `)})`;
}

/** Every pending request of every coalition the user manages, each checked with `canManage`. */
async function pendingRequests({ services, loaders }: Context, user: AuthUser): Promise<Membership[]> {
  const list = await services.coalitions.repo.pendingRequests(managedSql(user), MAX_PENDING);
  const coalitions = await loaders.coalition.loadMany(list.map((m) => m.coalitionId));
  return list.filter((_, i) => {
    const c = coalitions[i];
    return !!c && !(c instanceof Error) && Permissions.canManage(user, c);
  });
}

/** « Mon espace »: what waits on the signed-in account across the coalitions it manages. */
@Resolver()
export class EspaceResolver {
  @Query(() => [Membership], {
    description:
      'Les demandes d’adhésion en attente de toutes les coalitions que le compte connecté gère (coordinateur, analyste ARS de leur région, ' +
      'administrateur), les plus anciennes d’abord ; vide pour les autres comptes',
  })
  async pendingRequestsToDecide(
    @Arg('first', () => Int, { defaultValue: 100, description: 'Nombre au plus (0 à 200)' }) first: number,
    @Ctx() ctx: Context,
  ): Promise<Membership[]> {
    checkArgs('Query.pendingRequestsToDecide', { first });
    return (await pendingRequests(ctx, requireUser(ctx.user ?? null))).slice(0, first);
  }

  @Query(() => Int, { description: 'Nombre de demandes d’adhésion en attente que le compte connecté peut décider (0 pour un visiteur)' })
  async pendingRequestsToDecideCount(@Ctx() { ds, user }: Context): Promise<number> {
    if (!user) return 0;
    // Polled by every open page of the account: one count, the same rule as the list.
    const [{ n }] = await run<{ n: number }>(
      ds,
      sql`SELECT count(*)::int AS n FROM membership m WHERE m.status = 'REQUESTED'
            AND m.coalition_id IN (SELECT c.id FROM coalition c WHERE ${managedSql(user)})`,
    );
    return n;
  }
}

/** Who represents an actor, as its own representatives see it on « Mon espace ». */
@Resolver(() => Actor)
export class ActorRepresentativesResolver {
  @FieldResolver(() => [String], {
    nullable: true,
    description: 'Noms affichés des comptes qui représentent l’acteur (jamais leurs courriels) ; null sauf pour ces comptes et les administrateurs',
  })
  async representatives(@Root() a: Actor, @Ctx() { ds, user }: Context): Promise<string[] | null> {
    if (!user || (user.role !== UserRole.ADMIN && !Permissions.represents(user, a.id))) return null;
    const rows = await run<{ name: string }>(
      ds,
      sql`SELECT u.display_name AS name FROM user_actor ua JOIN user_account u ON u.id = ua.user_id WHERE ua.actor_id = ${a.id} ORDER BY ua.created_at, u.id`,
    );
    return rows.map((r) => r.name);
  }
}
