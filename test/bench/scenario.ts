/**
 * A benchmark scenario: one GraphQL (or GET) request measured over HTTP against the real app, and
 * optionally the same answer computed by one hand-written SQL statement (the floor).
 *
 * The runner (test/bench/run.ts) loads every module of test/bench/scenarios/ that exports
 * `scenarios: BenchScenario[]`. `variables(i)` and `values(i)` are called with a request counter
 * (0, 1, 2…) so each request can ask something different, deterministically.
 */
export interface BenchScenario {
  name: string;
  /** One line for the report. */
  description?: string;
  /** The request: a GraphQL query (POST /graphql), or a plain GET (tiles, exports). One of the two. */
  graphql?: { query: string; variables: (i: number) => Record<string, unknown> };
  /** A GET of `path(i)`; `check` throws if the body is not the expected answer. */
  get?: { path: (i: number) => string; check: (i: number, body: Uint8Array) => void };
  sql?: { text: string; values: (i: number) => unknown[] };
  /** Concurrent clients to measure with; default [1, 16]. */
  connections?: number[];
  /**
   * p50Ms/p99Ms: GraphQL latency with 1 client; rps: GraphQL throughput with 16 clients (or the
   * largest measured); maxMs: slowest GraphQL request with 1 client; maxBytes: largest response.
   */
  targets?: { p50Ms?: number; p99Ms?: number; rps?: number; maxMs?: number; maxBytes?: number };
  /**
   * Targets relative to the floor measured in the same run (issue 17): `rps`, the GraphQL
   * throughput at least this share of the SQL floor's (16 clients, or the most measured); `p50`,
   * the GraphQL p50 at most this multiple of the floor's (1 client); `appCpuMs`, the app's CPU per
   * request at most this (16 clients).
   */
  floorTargets?: { rps?: number; p50?: number; appCpuMs?: number };
  /**
   * Also measure the peer (peer.ts): the app's answers to this GraphQL request served by a minimal
   * hand-written Apollo Server 5 + `pg` at 16 clients, as fast as it goes and at the app's rate,
   * and, with `sql`, once more running that floor statement for each request. No target: its CPU
   * per request is what the app's « CPU app / req » is read against.
   */
  peer?: boolean;
  /** Called once before measuring, with the benchmark database (e.g. to pick the inputs). */
  setup?: (db: BenchDb) => Promise<void>;
  /**
   * Called before measuring on a few requests (i = 0, 1, 2…) with the GraphQL `data` and the rows
   * of the SQL statement; throws if they do not give the same answer.
   */
  verify?: (i: number, data: any, sqlRows: any[]) => void;
}

/** The part of `pg` the scenarios need. */
export interface BenchDb {
  query<T = any>(text: string, values?: unknown[]): Promise<{ rows: T[] }>;
}
