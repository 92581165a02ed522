import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import type { Server } from 'node:http';
import type { DataSource } from 'typeorm';
import { type Context, createLoaders, createServices } from '../graphql/context.js';
import { formatError } from '../graphql/format-error.js';
import { createSchema } from '../graphql/schema.js';

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
}

/** GraphQL at /graphql, health at /healthz, the client at /. */
export async function createApp(ds: DataSource, httpServer?: Server): Promise<App> {
  const schema = await createSchema();
  const services = createServices(ds);
  const apollo = new ApolloServer<Context>({
    schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    plugins: httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer })] : [],
  });
  await apollo.start();

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(
    '/graphql',
    express.json({ limit: '1mb' }),
    expressMiddleware(apollo, {
      context: async () => ({ ds, services, loaders: createLoaders(ds, services) }),
    }),
  );
  const root = clientRoot();
  if (root) {
    app.use('/assets', express.static(path.join(root, 'assets'), { immutable: true, maxAge: '1y' }));
    app.use(express.static(root, { index: false }));
    // Client-side routes fall back to the app's page.
    app.get(/^\/(?!graphql|export|healthz).*/, (_req, res) => {
      res.sendFile(path.join(root, 'index.html'));
    });
  } else {
    app.get('/', (_req, res) => {
      res.type('html').send('<!doctype html><html lang="fr"><meta charset="utf-8"><title>Répertoire</title>' +
        '<p>Le client n’est pas construit : lancez <code>npm run build</code>. L’API est à <a href="/graphql">/graphql</a>.</p></html>');
    });
  }
  return { app, apollo };
}
