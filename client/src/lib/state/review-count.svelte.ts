import { queryFresh } from '../graphql/client';
import type { Client } from '@urql/core';
import { REVIEW_COUNT } from '../graphql/moderation';

/** The roles that read the moderation queue (the server checks again: reviewQueue answers FORBIDDEN to the others). */
export const REVIEWER_ROLES: readonly string[] = ['ANALYST', 'ADMIN'];

/**
 * How many decisions wait for the signed-in account (actors to validate and proposed changes to
 * accept or refuse, both listed on /moderation), shown beside the header's « Modération » link: read
 * when an analyst or an administrator signs in, and after each decision.
 */
export class ReviewCount {
  count = $state<number | null>(null);

  async refresh(client: Client, role: string | null | undefined): Promise<void> {
    if (!role || !REVIEWER_ROLES.includes(role)) {
      this.count = null;
      return;
    }
    const r = await queryFresh(client, REVIEW_COUNT, {});
    const actors = r.data?.reviewQueue.totalCount;
    const proposals = r.data?.actorChangeProposals.totalCount;
    this.count = actors === undefined || proposals === undefined ? null : actors + proposals;
  }
}

export const reviewCount = new ReviewCount();
