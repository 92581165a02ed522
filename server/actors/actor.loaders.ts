import DataLoader from 'dataloader';
import type { DataSource } from 'typeorm';
import { run, sql } from '../db/sql.js';
import { type Territory, type TerritoryRow, toTerritory } from '../territories/territory.entity.js';
import { type ActorReach, type ActorReviewEvent, NO_REACH } from './actor-review.js';
import { ActorRepository, territoryColumns } from './actor.repository.js';
import { type ActorChangeProposal, ProposalRepository } from './change-proposal.js';

/** Per-request batch loaders for the relations of actors: one query per relation, whatever the page size. */
export function createActorLoaders(ds: DataSource) {
  return {
    /** Where each actor acts, for the permission checks (viewerCanEdit). */
    reach: new DataLoader<string, ActorReach>(async (ids) => {
      const by = await ActorRepository.reach(ds, ids);
      return ids.map((id) => by.get(id) ?? NO_REACH);
    }),
    /** Pending change proposals, oldest first. */
    changeProposals: new DataLoader<string, ActorChangeProposal[]>((ids) => ProposalRepository.pendingOf(ds, ids)),
    /** Review histories, oldest change first. */
    reviewHistory: new DataLoader<string, ActorReviewEvent[]>((ids) => ActorRepository.reviewHistories(ds, ids)),
    /** Declared intervention territories. */
    territories: new DataLoader<string, Territory[]>(async (ids) => {
      const rows = await run<TerritoryRow & { actor_id: string }>(
        ds,
        sql`SELECT at.actor_id, ${territoryColumns} FROM actor_territory at
            JOIN territory t ON t.level = at.level AND t.code = at.code
            WHERE at.actor_id = ANY(${ids}::uuid[]) ORDER BY t.population DESC NULLS LAST, t.name`,
      );
      const by = new Map<string, Territory[]>();
      for (const r of rows) by.set(r.actor_id, [...(by.get(r.actor_id) ?? []), toTerritory(r)]);
      return ids.map((id) => by.get(id) ?? []);
    }),
    /** Number of communes covered. */
    coveredCount: new DataLoader<string, number>(async (ids) => {
      const rows = await run<{ actor_id: string; n: string }>(
        ds,
        sql`SELECT actor_id, count(*) AS n FROM coverage_commune WHERE actor_id = ANY(${ids}::uuid[]) GROUP BY actor_id`,
      );
      const by = new Map(rows.map((r) => [r.actor_id, Number(r.n)]));
      return ids.map((id) => by.get(id) ?? 0);
    }),
    /** A page of covered communes, largest first. */
    coveredPage: new DataLoader<{ id: string; first: number; offset: number }, Territory[], string>(
      async (keys) => {
        const rows = await run<TerritoryRow & { k: number }>(
          ds,
          sql`SELECT k.n AS k, ${territoryColumns}
              FROM unnest(${keys.map((k) => k.id)}::uuid[], ${keys.map((k) => k.first)}::int[], ${keys.map((k) => k.offset)}::int[])
                WITH ORDINALITY AS k(id, first, "offset", n)
              CROSS JOIN LATERAL (
                SELECT t.* FROM coverage_commune cc JOIN territory t ON t.level = 'COMMUNE' AND t.code = cc.commune_code
                WHERE cc.actor_id = k.id ORDER BY t.population DESC NULLS LAST, t.code LIMIT k.first OFFSET k."offset") t`,
        );
        const by = new Map<number, Territory[]>();
        for (const r of rows) by.set(Number(r.k), [...(by.get(Number(r.k)) ?? []), toTerritory(r)]);
        return keys.map((_, i) => by.get(i + 1) ?? []);
      },
      { cacheKeyFn: (k) => `${k.id}:${k.first}:${k.offset}` },
    ),
  };
}
