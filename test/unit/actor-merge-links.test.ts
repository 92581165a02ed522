import { describe, expect, it } from 'vitest';
import { linksToClose, membershipRank, partnershipRank, type OpenLink } from '../../server/actors/merge-links.js';

/** The open memberships and partnerships a merge closes so that the kept actor holds one per coalition (or partner and kind), the best. */
const link = (id: string, side: OpenLink['side'], slot: string, rank: number): OpenLink => ({ id, side, slot, rank });

describe('linksToClose', () => {
  it('should close nothing when the two actors never share a slot', () => {
    expect(linksToClose([link('k1', 'keep', 'c1', 31), link('r1', 'remove', 'c2', 31)])).toEqual([]);
  });

  it('should keep the stronger of two memberships of one coalition: an active one over a request, a pilot over a member', () => {
    expect(linksToClose([link('k', 'keep', 'c', membershipRank('REQUESTED', 'MEMBRE')), link('r', 'remove', 'c', membershipRank('ACTIVE', 'MEMBRE'))])).toEqual(
      ['k'],
    );
    expect(linksToClose([link('k', 'keep', 'c', membershipRank('ACTIVE', 'MEMBRE')), link('r', 'remove', 'c', membershipRank('ACTIVE', 'PILOTE'))])).toEqual([
      'k',
    ]);
    expect(
      linksToClose([link('k', 'keep', 'c', membershipRank('INVITED', 'PILOTE')), link('r', 'remove', 'c', membershipRank('REQUESTED', 'PILOTE'))]),
    ).toEqual(['r']);
  });

  it('should keep the kept actor’s on a tie, whatever the order read', () => {
    const rank = membershipRank('ACTIVE', 'PARTENAIRE');
    expect(linksToClose([link('r', 'remove', 'c', rank), link('k', 'keep', 'c', rank)])).toEqual(['r']);
    expect(linksToClose([link('k', 'keep', 'c', rank), link('r', 'remove', 'c', rank)])).toEqual(['r']);
  });

  it('should keep a confirmed partnership over a pending one with the same partner and kind', () => {
    expect(
      linksToClose([link('k', 'keep', 'x:CONVENTION', partnershipRank('PENDING')), link('r', 'remove', 'x:CONVENTION', partnershipRank('ACTIVE'))]),
    ).toEqual(['k']);
    expect(linksToClose([link('k', 'keep', 'x:CONVENTION', partnershipRank('PENDING')), link('r', 'remove', 'x:AUTRE', partnershipRank('ACTIVE'))])).toEqual(
      [],
    );
  });
});
