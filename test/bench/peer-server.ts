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
 * request: no Express, no guards, no type-graphql, no query building. Its answer is the one the
 * app gave to the same variables. With BENCH_PEER_MODE=answer that statement reads the answer from
 * PostgreSQL: what any Apollo + `pg` server pays to parse the request, read a JSON answer, execute
 * the document over it and send it. With BENCH_PEER_MODE=floor it is the scenario's floor
 * (BENCH_PEER_SQL, the hand-written statement computing the same page, total and facets, with the
 * values kept for these variables), whose rows are read and dropped, the answer taken from memory:
 * a hand-written server doing the SQL work of the floor, without the mapping of its rows.
 * Speaks the app's protocol to its parent (test/load/app-process.ts): its port, then `cpu`.
 */
const field = process.env.BENCH_PEER_FIELD ?? 'actors';
const mode = process.env.BENCH_PEER_MODE ?? 'answer';
const floorSql = process.env.BENCH_PEER_SQL ?? '';
if (mode !== 'answer' && !(mode === 'floor' && floorSql)) throw new Error(`bench peer: BENCH_PEER_MODE=${mode} (answer, or floor with BENCH_PEER_SQL)`);
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL_SIZE ?? 6) });
const schema = buildSchema(fs.readFileSync('schema.graphql', 'utf8'));
const root = schema.getQueryType()?.getFields()[field];
if (!root) throw new Error(`bench peer: no Query.${field}`);
/** The floor mode's captured answers and floor values, by key (read once: its single statement per request is the floor's). */
const captured =
  mode === 'floor'
    ? new Map(
        (await pool.query<{ input: string; answer: unknown; sql_values: unknown[] | null }>(`SELECT input, answer, sql_values FROM ${PEER_TABLE}`)).rows.map(
          (r) => [r.input, r],
        ),
      )
    : new Map<string, never>();
/** The request's variables as the client sent them (before their coercion), the key of its answer. */
interface PeerContext {
  variables?: Record<string, unknown>;
}
root.resolve = async (_source, _args, context: PeerContext) => {
  const key = answerKey(context.variables ?? {});
  if (mode === 'floor') {
    const row = captured.get(key);
    if (!row?.sql_values) throw new Error('bench peer: no floor values for these variables');
    await pool.query({ name: 'peer_floor', text: floorSql, values: row.sql_values });
    return row.answer;
  }
  const { rows } = await pool.query({ name: 'peer_answer', text: `SELECT answer FROM ${PEER_TABLE} WHERE input = $1`, values: [key] });
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
