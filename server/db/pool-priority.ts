import type pg from 'pg';

/**
 * Transactions first in the line for a connection.
 *
 * Under load every connection of the primary's pool is taken and requests queue for one: in the
 * mixed load test (32 clients on 2 cores, pool of 6), a request waited 40 ms on average at each
 * of its two or three checkouts, and that wait was most of an actor write's latency (a write makes
 * two checkouts: the session's sign-in, then its transaction). A transaction is what a person
 * waits on after pressing « Enregistrer » (a record, a membership, a decision); the searches
 * around it are many more. So when connections are short, a waiting transaction takes the next
 * one before the single statements waiting, and at most `burst` transactions in a row go before a
 * waiting statement: a flood of writes slows the reads, it never stops them.
 *
 * The gate holds as many permits as the pool has connections, and asks the pool for a connection
 * only with a permit: the pool's own queue stays empty and the order is the gate's. A permit comes
 * back with the pool's `release` event (every checkout ends with one), or at once when the pool
 * fails to connect. `connectionTimeoutMillis`, if the pool has one, is kept: a checkout waiting
 * that long in the gate fails with pg-pool's own message.
 */
export class PoolPriority {
  /** Checkouts holding a permit. */
  private inUse = 0;
  private readonly transactions: Waiter[] = [];
  private readonly statements: Waiter[] = [];
  /** Transactions let through in a row while a statement was waiting. */
  private streak = 0;
  /** Set by `transactionCheckout` for the checkout it starts, read by the next `connect`. */
  private nextIsTransaction = false;
  private readonly max: number;
  private readonly timeoutMs: number;
  private readonly connect: pg.Pool['connect'];

  constructor(
    pool: pg.Pool,
    private readonly burst = 3,
  ) {
    this.max = pool.options.max;
    this.timeoutMs = pool.options.connectionTimeoutMillis ?? 0;
    this.connect = pool.connect.bind(pool);
    pool.on('release', () => {
      this.inUse--;
      this.dispatch();
    });
    // Every checkout goes through the gate: TypeORM's query runners (callback form) and pool.query alike.
    (pool as { connect: unknown }).connect = (callback?: ConnectCallback) => this.checkout(callback);
  }

  /**
   * Runs `start`, which must ask the pool for a connection synchronously (TypeORM's
   * `queryRunner.connect()` does), with that checkout first in line among the statements.
   */
  transactionCheckout<T>(start: () => T): T {
    this.nextIsTransaction = true;
    try {
      return start();
    } finally {
      this.nextIsTransaction = false;
    }
  }

  /** Checkouts waiting for a permit (for tests and probes). */
  get waiting(): { transactions: number; statements: number } {
    return { transactions: this.transactions.length, statements: this.statements.length };
  }

  private checkout(callback?: ConnectCallback): Promise<pg.PoolClient> | undefined {
    const transaction = this.nextIsTransaction;
    this.nextIsTransaction = false;
    let result: Promise<pg.PoolClient> | undefined;
    let done: ConnectCallback;
    if (callback) done = callback;
    else {
      let ok!: (c: pg.PoolClient) => void;
      let fail!: (e: Error) => void;
      result = new Promise<pg.PoolClient>((resolve, reject) => ((ok = resolve), (fail = reject)));
      done = (err, client) => (err ? fail(err) : ok(client!));
    }
    // A free connection and nobody waiting: the pool at once (every checkout when the pool is not short).
    if (this.inUse < this.max && this.transactions.length === 0 && this.statements.length === 0) {
      this.start(done);
      return result;
    }
    const waiter: Waiter = { start: () => this.start(done) };
    const line = transaction ? this.transactions : this.statements;
    line.push(waiter);
    if (this.timeoutMs > 0) {
      waiter.timer = setTimeout(() => {
        line.splice(line.indexOf(waiter), 1);
        done(new Error('timeout exceeded when trying to connect'));
      }, this.timeoutMs);
      waiter.timer.unref();
    }
    return result;
  }

  /** Takes a permit and asks the pool; the permit comes back at the release, or now if connecting failed. */
  private start(done: ConnectCallback): void {
    this.inUse++;
    this.connect((err, client, release) => {
      if (err) {
        this.inUse--;
        this.dispatch();
      }
      done(err, client, release);
    });
  }

  private dispatch(): void {
    while (this.inUse < this.max) {
      const takeStatement = this.statements.length > 0 && (this.transactions.length === 0 || this.streak >= this.burst);
      const waiter = takeStatement ? this.statements.shift() : this.transactions.shift();
      if (!waiter) return;
      this.streak = takeStatement || this.statements.length === 0 ? 0 : this.streak + 1;
      clearTimeout(waiter.timer);
      waiter.start();
    }
  }
}

type ConnectCallback = (err: Error | undefined, client?: pg.PoolClient, release?: (release?: unknown) => void) => void;

interface Waiter {
  start: () => void;
  timer?: NodeJS.Timeout;
}
