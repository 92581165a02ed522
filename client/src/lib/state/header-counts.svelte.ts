import { queryFresh } from '../graphql/client';
import type { Client } from '@urql/core';
import { HEADER_COUNTS } from '../graphql/espace';
import { session } from './session.svelte';

/** How often an open page asks for its account's counts (unread notifications, requests to decide). */
export const POLL_MS = 30_000;

/**
 * The polling interval: `POLL_MS`, or `?poll=<milliseconds>` in the address the app was opened
 * with (200 ms to 10 min), so that a browser test does not wait half a minute.
 */
export function pollInterval(search: string): number {
  const asked = Number(/[?&]poll=(\d{1,7})(?:&|$)/.exec(search)?.[1]);
  return Number.isInteger(asked) && asked >= 200 ? Math.min(asked, 600_000) : POLL_MS;
}

/**
 * The counts of the header, kept fresh by polling: `unreadNotificationCount` and
 * `pendingRequestsToDecideCount` in one small POST (`network-only`, never the cache) every
 * `interval` ms while the page is visible; a hidden tab asks nothing and asks at once when it shows
 * again. Polling rather than a WebSocket: see README « Notifications ».
 */
export class HeaderCounts {
  unread = $state<number | null>(null);
  toDecide = $state<number | null>(null);
  /** Bumped whenever a count changes: what shows the notifications or the requests reads them again. */
  changes = $state(0);
  private client: Client | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Moves on each start and stop: an answer or a timer of an earlier one is dropped. */
  private generation = 0;
  private readonly interval = pollInterval(location.search);
  private readonly onVisibility = () => {
    if (document.visibilityState === 'visible') void this.tick();
    else this.clear();
  };

  /** Starts polling for the signed-in account (again from now if already started). */
  start(client: Client): void {
    this.client = client;
    this.stop();
    document.addEventListener('visibilitychange', this.onVisibility);
    void this.tick();
  }

  /** Stops polling and forgets the counts (signed out). */
  stop(): void {
    this.generation++;
    this.clear();
    document.removeEventListener('visibilitychange', this.onVisibility);
    this.unread = this.toDecide = null;
  }

  /** Reads the counts now (after a decision or a « marquer comme lu », say). */
  async refresh(): Promise<void> {
    if (!this.client) return;
    const generation = this.generation;
    const r = await queryFresh(this.client, HEADER_COUNTS, {});
    if (!r.data || generation !== this.generation) return;
    // The session was ended elsewhere (another browser, a new password): this page is signed out now.
    if (!r.data.me) {
      void session.refresh();
      return;
    }
    const { unreadNotificationCount: unread, pendingRequestsToDecideCount: toDecide } = r.data;
    if (unread !== this.unread || toDecide !== this.toDecide) {
      // The first reading is no change.
      if (this.unread !== null) this.changes++;
      this.unread = unread;
      this.toDecide = toDecide;
    }
  }

  private async tick(): Promise<void> {
    this.clear();
    const generation = this.generation;
    await this.refresh();
    if (generation !== this.generation) return;
    if (document.visibilityState === 'visible') this.timer = setTimeout(() => void this.tick(), this.interval);
  }

  private clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

export const headerCounts = new HeaderCounts();
