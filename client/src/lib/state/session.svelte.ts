import type { Client, CombinedError } from '@urql/core';
import { CHANGE_PASSWORD, END_SESSION, LOG_OUT_EVERYWHERE, MY_SESSIONS } from '../graphql/account';
import { errorMessage } from '../graphql/client';
import type { ResultOf } from '../graphql/graphql';
import { LOG_IN, LOG_OUT, ME, SIGN_UP } from '../graphql/coalitions';

/** The signed-in account, as `me` returns it. */
export type SessionUser = NonNullable<ResultOf<typeof ME>['me']>;

/** One open session of the account, as `mySessions` lists it. */
export type OpenSession = ResultOf<typeof MY_SESSIONS>['mySessions'][number];

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
    if (!r.data) return errorMessage(r.error);
    // logIn answers without the actors the account represents: `me`, with the new cookie, has them.
    this.user = r.data.logIn;
    await this.refresh();
    return null;
  }

  async signUp(email: string, password: string, displayName: string): Promise<string | null> {
    const r = await this.client!.mutation(SIGN_UP, { input: { email, password, displayName } }).toPromise();
    if (!r.data) return errorMessage(r.error);
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

  /** The open sessions of the account, or the error to show. */
  async sessions(): Promise<{ sessions: OpenSession[]; error: string | null }> {
    const r = await this.client!.query(MY_SESSIONS, {}, { requestPolicy: 'network-only' }).toPromise();
    this.endedElsewhere(r.error);
    return { sessions: r.data?.mySessions ?? [], error: errorMessage(r.error) };
  }

  /** Ends one session of the account; ending the current one signs this page out. */
  async endSession(session: OpenSession): Promise<string | null> {
    const r = await this.client!.mutation(END_SESSION, { id: session.id }).toPromise();
    if (this.endedElsewhere(r.error)) return null;
    if (r.error) return errorMessage(r.error);
    if (session.current) this.user = null;
    return null;
  }

  async logOutEverywhere(): Promise<string | null> {
    const r = await this.client!.mutation(LOG_OUT_EVERYWHERE, {}).toPromise();
    if (this.endedElsewhere(r.error)) return null;
    if (r.error) return errorMessage(r.error);
    this.user = null;
    return null;
  }

  async changePassword(currentPassword: string, newPassword: string): Promise<string | null> {
    const r = await this.client!.mutation(CHANGE_PASSWORD, { currentPassword, newPassword }).toPromise();
    if (this.endedElsewhere(r.error)) return null;
    return errorMessage(r.error);
  }

  /** The session was ended from elsewhere (another browser, a change of password): this page is signed out. */
  private endedElsewhere(error: CombinedError | undefined): boolean {
    if (!error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED')) return false;
    this.user = null;
    return true;
  }
}

export const session = new Session();
