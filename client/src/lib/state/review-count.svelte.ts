import type { Client } from '@urql/core';
import { REVIEW_COUNT } from '../graphql/moderation';

/** The roles that read the moderation queue (the server checks again: reviewQueue answers FORBIDDEN to the others). */
export const REVIEWER_ROLES: readonly string[] = ['ANALYST', 'ADMIN'];

/**
 * How many actors wait for the signed-in account's decision, shown beside the header's
 * « Modération » link: read when an analyst or an administrator signs in, and after each decision.
 */
export class ReviewCount {
  count = $state<number | null>(null);

  async refresh(client: Client, role: string | null | undefined): Promise<void> {
    if (!role || !REVIEWER_ROLES.includes(role)) {
      this.count = null;
      return;
    }
    const r = await client.query(REVIEW_COUNT, {}, { requestPolicy: 'network-only' }).toPromise();
    this.count = r.data?.reviewQueue.totalCount ?? null;
  }
}

export const reviewCount = new ReviewCount();
