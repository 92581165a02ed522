import DataLoader from 'dataloader';
import type { Actor } from '../actors/actor.entity.js';
import type { ActorService } from '../actors/actor.service.js';
import type { Coalition } from './coalition.entity.js';
import type { CoalitionService } from './coalition.service.js';
import type { Membership, MembershipEvent } from './membership.entity.js';
import type { Partnership, PartnershipEvent } from './partnership.entity.js';

/** Per-request batch loaders of the coalition domain: one query per relation, whatever the page size. */
export function createCoalitionLoaders(coalitions: CoalitionService, actors: ActorService) {
  const { repo } = coalitions;
  const partnerships = coalitions.partnerships.repo;
  return {
    actor: new DataLoader<string, Actor | null>((ids) => actors.findMany(ids)),
    coalition: new DataLoader<string, Coalition | null>((ids) => repo.findMany(ids)),
    /** Every membership of a coalition, all statuses: resolvers filter by permission. */
    membershipsByCoalition: new DataLoader<string, Membership[]>((ids) => repo.membershipsOf(ids)),
    /** History of an actor in a coalition, across its successive memberships. */
    history: new DataLoader<{ coalitionId: string; actorId: string }, MembershipEvent[], string>((keys) => repo.histories(keys), {
      cacheKeyFn: (k) => `${k.coalitionId}:${k.actorId}`,
    }),
    /** Every membership of an actor, all statuses: resolvers filter by permission. */
    membershipsByActor: new DataLoader<string, Membership[]>((ids) => repo.membershipsByActors(ids)),
    /** Every partnership of an actor, all statuses: resolvers filter by permission. */
    partnershipsByActor: new DataLoader<string, Partnership[]>((ids) => partnerships.partnershipsOf(ids)),
    partnershipHistory: new DataLoader<string, PartnershipEvent[]>((ids) => partnerships.histories(ids)),
  };
}
