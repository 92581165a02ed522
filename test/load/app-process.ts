import { fork, type ChildProcess, type StdioOptions } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Database } from '../../server/db/database.js';
import { createApp } from '../../server/http/app.js';
import type { LoopStats } from './heavy.js';
import { APP_NODE_FLAGS } from './app-flags.js';

/**
 * The real app in a child process of the bench or the load test (so the load generator does not
 * share its event loop), and the parent's side of their IPC: the child sends its port once it
 * listens, then answers `cpu` (its CPU time and memory) and `loop` (its event-loop delay since
 * the last ask).
 */
export interface AppStats {
  cpuMs: number;
  rssMb: number;
}

/** Child side: serves the app on a loopback port over `db`, answers the parent, stops with it. */
export async function serveAppToParent(db: Database, overrides: Parameters<typeof createApp>[2] = {}): Promise<void> {
  const server = http.createServer();
  server.keepAliveTimeout = 60_000;
  const { app } = await createApp(db.ds, server, overrides);
  server.on('request', app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send?.({ port: (server.address() as AddressInfo).port });
  // How long requests wait for the event loop (the load test's heavy scenario reads it).
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  process.on('message', (m) => {
    if (m === 'loop') {
      process.send?.({
        loopP50Ms: Math.round(loopDelay.percentile(50) / 1e5) / 10,
        loopP99Ms: Math.round(loopDelay.percentile(99) / 1e6),
        loopMaxMs: Math.round(loopDelay.max / 1e6),
      } satisfies LoopStats);
      loopDelay.reset();
    }
    if (m === 'cpu') {
      const u = process.cpuUsage();
      process.send?.({ cpuMs: (u.user + u.system) / 1000, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) } satisfies AppStats);
    }
  });
  const stop = async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('disconnect', () => void stop());
}

/** Parent side: forks `file` (a module calling serveAppToParent) and resolves once it listens. */
export function forkApp(file: string, env: NodeJS.ProcessEnv, stdio: StdioOptions, exitHint = ''): Promise<{ child: ChildProcess; url: URL }> {
  const child = fork(file, [], { env, execArgv: [...process.execArgv, ...APP_NODE_FLAGS], stdio });
  return new Promise((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve({ child, url: new URL(`http://127.0.0.1:${m.port}`) }));
    child.once('exit', (code) => reject(new Error(`le serveur s’est arrêté (code ${code})${exitHint}`)));
  });
}

/**
 * Stops the app (SIGTERM) and waits for it to end, 10 s at most: with `node --cpu-prof` on the
 * parent (its flags pass to the child), the child writes its profile as it exits.
 */
export async function stopApp(child: ChildProcess | undefined): Promise<void> {
  if (!child) return;
  const ended = child.exitCode === null && child.signalCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null;
  child.kill('SIGTERM');
  if (ended) await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
}

/** The app's CPU time so far and its memory. */
export const appStats = (child: ChildProcess) => ask<AppStats>(child, 'cpu', 'cpuMs');

/** The app's event-loop delay since the last call (p99 and max, ms). */
export const appLoop = (child: ChildProcess) => ask<LoopStats>(child, 'loop', 'loopP99Ms');

function ask<T>(child: ChildProcess, question: 'cpu' | 'loop', key: keyof T & string): Promise<T> {
  return new Promise((resolve) => {
    const on = (m: unknown) => {
      if (m && typeof (m as Record<string, unknown>)[key] === 'number') {
        child.off('message', on);
        resolve(m as T);
      }
    };
    child.on('message', on);
    child.send(question);
  });
}
