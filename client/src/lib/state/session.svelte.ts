import type { Client, CombinedError } from '@urql/core';
import { CHANGE_PASSWORD, END_SESSION, LOG_OUT_EVERYWHERE, MY_SESSIONS } from '../graphql/account';
import { errorMessage, queryFresh } from '../graphql/client';
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
  /**
   * Bumped at each change of who is signed in: a `me` asked for before it answers for the state
   * before it, and is dropped. Without it, the anonymous `me` of the page's start, answered after a
   * quick log-in, signed the page out again (test/e2e/account.test.ts holds that answer back).
   */
  private version = 0;
  /**
   * The last `me` on its way. urql shares one request between queries of the same text: a `me`
   * asked while an older one is on its way gets the older one's answer, so the `me` that follows
   * a log-in waits for it to be answered first.
   */
  private asking: Promise<unknown> = Promise.resolve();

  init(client: Client) {
    this.client = client;
    return this.refresh();
  }

  async refresh(): Promise<void> {
    const asked = ++this.version;
    const answer = queryFresh(this.client!, ME, {});
    this.asking = answer;
    const r = await answer;
    if (asked !== this.version) return; // a later log-in, log-out or refresh has the last word
    this.user = r.data?.me ?? null;
    this.loaded = true;
  }

  private set(user: SessionUser | null): void {
    this.version++;
    this.user = user;
    this.loaded = true;
  }

  /** Returns the error message to show, or null on success. */
  async logIn(email: string, password: string): Promise<string | null> {
    const r = await this.client!.mutation(LOG_IN, { email, password }).toPromise();
    if (!r.data) return errorMessage(r.error);
    // logIn answers without the actors the account represents: `me`, with the new cookie, has them.
    this.set(r.data.logIn);
    await this.asking;
    await this.refresh();
    return null;
  }

  async signUp(email: string, password: string, displayName: string): Promise<string | null> {
    const r = await this.client!.mutation(SIGN_UP, { input: { email, password, displayName } }).toPromise();
    if (!r.data) return errorMessage(r.error);
    this.set(r.data.signUp);
    await this.asking;
    await this.refresh();
    return null;
  }

  async logOut(): Promise<string | null> {
    const r = await this.client!.mutation(LOG_OUT, {}).toPromise();
    if (r.error) return errorMessage(r.error);
    this.set(null);
    return null;
  }

  /** The open sessions of the account, or the error to show. */
  async sessions(): Promise<{ sessions: OpenSession[]; error: string | null }> {
    const r = await queryFresh(this.client!, MY_SESSIONS, {});
    this.endedElsewhere(r.error);
    return { sessions: r.data?.mySessions ?? [], error: errorMessage(r.error) };
  }

  /** Ends one session of the account; ending the current one signs this page out. */
  async endSession(session: OpenSession): Promise<string | null> {
    const r = await this.client!.mutation(END_SESSION, { id: session.id }).toPromise();
    if (this.endedElsewhere(r.error)) return null;
    if (r.error) return errorMessage(r.error);
    if (session.current) this.set(null);
    return null;
  }

  async logOutEverywhere(): Promise<string | null> {
    const r = await this.client!.mutation(LOG_OUT_EVERYWHERE, {}).toPromise();
    if (this.endedElsewhere(r.error)) return null;
    if (r.error) return errorMessage(r.error);
    this.set(null);
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
    this.set(null);
    return true;
  }
}

export const session = new Session();
