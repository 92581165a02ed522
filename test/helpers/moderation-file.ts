import { afterAll, beforeAll } from 'vitest';
import { regionalAnalysts, type SignedIn } from './factories.js';
import { startTestServer, type TestServer } from './server.js';

/**
 * The frame of a test file on moderation (the review queue, the records to verify, freshness, the
 * validation of actors), to call at the top of the file: the SOURCE its actors carry and the DOMAIN
 * of its accounts, both named after the file; a test server, started before the file's own
 * `beforeAll` and closed after its `afterAll` (or earlier by `close`); the ARS analysts of Grand Est
 * (44) and Île-de-France (11), once the file's setup called `signInAnalysts`.
 */
export function moderationFile(name: string) {
  let closed = false;
  const file = {
    SOURCE: `test:${name}.test.ts`,
    DOMAIN: `@test-${name}.local`,
    server: undefined as unknown as TestServer,
    analyst44: undefined as unknown as SignedIn,
    analyst11: undefined as unknown as SignedIn,
    async signInAnalysts(): Promise<void> {
      ({ analyst44: file.analyst44, analyst11: file.analyst11 } = await regionalAnalysts(file.server, file.DOMAIN));
    },
    /** Closes the server, once: a file that checks the database after its tests closes it itself. */
    async close(): Promise<void> {
      if (closed || !file.server) return;
      closed = true;
      await file.server.close();
    },
  };
  beforeAll(async () => {
    file.server = await startTestServer();
  });
  afterAll(() => file.close());
  return file;
}
