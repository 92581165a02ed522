import { describe, expect, it } from 'vitest';
import {
  MembershipMachine,
  type MembershipAction,
  type MembershipParty,
  PartnershipMachine,
  type PartnershipAction,
  type PartnershipParty,
} from '../../server/coalitions/coalition.transitions.js';
import type { AppError } from '../../server/graphql/errors.js';

/** Every subset of a list: each party alone, together, and nobody. */
function subsets<T>(items: readonly T[]): T[][] {
  return items.reduce<T[][]>((all, item) => [...all, ...all.map((s) => [...s, item])], [[]]);
}

function outcome<S extends string, A extends string, P extends string>(
  machine: { next(action: A, from: S | null, parties: Iterable<P>): S },
  action: A,
  from: S | null,
  parties: P[],
): { to: S } | { code: string; currentStatus?: unknown } {
  try {
    return { to: machine.next(action, from, parties) };
  } catch (err) {
    const e = err as AppError;
    return { code: e.extensions.code as string, currentStatus: e.extensions.currentStatus };
  }
}

// The rules as README « Rôles et règles » states them, written out independently of the table.
const MEMBERSHIP_EXPECTED: Record<string, Partial<Record<MembershipAction, string>>> = {
  new: { FOUND: 'ACTIVE', REQUEST: 'REQUESTED', JOIN: 'ACTIVE', INVITE: 'INVITED' },
  REQUESTED: { ACCEPT: 'ACTIVE', REJECT: 'REJECTED', LEAVE: 'LEFT' },
  INVITED: { ACCEPT_INVITATION: 'ACTIVE', DECLINE_INVITATION: 'REJECTED', LEAVE: 'LEFT' },
  ACTIVE: { LEAVE: 'LEFT' },
  REJECTED: {},
  LEFT: {},
};
const MEMBERSHIP_WHO: Record<MembershipAction, MembershipParty[]> = {
  FOUND: ['FOUNDER'],
  REQUEST: ['REPRESENTATIVE'],
  JOIN: ['REPRESENTATIVE'],
  INVITE: ['COORDINATOR'],
  ACCEPT: ['COORDINATOR'],
  REJECT: ['COORDINATOR'],
  ACCEPT_INVITATION: ['REPRESENTATIVE'],
  DECLINE_INVITATION: ['REPRESENTATIVE'],
  LEAVE: ['REPRESENTATIVE', 'COORDINATOR'],
};
const MEMBERSHIP_PARTIES: MembershipParty[] = ['REPRESENTATIVE', 'COORDINATOR', 'FOUNDER'];

describe('membership transition table', () => {
  const cases = Object.entries(MEMBERSHIP_EXPECTED).flatMap(([from, allowed]) =>
    (Object.keys(MEMBERSHIP_WHO) as MembershipAction[]).flatMap((action) =>
      subsets(MEMBERSHIP_PARTIES).map((parties) => ({ from, action, parties, to: allowed[action] })),
    ),
  );

  it('should allow exactly the documented moves, to the documented status, for the documented parties', () => {
    for (const { from, action, parties, to } of cases) {
      const isParty = parties.some((p) => MEMBERSHIP_WHO[action].includes(p));
      const got = outcome(MembershipMachine, action, from === 'new' ? null : (from as never), parties);
      const expected = !isParty ? { code: 'FORBIDDEN' } : to ? { to } : { code: 'CONFLICT', currentStatus: from === 'new' ? undefined : from };
      expect(got, `${action} from ${from} by [${parties.join(',')}]`).toEqual(expected);
    }
  });

  it('should refuse every forbidden transition: no move out of REJECTED or LEFT, no second answer, nobody without a part', () => {
    for (const action of Object.keys(MEMBERSHIP_WHO) as MembershipAction[]) {
      for (const from of ['REJECTED', 'LEFT'] as const) {
        expect(outcome(MembershipMachine, action, from, MEMBERSHIP_PARTIES)).toMatchObject({ code: 'CONFLICT', currentStatus: from });
      }
      expect(outcome(MembershipMachine, action, 'REQUESTED', [])).toEqual({ code: 'FORBIDDEN' });
    }
    expect(outcome(MembershipMachine, 'ACCEPT', 'ACTIVE', ['COORDINATOR'])).toMatchObject({ code: 'CONFLICT' });
    expect(outcome(MembershipMachine, 'ACCEPT_INVITATION', 'ACTIVE', ['REPRESENTATIVE'])).toMatchObject({ code: 'CONFLICT' });
  });

  it('should not let a requesting actor accept its own request, nor a coordinator answer an invitation for the actor', () => {
    expect(outcome(MembershipMachine, 'ACCEPT', 'REQUESTED', ['REPRESENTATIVE'])).toEqual({ code: 'FORBIDDEN' });
    expect(outcome(MembershipMachine, 'ACCEPT_INVITATION', 'INVITED', ['COORDINATOR'])).toEqual({ code: 'FORBIDDEN' });
    expect(outcome(MembershipMachine, 'INVITE', null, ['REPRESENTATIVE'])).toEqual({ code: 'FORBIDDEN' });
  });

  it('should say what each action leaves from, as the conditional UPDATE uses it', () => {
    expect(MembershipMachine.from('LEAVE').sort()).toEqual(['ACTIVE', 'INVITED', 'REQUESTED']);
    expect(MembershipMachine.from('ACCEPT')).toEqual(['REQUESTED']);
  });
});

const PARTNERSHIP_EXPECTED: Record<string, Partial<Record<PartnershipAction, string>>> = {
  new: { DECLARE: 'PENDING' },
  PENDING: { CONFIRM: 'ACTIVE', DECLINE: 'DECLINED', END: 'ENDED' },
  ACTIVE: { END: 'ENDED', EXPIRE: 'ENDED' },
  DECLINED: {},
  ENDED: {},
};
const PARTNERSHIP_WHO: Record<PartnershipAction, PartnershipParty[]> = {
  DECLARE: ['DECLARER'],
  CONFIRM: ['DECIDER'],
  DECLINE: ['DECIDER'],
  END: ['INSIDER'],
  EXPIRE: ['CALENDAR'],
};
const PARTNERSHIP_PARTIES: PartnershipParty[] = ['DECLARER', 'DECIDER', 'INSIDER', 'DECLARING_SIDE', 'CALENDAR'];

describe('partnership transition table', () => {
  it('should allow exactly the documented moves and refuse every other one', () => {
    for (const [from, allowed] of Object.entries(PARTNERSHIP_EXPECTED)) {
      for (const action of Object.keys(PARTNERSHIP_WHO) as PartnershipAction[]) {
        for (const parties of subsets(PARTNERSHIP_PARTIES)) {
          const isParty = parties.some((p) => PARTNERSHIP_WHO[action].includes(p));
          const to = allowed[action];
          const expected = !isParty ? { code: 'FORBIDDEN' } : to ? { to } : { code: 'CONFLICT', currentStatus: from === 'new' ? undefined : from };
          const got = outcome(PartnershipMachine, action, from === 'new' ? null : (from as never), parties);
          expect(got, `${action} from ${from} by [${parties.join(',')}]`).toEqual(expected);
        }
      }
    }
  });

  it('should tell the declaring side that confirming is the other side’s to do', () => {
    expect(() => PartnershipMachine.next('CONFIRM', 'PENDING', ['DECLARING_SIDE', 'INSIDER'])).toThrow(
      /Le côté qui a déclaré ce partenariat ne peut pas le confirmer/,
    );
    expect(() => PartnershipMachine.next('DECLINE', 'PENDING', ['INSIDER'])).toThrow(/Seuls les représentants de l’acteur partenaire/);
  });

  it('should give a viewer the right to decide only while pending, and to end only while pending or active', () => {
    expect(['PENDING', 'ACTIVE', 'DECLINED', 'ENDED'].filter((s) => PartnershipMachine.allows('CONFIRM', s as never, ['DECIDER']))).toEqual(['PENDING']);
    expect(['PENDING', 'ACTIVE', 'DECLINED', 'ENDED'].filter((s) => PartnershipMachine.allows('END', s as never, ['INSIDER']))).toEqual(['PENDING', 'ACTIVE']);
  });
});
