/**
 * The bench's peer (issue 17): the scenario's answers served by a minimal hand-written Apollo
 * Server 5 + `pg` (peer-server.ts), to read the app's « CPU app / req » against what Apollo and
 * `pg` alone cost to deliver the same answers. The runner captures the app's answers to the first
 * PEER_INPUTS inputs into a table (with the floor statement's values for the same inputs), checks
 * that the peer gives them back, and loads the peer as it loads the app (16 clients, its inputs in
 * turn): reading the answers from the table, then running the floor statement (peer-server.ts).
 */

/** Inputs whose answers are captured: the peer's load turns over them. */
export const PEER_INPUTS = 200;

/** The table the captured answers stay in while the peer is measured (dropped after). */
export const PEER_TABLE = 'bench_peer_answer';

/** The key of a request's variables, whatever the order of their fields. */
export function answerKey(variables: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(
            Object.entries(v)
              .filter(([, x]) => x !== undefined)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, x]) => [k, canonical(x)]),
          )
        : v;
  return JSON.stringify(canonical(variables));
}
