import type { CombinedError } from '@urql/core';
import { errorMessage } from '../graphql/client';

/**
 * A decision sent from a list (accept or refuse a request, confirm a partnership, leave a
 * coalition…): `busy` while it is on its way, then the server's message in `error` (it checks who
 * may) or the success in `done`, both shown by `ActionMessages`.
 */
export class Action {
  busy = $state(false);
  error = $state<string | null>(null);
  done = $state<string | null>(null);

  /** Sends `mutate`; `success` is shown when it went through. True when it did. */
  async run(mutate: () => Promise<{ error?: CombinedError }>, success: string): Promise<boolean> {
    this.busy = true;
    this.error = null;
    this.done = null;
    const r = await mutate();
    this.busy = false;
    if (r.error) this.error = errorMessage(r.error);
    else this.done = success;
    return !r.error;
  }
}
