import { Field, ID } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import { sql } from '../db/sql.js';
import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';
import { ChangedByField } from '../graphql/fields.js';

/** Where a claim to represent an actor stands. */
export const ClaimStatus = defineEnum('ActorClaimStatus');
export type ClaimStatus = EnumValue<typeof ClaimStatus>;

/**
 * An account's request to represent an actor (actor_claim). Seen only by its claimant and by the
 * accounts that may decide it (claim.permissions.ts): it is reached through `myActorClaims`,
 * `actorClaimsToDecide` and the answers of the claim mutations, never through an actor.
 */
@ObjectType({ description: 'Demande d’un compte à représenter un acteur (visible de son auteur et de qui peut la décider)' })
export class ActorClaim {
  @Field(() => ID) id: string;

  accountId: string;
  actorId: string;

  @Field(() => ClaimStatus) status: ClaimStatus;

  @Field(() => String, { description: 'Libellé de l’état' })
  get statusLabel(): string {
    return enumLabels(ClaimStatus)[this.status];
  }

  @Field(() => String, { nullable: true, description: 'Message de la personne qui demande (qui elle est dans la structure…)' }) message: string | null;
  @Field(() => String, { description: 'Nom affiché de la personne qui demande (jamais son courriel)' }) claimantName: string;
  @Field(() => String, { nullable: true, description: 'Motif donné avec la décision' }) decisionReason: string | null;

  @ChangedByField()
  decidedByName: string | null;

  @Field(() => Date) createdAt: Date;
  @Field(() => Date, { nullable: true }) decidedAt: Date | null;

  @Field(() => Boolean, { description: 'Vrai si la demande est en attente et que le compte connecté peut l’accepter ou la refuser' })
  viewerCanDecide = false;

  @Field(() => Boolean, { description: 'Vrai si la demande est en attente et que le compte connecté l’a faite (il peut la retirer)' })
  viewerCanWithdraw = false;
}

export interface ClaimRow {
  id: string;
  account_id: string;
  actor_id: string;
  status: ClaimStatus;
  message: string | null;
  claimant_name: string;
  decision_reason: string | null;
  decided_by_name: string | null;
  created_at: Date;
  decided_at: Date | null;
}

/** The columns of a claim read (`c` is actor_claim), with the names of the claimant and of who decided. */
export const CLAIM_COLUMNS = sql`c.id, c.account_id, c.actor_id, c.status, c.message, c.decision_reason, c.created_at, c.decided_at,
  (SELECT u.display_name FROM user_account u WHERE u.id = c.account_id) AS claimant_name,
  (SELECT u.display_name FROM user_account u WHERE u.id = c.decided_by) AS decided_by_name`;

export function toClaim(r: ClaimRow): ActorClaim {
  return Object.assign(new ActorClaim(), {
    id: r.id,
    accountId: r.account_id,
    actorId: r.actor_id,
    status: r.status,
    message: r.message,
    claimantName: r.claimant_name,
    decisionReason: r.decision_reason,
    decidedByName: r.decided_by_name,
    createdAt: new Date(r.created_at),
    decidedAt: r.decided_at ? new Date(r.decided_at) : null,
  });
}
