import { Writable } from 'node:stream';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { requestLog } from '../../server/http/request-log.js';

/** An app whose requests are logged by requestLog at `level`, and the lines written. */
async function serve(level: 'info' | 'warn') {
  const lines: Record<string, any>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = express();
  app.use(requestLog(pino({ level }, sink)));
  app.get('/ok', (_req, res) => void res.json({ ok: true }));
  app.get('/refused', (_req, res) => void res.status(400).json({ error: 'x' }));
  app.get('/boom', (_req, res) => void res.status(500).json({ error: 'y' }));
  app.get('/healthz', (_req, res) => void res.status(503).json({ status: 'down' }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    lines,
    get: async (path: string) => (await fetch(base + path)).status,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** The line is written once the answer is finished: after the client has read it. */
const settled = () => new Promise((resolve) => setTimeout(resolve, 50));

/** Runs `body` on an app logged at `level`, closed after. */
async function withApp(level: 'info' | 'warn', body: (app: Awaited<ReturnType<typeof serve>>) => Promise<void>) {
  const app = await serve(level);
  try {
    await body(app);
  } finally {
    await app.close();
  }
}

describe('request log', () => {
  it('should write one line per request at info, without the query string, and none for the probes', () =>
    withApp('info', async (app) => {
      expect(await app.get('/ok?email=someone@example.org')).toBe(200);
      expect(await app.get('/boom')).toBe(500);
      expect(await app.get('/healthz')).toBe(503);
      await settled();
      expect(app.lines.map((l) => [l.level, l.msg, l.req.method, l.req.url, l.res.status])).toEqual([
        [30, 'request completed', 'GET', '/ok', 200],
        [50, 'request errored', 'GET', '/boom', 500],
      ]);
      expect(JSON.stringify(app.lines)).not.toContain('someone@example.org');
    }));

  it('should still write the failed requests (5xx) below info, with the same fields, and nothing else', () =>
    withApp('warn', async (app) => {
      expect(await app.get('/ok')).toBe(200);
      expect(await app.get('/refused')).toBe(400);
      expect(await app.get('/boom?token=secret')).toBe(500);
      expect(await app.get('/healthz')).toBe(503);
      await settled();
      expect(app.lines).toHaveLength(1);
      const [line] = app.lines;
      expect([line.level, line.msg, line.req, line.res]).toEqual([50, 'request errored', { method: 'GET', url: '/boom' }, { status: 500 }]);
      expect(line.responseTime).toBeGreaterThanOrEqual(0);
    }));
});
