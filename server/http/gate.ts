import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import type { DataSource } from 'typeorm';
import { createAnalyticsDataSource } from '../db/data-source.js';
import { AppError } from '../graphql/errors.js';
import { sendError } from './http-errors.js';

/** Limits of the analytics gate (see Env.analytics). */
export interface GateOptions {
  /** Analyses running at once in this process. */
  concurrency: number;
  /** Analyses waiting for a place; one more is refused at once with SERVICE_BUSY. */
  queue: number;
  /** Longest wait for a place; past it the waiting request gets SERVICE_BUSY. */
  queueTimeoutMs: number;
  /** Seconds sent in Retry-After with SERVICE_BUSY. */
  retryAfterSeconds: number;
  /**
   * Called in each place taken, before the analysis runs (tests hold the gate with it, e.g. a
   * pg_sleep, so that "gate full" does not depend on timing).
   */
  onEnter?: () => Promise<void>;
}

/** The SERVICE_BUSY answer: HTTP 503 with Retry-After, applied by Apollo (extensions.http) and by sendError. */
export function serviceBusy(retryAfterSeconds: number): AppError {
  return new AppError('SERVICE_BUSY', `Service occupé : trop d’analyses sont en cours. Réessayez dans ${retryAfterSeconds} s.`, {
    retryAfter: retryAfterSeconds,
    http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
  });
}

interface Waiter {
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A bounded concurrency gate for expensive analytical work (coverage maps, theme matrix,
 * comparisons, large gap pages, exports, tiles over a large scope): at most `concurrency` run at
 * once, at most `queue` wait, in arrival order, for at most `queueTimeoutMs`; beyond that the
 * client gets SERVICE_BUSY (503, Retry-After) instead of every request slowing down together.
 * Ordinary reads and writes never pass through it, and the analyses use their own connection
 * pool of `concurrency` connections, so they cannot take the ones `actor(id)` or /readyz need.
 */
export class AnalyticsGate {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly options: GateOptions) {
    if (!(options.concurrency >= 1)) throw new Error('AnalyticsGate: concurrency must be at least 1');
  }

  /** Places taken and requests waiting, for logs and tests. */
  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  /** Takes a place (waiting in the queue if need be) and returns the function that gives it back. */
  async acquire(): Promise<() => void> {
    if (this.running < this.options.concurrency) this.running++;
    else {
      if (this.waiting.length >= this.options.queue) throw serviceBusy(this.options.retryAfterSeconds);
      await new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          resolve,
          reject,
          timer: setTimeout(() => {
            const i = this.waiting.indexOf(waiter);
            if (i >= 0) this.waiting.splice(i, 1);
            reject(serviceBusy(this.options.retryAfterSeconds));
          }, this.options.queueTimeoutMs),
        };
        this.waiting.push(waiter);
      });
      // The place was handed over by release(): `running` already counts it.
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.handOver();
    };
    if (this.options.onEnter) {
      try {
        await this.options.onEnter();
      } catch (err) {
        release();
        throw err;
      }
    }
    return release;
  }

  /** Runs `work` in a place of the gate. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  private handOver(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.running--;
      return;
    }
    clearTimeout(next.timer);
    next.resolve();
  }
}

/**
 * Express middleware: the rest of the route runs in a place of the gate, given back when the
 * answer is finished or the connection closes. Full gate: 503 SERVICE_BUSY with Retry-After, in
 * the JSON shape of a GraphQL error.
 */
export function gated(gate: AnalyticsGate): RequestHandler {
  return (_req, res, next) => {
    // A client gone while waiting gives its place back at once.
    let closed = false;
    res.once('close', () => (closed = true));
    gate.acquire().then(
      (release) => {
        if (closed) return release();
        res.once('finish', release);
        res.once('close', release);
        next();
      },
      (err: unknown) => sendError(res, err, 'Erreur interne du serveur.', 'analytics gate failed'),
    );
  };
}

/** The analytics of one app: its gate, its own connection pool, and the plugin that closes the pool. */
export interface Analytics {
  gate: AnalyticsGate;
  /** The pool of the analyses (`concurrency` connections). */
  ds: DataSource;
  /** Closes the pool when Apollo stops. */
  plugin: ApolloServerPlugin;
}

/**
 * The gate and the pool of the analyses of an app. `onEnter` (tests) runs in each place taken,
 * with the analytics pool (to hold a connection of it, or set its statement timeout).
 */
export async function startAnalytics(
  ds: DataSource,
  options: Omit<GateOptions, 'onEnter'>,
  onEnter?: (analytics: DataSource) => Promise<void>,
): Promise<Analytics> {
  const analyticsDs = await createAnalyticsDataSource(ds, options.concurrency);
  return {
    gate: new AnalyticsGate({ ...options, onEnter: onEnter && (() => onEnter(analyticsDs)) }),
    ds: analyticsDs,
    plugin: {
      async serverWillStart() {
        return {
          async serverWillStop() {
            if (analyticsDs.isInitialized) await analyticsDs.destroy();
          },
        };
      },
    },
  };
}
