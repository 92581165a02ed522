import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import type { GraphQLSchema } from 'graphql';
import { analyticsServices, type Context, createLoaders, createServices } from '../graphql/context.js';
import { authContext } from '../auth/auth.context.js';
import { createFormatError } from '../graphql/format-error.js';
import { createSchema } from '../graphql/schema.js';
import { jitGateway, type JitStats } from '../graphql/jit-executor.js';
import { type Env, loadEnv } from '../config/env.js';
import { armor, rateLimiter, refuseUnstorableText } from './hardening.js';
import { type AnalyticsGate, gated, startAnalytics } from './gate.js';
import { requestLog } from './request-log.js';
import { ExportFormat } from '../actors/actor-export.js';
import { exportRoute } from '../actors/actor-export.http.js';
import { bodyErrors, graphqlBody } from './body-limits.js';
import { securityHeaders } from './security-headers.js';
import { clientPage } from './client-page.js';
import { logger } from '../logger.js';
import { maintainFreshness } from '../actors/actor-freshness.js';
import { coverageTileRoute } from '../gaps/coverage-tiles.http.js';
import { TileCache } from '../gaps/tile-cache.js';
import { coverageGeoJsonRoute, gapCsvRoute } from '../gaps/gap-export.http.js';
import { hsdsRoute } from '../exchange/hsds/hsds-export.http.js';
import { RoutedDataSource } from '../db/replicas.js';
import { readRouting } from './read-routing.js';
import { DiFile } from '../exchange/data-inclusion/di-export.js';
import { dataInclusionRoute } from '../exchange/data-inclusion/di-export.http.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** The client's built files (client/dist, made by `npm run build`). */
export function clientRoot(): string | null {
  for (const candidate of ['../../client/dist', '../../../client/dist']) {
    const dir = path.resolve(here, candidate);
    if (fs.existsSync(path.join(dir, 'index.html'))) return dir;
  }
  return null;
}

export interface App {
  app: express.Express;
  apollo: ApolloServer<Context>;
  /** The analytics gate (its stats, for tests and logs). */
  gate: AnalyticsGate;
  /** What the GraphQL executor compiled and ran (for tests). */
  jitStats: () => JitStats;
}

/** Test hooks of createApp, and the schema when its caller built it already. */
export interface AppHooks {
  /**
   * The GraphQL schema, being built (createSchema): main.ts starts it while the database opens,
   * its 0.2–0.5 s of CPU then off a restart's path. Built here without it.
   */
  schema?: Promise<GraphQLSchema>;
  /**
   * Run in each place of the analytics gate before the analysis, with the analytics pool (tests
   * hold the gate with it, or set a statement timeout on its connection).
   */
  onAnalyticsEnter?: (analytics: DataSource) => Promise<void>;
}

/**
 * GraphQL at /graphql, liveness at /healthz, readiness at /readyz, the client at /.
 * `overrides` lets tests tighten the limits of the environment. Analyses (coverage maps, matrix,
 * comparisons, large gap pages, exports, large tiles) pass the analytics gate and use a pool apart.
 */
export async function createApp(ds: DataSource, httpServer?: Server, overrides: Partial<Env> = {}, hooks: AppHooks = {}): Promise<App> {
  const env = { ...loadEnv(), ...overrides };
  const schema = await (hooks.schema ?? createSchema());
  const services = createServices(ds, env);
  // Freshness of the records is a stored flag the gap counts follow: brought up to the clock now and
  // hourly. Its first sweep runs while the analytics pool opens and Apollo starts (neither reads
  // it); the app is returned once it is done.
  const freshness = maintainFreshness(ds, services.freshness, (err) => logger.error({ err }, 'freshness sweep failed'));
  freshness.catch(() => {}); // thrown below, once the rest has started
  const analytics = await startAnalytics(ds, env.analytics, hooks.onAnalyticsEnter);
  // A request admitted by the gate runs its analyses on the analytics pool.
  const heavy = analyticsServices(services, analytics.ds);
  // With DATABASE_REPLICA_URL: searches, gaps, coverage, exports and tiles read from a replica (server/db/replicas.ts).
  const { readRoute, replicaRoute, replicaReads } = readRouting(ds);
  const armored = armor<Context>(env, {
    gate: analytics.gate,
    admit: (context) => Object.assign(context, { services: heavy, ds: analytics.ds }),
  });
  // The schema's operations, compiled by graphql-jit once a document comes back (server/graphql/jit-executor.ts).
  const jit = jitGateway(schema, env.graphqlJit);
  const apollo = new ApolloServer<Context>({
    gateway: jit.gateway,
    formatError: createFormatError(env),
    parseOptions: armored.parseOptions,
    includeStacktraceInErrorResponses: false,
    introspection: env.introspection,
    allowBatchedHttpRequests: false,
    validationRules: armored.validationRules,
    plugins: [...armored.plugins, analytics.plugin, replicaReads, ...(httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer })] : [])],
  });
  await apollo.start();
  await freshness;

  const app = express();
  app.disable('x-powered-by');
  // Behind a load balancer, the client's address and protocol come from X-Forwarded-* (see README).
  if (env.trustProxy !== undefined) app.set('trust proxy', env.trustProxy);
  // CSP, HSTS (HTTPS only), nosniff…: on every answer, pages, API, exports and tiles alike.
  app.use(securityHeaders(env.cspExtraOrigins));
  // One JSON line per request: method, path, status, duration. Never bodies (passwords, contacts).
  app.use(requestLog(logger));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await ds.query('SELECT 1');
    } catch {
      res.status(503).json({ status: 'unavailable', message: 'Base de données injoignable' });
      return;
    }
    // Read replicas (DATABASE_REPLICA_URL), numbered in its order, never named (the probe is public):
    // one down or lagging (REPLICA_MAX_LAG_MS) leaves the app ready, its reads served by the primary.
    if (ds instanceof RoutedDataSource && ds.replicas.length > 0) {
      const replicas = await ds.replicaStatus();
      res.json({ status: 'ready', replicas: replicas.map(({ status, lagBytes, lagMs }, i) => ({ replica: i + 1, status, lagBytes, lagMs })) });
    } else res.json({ status: 'ready' });
  });
  const limiter = rateLimiter(env.rateLimitPerMinute);
  // GraphQL answers carry no ETag: the client POSTs (never cached), and Express's default hashed every
  // answer (SHA-1 of its whole body, 1.2 % of the app's CPU on the directory) for nothing. Mounted,
  // this app takes its other settings (trust proxy) from `app`.
  const graphql = express();
  graphql.set('etag', false);
  graphql.disable('x-powered-by');
  graphql.use(
    expressMiddleware(apollo, {
      // The session cookie is HttpOnly and SameSite=Lax; Apollo's csrfPrevention (on by default)
      // refuses the simple cross-site requests that could still carry it.
      context: async ({ req, res }) => ({
        ds,
        services,
        loaders: createLoaders(ds, services),
        ...(await authContext(services.auth, req, res)),
      }),
    }),
  );
  app.use(
    '/graphql',
    limiter,
    // 1 MB, except for an import of actors declared by an account allowed to import: see graphqlBody.
    graphqlBody(services.auth),
    refuseUnstorableText,
    // On the primary until the operation is known: a query of searches, gaps, coverage… then reads from a replica (replicaReads).
    readRoute,
    graphql,
  );
  // Malformed or oversized bodies get a GraphQL-shaped error, never Express's HTML page.
  app.use('/graphql', bodyErrors);
  // The actors of a search as files (same filter as the `actors` query, URL-encoded JSON).
  // Exports are analyses: through the gate, on the analytics pool; like tiles, read from a replica if any.
  app.get('/export/acteurs.csv', limiter, replicaRoute, gated(analytics.gate), exportRoute(schema, analytics.ds, services, ExportFormat.CSV));
  app.get('/export/acteurs.geojson', limiter, replicaRoute, gated(analytics.gate), exportRoute(schema, analytics.ds, services, ExportFormat.GEOJSON));
  // The same actors as data·inclusion v1 records (structures, and their services by top-level theme).
  app.get(
    '/export/data-inclusion/structures.json',
    limiter,
    replicaRoute,
    gated(analytics.gate),
    dataInclusionRoute(schema, analytics.ds, services, DiFile.STRUCTURES),
  );
  app.get(
    '/export/data-inclusion/services.json',
    limiter,
    replicaRoute,
    gated(analytics.gate),
    dataInclusionRoute(schema, analytics.ds, services, DiFile.SERVICES),
  );
  // The same actors as Open Referral HSDS 3.0: organizations nested with their objects, or the Tabular Data Package.
  app.get('/export/hsds/organizations.json', limiter, replicaRoute, gated(analytics.gate), hsdsRoute(schema, analytics.ds, services, 'json'));
  app.get('/export/hsds/hsds.zip', limiter, replicaRoute, gated(analytics.gate), hsdsRoute(schema, analytics.ds, services, 'zip'));
  // Every gap of an analysis as CSV, and its coverage map as GeoJSON (same filter as the `gaps` and
  // `coverage` queries, URL-encoded JSON): analyses too.
  app.get('/export/lacunes.csv', limiter, replicaRoute, gated(analytics.gate), gapCsvRoute(schema, heavy));
  app.get('/export/couverture.geojson', limiter, replicaRoute, gated(analytics.gate), coverageGeoJsonRoute(schema, heavy));
  // The coverage map as vector tiles (same filter as the `coverage` query, URL-encoded JSON).
  app.get('/tiles/coverage/:z/:x/:y.mvt', limiter, replicaRoute, coverageTileRoute(schema, services.gaps, analytics.gate, heavy.gaps, new TileCache(ds)));
  const root = clientRoot();
  if (root) {
    app.use('/assets', express.static(path.join(root, 'assets'), { immutable: true, maxAge: '1y' }));
    // The app's page carries the instance's settings (brand, publisher): never served as a bare file.
    const page = clientPage(root, env.site);
    app.get('/index.html', page);
    app.use(express.static(root, { index: false }));
    // Client-side routes fall back to the app's page.
    app.get(/^\/(?!graphql|export|tiles|healthz|readyz).*/, page);
  } else {
    app.get('/', (_req, res) => {
      res
        .type('html')
        .send(
          '<!doctype html><html lang="fr"><meta charset="utf-8"><title>Répertoire</title>' +
            '<p>Le client n’est pas construit : lancez <code>npm run build</code>. L’API est à <a href="/graphql">/graphql</a>.</p></html>',
        );
    });
  }
  return { app, apollo, gate: analytics.gate, jitStats: jit.stats };
}
