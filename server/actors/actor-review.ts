import { Field } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { type AuthUser, UserRole } from '../auth/auth.types.js';
import { StatusChange } from '../graphql/fields.js';
import { ReviewStatus } from './actor-enums.js';

/**
 * Where an actor acts, as the permission and moderation rules read it: from its resolved coverage
 * (coverage_area, so a radius counts by the communes it reaches) and its declared territories.
 */
export interface ActorReach {
  /** Régions (codes) of the communes it covers. */
  regions: string[];
  /** Départements (codes) of the communes it covers. */
  departements: string[];
  /** Declared REGION and PAYS territories, as `LEVEL:CODE`. */
  broad: string[];
}

export const NO_REACH: ActorReach = { regions: [], departements: [], broad: [] };

/** Wider than a département: a whole région or the country declared, or communes of several départements. */
export const isWide = (r: ActorReach): boolean => r.broad.length > 0 || r.departements.length > 1;

/**
 * Whether an actor lies wholly in a région: it covers at least one commune, every commune it
 * covers is in that région (a commune, arrondissement, EPCI, EPT or département of the région, the
 * région itself, or a radius whose communes are all in it), and it does not declare the country.
 */
export const liesWhollyIn = (r: ActorReach, region: string | null): boolean =>
  !!region && r.regions.length > 0 && r.regions.every((c) => c === region) && !r.broad.some((k) => k.startsWith('PAYS:'));

/** Newly wide: wide now, and reaching a département, région or the country it did not reach before. */
export const widens = (before: ActorReach, after: ActorReach): boolean =>
  isWide(after) && (after.broad.some((k) => !before.broad.includes(k)) || after.departements.some((d) => !before.departements.includes(d)));

/** A review status and why (recorded in actor_review_event). */
export interface ReviewDecision {
  status: ReviewStatus;
  reason: string;
}

/**
 * The moderation rules. Only ACTIVE + VALIDATED actors count in the gap figures (migration
 * 1764000000017), so a directory anyone may write cannot erase the gap analysis:
 * - created by an administrator (or the command line, `author` null): validated;
 * - created by an ARS analyst: validated if it lies wholly in the analyst's région and is no wider
 *   than a département, otherwise pending;
 * - created by anyone else (member, coordinator): pending;
 * - changed by anyone but an administrator: a validated actor goes back to pending when the change
 *   widens it beyond a département (REGION, PAYS, or a new département when it spans several), or
 *   when an analyst who does not represent it moves it out of his région; a rejected actor goes
 *   back to pending (resubmitted); a pending one stays pending.
 * Analysts of a région the actor covers and administrators then validate or reject it.
 */
export const ActorReview = {
  onCreate(author: AuthUser | null, reach: ActorReach): ReviewDecision {
    if (!author) return { status: ReviewStatus.VALIDATED, reason: 'Import par la ligne de commande du serveur' };
    if (author.role === UserRole.ADMIN) return { status: ReviewStatus.VALIDATED, reason: 'Créé par un administrateur' };
    if (author.role === UserRole.ANALYST) {
      return liesWhollyIn(reach, author.regionCode) && !isWide(reach)
        ? { status: ReviewStatus.VALIDATED, reason: 'Créé par un analyste ARS, dans sa région' }
        : {
            status: ReviewStatus.PENDING_REVIEW,
            reason: 'Créé par un analyste ARS hors de sa région ou sur plus d’un département : en attente de validation',
          };
    }
    return { status: ReviewStatus.PENDING_REVIEW, reason: 'Créé par un compte membre : en attente de validation par un analyste ARS ou un administrateur' };
  },

  /** The decision after a change by `editor`, or null when the status stays. */
  onUpdate(editor: AuthUser | null, current: ReviewStatus, before: ActorReach, after: ActorReach, actorId: string): ReviewDecision | null {
    if (!editor || editor.role === UserRole.ADMIN) return null;
    if (current === ReviewStatus.REJECTED) return { status: ReviewStatus.PENDING_REVIEW, reason: 'Modifié après refus : à examiner de nouveau' };
    if (current !== ReviewStatus.VALIDATED) return null;
    if (widens(before, after)) {
      return { status: ReviewStatus.PENDING_REVIEW, reason: 'Territoire élargi au-delà d’un département : en attente de validation' };
    }
    if (editor.role === UserRole.ANALYST && !editor.actorIds.includes(actorId) && !liesWhollyIn(after, editor.regionCode)) {
      return { status: ReviewStatus.PENDING_REVIEW, reason: 'Territoire déplacé hors de la région de l’analyste : en attente de validation' };
    }
    return null;
  },
};

@ObjectType({ description: 'Un changement du statut de modération d’un acteur' })
export class ActorReviewEvent extends StatusChange(ReviewStatus, { fromStatus: 'Statut précédent (aucun à la création)' }) {
  @Field(() => String, { nullable: true, description: 'Raison donnée ou motif du changement automatique' }) reason: string | null;
}
