import { MembershipStatus as M, PartnershipStatus as P } from './coalition-enums.js';
import { StateMachine, type Transition } from './state-machine.js';

/**
 * Who a user is for a membership (see `Permissions.membershipParties`):
 * - `REPRESENTATIVE`: represents the membership's actor;
 * - `COORDINATOR`: manages the coalition (an active pilot's representative, an ARS analyst of its
 *   région, an administrator);
 * - `FOUNDER`: creates the coalition, whose pilot becomes its first member.
 */
export type MembershipParty = 'REPRESENTATIVE' | 'COORDINATOR' | 'FOUNDER';

export type MembershipAction = 'FOUND' | 'REQUEST' | 'JOIN' | 'INVITE' | 'ACCEPT' | 'REJECT' | 'ACCEPT_INVITATION' | 'DECLINE_INVITATION' | 'LEAVE';

type MembershipTransition = Transition<M, MembershipAction, MembershipParty>;

/**
 * Every change of a membership's status. A request asks to join (`REQUEST`), or joins at once an
 * open coalition (`JOIN`); only a coordinator decides a request or invites; only the invited
 * actor's representatives answer an invitation; the actor or a coordinator ends a membership,
 * active or still open. REJECTED and LEFT are final: coming back is a new membership.
 */
export const MEMBERSHIP_TRANSITIONS: readonly MembershipTransition[] = [
  { action: 'FOUND', from: null, to: M.ACTIVE, by: ['FOUNDER'] },
  { action: 'REQUEST', from: null, to: M.REQUESTED, by: ['REPRESENTATIVE'] },
  { action: 'JOIN', from: null, to: M.ACTIVE, by: ['REPRESENTATIVE'] },
  { action: 'INVITE', from: null, to: M.INVITED, by: ['COORDINATOR'] },
  { action: 'ACCEPT', from: M.REQUESTED, to: M.ACTIVE, by: ['COORDINATOR'] },
  { action: 'REJECT', from: M.REQUESTED, to: M.REJECTED, by: ['COORDINATOR'] },
  { action: 'ACCEPT_INVITATION', from: M.INVITED, to: M.ACTIVE, by: ['REPRESENTATIVE'] },
  { action: 'DECLINE_INVITATION', from: M.INVITED, to: M.REJECTED, by: ['REPRESENTATIVE'] },
  { action: 'LEAVE', from: M.ACTIVE, to: M.LEFT, by: ['REPRESENTATIVE', 'COORDINATOR'] },
  { action: 'LEAVE', from: M.REQUESTED, to: M.LEFT, by: ['REPRESENTATIVE', 'COORDINATOR'] },
  { action: 'LEAVE', from: M.INVITED, to: M.LEFT, by: ['REPRESENTATIVE', 'COORDINATOR'] },
];

const alreadyOpen = 'Cet acteur a déjà une demande, une invitation ou une adhésion en cours dans cette coalition.';
const requestForbidden = 'Vous ne pouvez demander l’adhésion que d’un acteur que vous représentez.';
const decideForbidden = 'Seuls les coordinateurs de cette coalition décident des demandes.';
const answerForbidden = 'Seuls les représentants de l’acteur invité répondent à l’invitation.';

export const MembershipMachine = new StateMachine<M, MembershipAction, MembershipParty>(MEMBERSHIP_TRANSITIONS, {
  FOUND: { forbidden: 'Seuls les coordinateurs, les analystes ARS et les administrateurs créent des coalitions.', conflict: alreadyOpen },
  REQUEST: { forbidden: requestForbidden, conflict: alreadyOpen },
  JOIN: { forbidden: requestForbidden, conflict: alreadyOpen },
  INVITE: { forbidden: 'Seuls les coordinateurs de cette coalition invitent.', conflict: alreadyOpen },
  ACCEPT: { forbidden: decideForbidden, conflict: 'Cette demande a déjà été traitée.' },
  REJECT: { forbidden: decideForbidden, conflict: 'Cette demande a déjà été traitée.' },
  ACCEPT_INVITATION: { forbidden: answerForbidden, conflict: 'Cette invitation a déjà reçu une réponse.' },
  DECLINE_INVITATION: { forbidden: answerForbidden, conflict: 'Cette invitation a déjà reçu une réponse.' },
  LEAVE: {
    forbidden: 'Seuls les représentants de l’acteur ou les coordinateurs de la coalition mettent fin à une adhésion.',
    conflict: 'Cette adhésion est déjà terminée.',
  },
});

/** A move to one of these statuses records who decided, and when. */
export const DECIDED_STATUSES: readonly M[] = [M.ACTIVE, M.REJECTED];

/**
 * Who a user is for a partnership (see `PartnershipRules.parties`):
 * - `DECLARER`: may declare it (represents the declaring actor, or an administrator);
 * - `DECIDER`: may confirm or decline it (the other side, an ARS analyst of their régions, an
 *   administrator, never the declaring side);
 * - `INSIDER`: either side, the ARS analysts of their régions, administrators;
 * - `DECLARING_SIDE`: represents the declaring actor or declared it (said in the refusal);
 * - `CALENDAR`: the end date has passed (no user).
 */
export type PartnershipParty = 'DECLARER' | 'DECIDER' | 'INSIDER' | 'DECLARING_SIDE' | 'CALENDAR';

export type PartnershipAction = 'DECLARE' | 'CONFIRM' | 'DECLINE' | 'END' | 'EXPIRE';

/**
 * Every change of a partnership's status: declared PENDING, confirmed (ACTIVE) or declined by the
 * other side, ended by either side while pending or active; an active one whose period is over
 * ends when the same pair declares it again. DECLINED and ENDED are final.
 */
export const PARTNERSHIP_TRANSITIONS: readonly Transition<P, PartnershipAction, PartnershipParty>[] = [
  { action: 'DECLARE', from: null, to: P.PENDING, by: ['DECLARER'] },
  { action: 'CONFIRM', from: P.PENDING, to: P.ACTIVE, by: ['DECIDER'] },
  { action: 'DECLINE', from: P.PENDING, to: P.DECLINED, by: ['DECIDER'] },
  { action: 'END', from: P.PENDING, to: P.ENDED, by: ['INSIDER'] },
  { action: 'END', from: P.ACTIVE, to: P.ENDED, by: ['INSIDER'] },
  { action: 'EXPIRE', from: P.ACTIVE, to: P.ENDED, by: ['CALENDAR'] },
];

const decide = (verb: string) => (parties: ReadonlySet<PartnershipParty>) =>
  parties.has('DECLARING_SIDE')
    ? `Le côté qui a déclaré ce partenariat ne peut pas le ${verb} : c’est à l’autre acteur de le faire.`
    : `Seuls les représentants de l’acteur partenaire, les analystes ARS de sa région et les administrateurs peuvent le ${verb}.`;

const notPending = 'Ce partenariat n’est plus en attente de confirmation.';

export const PartnershipMachine = new StateMachine<P, PartnershipAction, PartnershipParty>(PARTNERSHIP_TRANSITIONS, {
  DECLARE: {
    forbidden: 'Vous ne pouvez déclarer un partenariat que pour un acteur que vous représentez.',
    conflict: 'Un partenariat de cette nature est déjà déclaré entre ces deux acteurs (en attente de confirmation ou actif).',
  },
  CONFIRM: { forbidden: decide('confirmer'), conflict: notPending },
  DECLINE: { forbidden: decide('refuser'), conflict: notPending },
  END: {
    forbidden: 'Seuls les représentants des deux acteurs, les analystes ARS de leur région et les administrateurs mettent fin à un partenariat.',
    conflict: 'Ce partenariat est déjà terminé ou refusé.',
  },
  EXPIRE: { forbidden: 'Seul le calendrier termine un partenariat dont la période est passée.', conflict: 'Ce partenariat n’est pas actif.' },
});
