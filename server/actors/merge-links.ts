import type { MembershipRole, MembershipStatus, PartnershipStatus } from '../coalitions/coalition-enums.js';

/** Which of two actors' open links a merge closes (actor-merge.ts): a pure rule, unit-tested. */

/** An open membership or partnership as the merge reads it, under its row lock. */
export interface OpenLink {
  id: string;
  /** The actor of the pair being merged that holds it. */
  side: 'keep' | 'remove';
  /** What must not be held twice: the coalition, or the other actor and the kind of partnership. */
  slot: string;
  /** Higher wins: status first (ACTIVE over INVITED over REQUESTED or PENDING), then role. */
  rank: number;
}

const MEMBERSHIP_STATUS_RANK: Partial<Record<MembershipStatus, number>> = { ACTIVE: 3, INVITED: 2, REQUESTED: 1 };
const ROLE_RANK: Record<MembershipRole, number> = { PILOTE: 4, SIGNATAIRE: 3, PARTENAIRE: 2, MEMBRE: 1 };
const PARTNERSHIP_STATUS_RANK: Partial<Record<PartnershipStatus, number>> = { ACTIVE: 2, PENDING: 1 };

export const membershipRank = (status: MembershipStatus, role: MembershipRole): number => (MEMBERSHIP_STATUS_RANK[status] ?? 0) * 10 + ROLE_RANK[role];
export const partnershipRank = (status: PartnershipStatus): number => PARTNERSHIP_STATUS_RANK[status] ?? 0;

/**
 * The open links to close before the removed actor's move to the kept one: where both hold one in
 * the same slot, the weaker (the kept actor's on a tie) is closed and the stronger moves or stays,
 * so the kept actor ends with exactly one, the best of the two (an active pilot stays an active
 * pilot, an accepted membership beats a pending request).
 */
export function linksToClose(links: readonly OpenLink[]): string[] {
  const bySlot = new Map<string, OpenLink[]>();
  for (const l of links) bySlot.set(l.slot, [...(bySlot.get(l.slot) ?? []), l]);
  const losers: string[] = [];
  for (const group of bySlot.values()) {
    if (group.length < 2) continue;
    const winner = group.reduce((best, l) => (l.rank > best.rank || (l.rank === best.rank && l.side === 'keep' && best.side !== 'keep') ? l : best));
    losers.push(...group.filter((l) => l !== winner).map((l) => l.id));
  }
  return losers;
}
