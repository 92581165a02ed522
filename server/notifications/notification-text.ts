import { type NotificationKind } from './notify.js';

/**
 * What a notification's payload may hold (every key optional: a payload written by an older
 * version still reads). Names are copied when the event happens, from what the recipients may see.
 */
export interface NotificationPayload {
  coalitionId?: string;
  coalitionName?: string;
  actorId?: string;
  actorName?: string;
  membershipId?: string;
  /** The status the event led to (ACTIVE, REJECTED, VALIDATED, ACCEPTED…). */
  status?: string;
  reason?: string | null;
  partnershipId?: string;
  partnerName?: string;
  claimId?: string;
  /** Who asks to represent the actor (a claim): display name, never an e-mail. */
  claimantName?: string;
  /** A decision, when the payload says it as a yes or no rather than a status. */
  accepted?: boolean;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : undefined);

/** The payload as stored (jsonb), keeping only text and yes-or-no values. */
export function readPayload(raw: unknown): NotificationPayload {
  if (!raw || typeof raw !== 'object') return {};
  return Object.fromEntries(Object.entries(raw as Record<string, unknown>).flatMap(([k, v]) => (str(v) || typeof v === 'boolean' ? [[k, v]] : [])));
}

const ACCEPTED = new Set(['ACTIVE', 'ACCEPTED', 'APPROVED', 'VALIDATED', 'GRANTED']);
const quoted = (name: string | undefined, fallback: string) => (name ? `« ${name} »` : fallback);
const UUID = /^[0-9a-f-]{36}$/i;
const actorPath = (p: NotificationPayload) => (p.actorId && UUID.test(p.actorId) ? `/acteurs/${p.actorId}` : '/mon-espace');
const coalitionPath = (p: NotificationPayload) => (p.coalitionId && UUID.test(p.coalitionId) ? `/coalitions/${p.coalitionId}` : '/mon-espace');

/** The French message of a notification and the page where to act, from its kind and payload. */
export function describeNotification(kind: NotificationKind, p: NotificationPayload): { text: string; path: string } {
  const actor = quoted(p.actorName, 'un acteur');
  const coalition = quoted(p.coalitionName, 'une coalition');
  const accepted = p.accepted ?? (!!p.status && ACCEPTED.has(p.status));
  const because = p.reason ? ` Motif : ${p.reason}` : '';
  switch (kind) {
    case 'JOIN_REQUEST_RECEIVED':
      return { text: `${actor} demande à rejoindre ${coalition}.`, path: '/mon-espace' };
    case 'JOIN_REQUEST_DECIDED':
      return accepted
        ? { text: `La demande de ${actor} pour rejoindre ${coalition} a été acceptée.`, path: coalitionPath(p) }
        : { text: `La demande de ${actor} pour rejoindre ${coalition} a été refusée.`, path: '/mon-espace' };
    case 'INVITATION_RECEIVED':
      return { text: `${actor} est invité à rejoindre ${coalition}.`, path: '/mon-espace' };
    case 'MODERATION_DECIDED':
      return { text: `La fiche ${actor} a été ${accepted ? 'validée' : 'refusée'}.${because}`, path: actorPath(p) };
    case 'PARTNERSHIP_TO_CONFIRM':
      return { text: `${actor} déclare un partenariat avec ${quoted(p.partnerName, 'un de vos acteurs')} : à confirmer.`, path: '/mon-espace' };
    case 'CLAIM_RECEIVED':
      return { text: `${p.claimantName ?? 'Un compte'} demande à représenter ${actor}.`, path: '/mon-espace' };
    case 'CLAIM_DECIDED':
      return {
        text: `Votre demande pour représenter ${actor} a été ${accepted ? 'acceptée' : 'refusée'}.${because}`,
        path: accepted ? actorPath(p) : '/mon-espace',
      };
  }
}
