import type { Client } from '@urql/core';
import { errorMessage } from '../graphql/client';
import { LOG_IN, LOG_OUT, ME, SIGN_UP } from '../graphql/coalitions';

export interface SessionUser {
  id: string;
  email: string;
  displayName: string;
  role: string;
  regionCode: string | null;
  actors: { id: string; name: string }[];
}

/**
 * Who is logged in. The session itself is an HttpOnly cookie the page never reads: this only
 * mirrors `me`, refreshed at start and after logging in or out.
 */
export class Session {
  user = $state<SessionUser | null>(null);
  loaded = $state(false);
  private client: Client | null = null;

  init(client: Client) {
    this.client = client;
    return this.refresh();
  }

  async refresh(): Promise<void> {
    const r = await this.client!.query(ME, {}, { requestPolicy: 'network-only' }).toPromise();
    this.user = r.data?.me ?? null;
    this.loaded = true;
  }

  /** Returns the error message to show, or null on success. */
  async logIn(email: string, password: string): Promise<string | null> {
    const r = await this.client!.mutation(LOG_IN, { email, password }).toPromise();
    if (r.error) return errorMessage(r.error);
    // logIn answers without the actors the account represents: `me`, with the new cookie, has them.
    this.user = r.data.logIn;
    await this.refresh();
    return null;
  }

  async signUp(email: string, password: string, displayName: string): Promise<string | null> {
    const r = await this.client!.mutation(SIGN_UP, { input: { email, password, displayName } }).toPromise();
    if (r.error) return errorMessage(r.error);
    this.user = r.data.signUp;
    await this.refresh();
    return null;
  }

  async logOut(): Promise<string | null> {
    const r = await this.client!.mutation(LOG_OUT, {}).toPromise();
    if (r.error) return errorMessage(r.error);
    this.user = null;
    return null;
  }
}

export const session = new Session();
