import fs from 'node:fs';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSchema } from 'graphql';
import pg from 'pg';
import { answerKey, PEER_TABLE } from './peer.js';

/**
 * The peer (peer.ts): Apollo Server 5 on Node's HTTP server, the committed schema (schema.graphql)
 * executed by graphql-js, and for the root field BENCH_PEER_FIELD one prepared statement per
 * request that reads the answer the app gave to the same variables: no Express, no guards, no
 * type-graphql, no query building. What is left is what any Apollo + `pg` server pays to parse
 * the request, read a JSON answer from PostgreSQL, execute the document over it and send it.
 * Speaks the app's protocol to its parent (test/load/app-process.ts): its port, then `cpu`.
 */
const field = process.env.BENCH_PEER_FIELD ?? 'actors';
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE ?? 6) });
const schema = buildSchema(fs.readFileSync('schema.graphql', 'utf8'));
const root = schema.getQueryType()?.getFields()[field];
if (!root) throw new Error(`bench peer: no Query.${field}`);
/** The request's variables as the client sent them (before their coercion), the key of its answer. */
interface PeerContext {
  variables?: Record<string, unknown>;
}
root.resolve = async (_source, _args, context: PeerContext) => {
  const { rows } = await pool.query({
    name: 'peer_answer',
    text: `SELECT answer FROM ${PEER_TABLE} WHERE input = $1`,
    values: [answerKey(context.variables ?? {})],
  });
  if (!rows[0]) throw new Error('bench peer: no captured answer for these variables');
  return rows[0].answer;
};
const apollo = new ApolloServer<PeerContext>({
  schema,
  plugins: [
    ApolloServerPluginCacheControlDisabled(),
    {
      async requestDidStart({ request, contextValue }) {
        contextValue.variables = request.variables;
      },
    },
  ],
});
const { url } = await startStandaloneServer(apollo, { context: async () => ({}), listen: { host: '127.0.0.1', port: 0 } });
process.send?.({ port: Number(new URL(url).port) });
process.on('message', (m) => {
  if (m === 'cpu') {
    const u = process.cpuUsage();
    process.send?.({ cpuMs: (u.user + u.system) / 1000, rssMb: Math.round(process.memoryUsage().rss / 2 ** 20) });
  }
});
const stop = () => void apollo.stop().then(() => pool.end().finally(() => process.exit(0)));
process.on('SIGTERM', stop);
process.on('disconnect', stop);
