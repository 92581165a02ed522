import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { type DocumentNode, execute, type ExecutionResult, GraphQLError, type GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

export interface JitOptions {
  /**
   * Executions of a document by graphql-js before it is compiled (GRAPHQL_JIT_AFTER); 0: never
   * compiled. A compilation costs 1 to 11 ms of CPU for the client's queries (measured on 6
   * December 2026), ten times a graphql-js execution: a document seen once, such as each of a
   * flood of made-up queries, is never worth compiling; one the client sends again always is.
   */
  after: number;
  /** Compiled documents kept (GRAPHQL_JIT_CACHE), the least recently used dropped beyond. */
  maxCompiled: number;
}

export interface JitStats {
  /** Documents compiled now held. */
  compiled: number;
  /** Compilations since start (more than `compiled` once the least used were dropped). */
  compilations: number;
  /** Executions by the compiled function, and by graphql-js. */
  jitExecutions: number;
  graphqlJsExecutions: number;
}

/** What a document has been: its executions so far, then its compiled form (or its compile error). */
type Entry = { uses: number; query?: CompiledQuery | ExecutionResult };

/**
 * Executes the operations with graphql-jit once a document has been executed `after` times by
 * graphql-js. graphql-jit compiles a document into one JavaScript function that walks its own
 * selection set, where graphql-js looks up each field's definition, arguments and type for every
 * field of every object of every answer: on the directory's query (20 actors and their facets) and
 * on a département's graph (about 500 kB), that walk was most of the app's CPU after the database.
 *
 * Same schema, same resolvers, same answers: the integration suite runs with GRAPHQL_JIT_AFTER=1
 * (every document compiled), and test/integration/graphql-jit.test.ts compares both executors'
 * answers, data and errors. Apollo Server 4 and 5 have no executor option; a gateway
 * (`@apollo/server-gateway-interface`) is how they take one. Its schema is given once and never
 * changes; Apollo still parses, validates and runs every plugin before handing the document over.
 */
export function jitGateway(schema: GraphQLSchema, options: JitOptions): { gateway: GatewayInterface; stats: () => JitStats } {
  // Keyed by the DocumentNode: Apollo parses and validates a query text once and keeps the
  // document in its own bounded store, so the same text brings the same object back.
  const entries = new Map<DocumentNode, Map<string, Entry>>();
  const counts = { compilations: 0, jitExecutions: 0, graphqlJsExecutions: 0 };
  let compiled = 0;

  const entryOf = (document: DocumentNode, operationName: string): Entry => {
    let byName = entries.get(document);
    if (byName) {
      // Least recently used first in the Map's order: a use moves the document to the end.
      entries.delete(document);
      entries.set(document, byName);
    } else {
      entries.set(document, (byName = new Map<string, Entry>()));
      // The documents counted but never compiled are bounded with the compiled ones.
      while (entries.size > options.maxCompiled * 4) dropOldest();
    }
    let entry = byName.get(operationName);
    if (!entry) byName.set(operationName, (entry = { uses: 0 }));
    return entry;
  };
  const dropOldest = () => {
    const [document, byName] = entries.entries().next().value as [DocumentNode, Map<string, Entry>];
    for (const e of byName.values()) if (e.query) compiled--;
    entries.delete(document);
  };

  const executor: GatewayExecutor = async (requestContext) => {
    const { document, context } = requestContext;
    const operationName = requestContext.operationName ?? requestContext.request.operationName ?? undefined;
    const variables = requestContext.request.variables ?? {};
    const entry = options.after > 0 ? entryOf(document, operationName ?? '') : null;
    if (entry && !entry.query && ++entry.uses >= options.after) {
      entry.query = compileQuery(schema, document, operationName, { disablingCapturingStackErrors: true });
      counts.compilations++;
      compiled++;
      while (compiled > options.maxCompiled) dropOldest();
    }
    // Not compiled yet, or graphql-jit refused the document: graphql-js answers, with its own error.
    if (!entry?.query || !isCompiledQuery(entry.query)) return graphqlJs();
    counts.jitExecutions++;
    const result = await entry.query.query(undefined, context, variables);
    if (!result.errors) return result;
    // No `data` key at all: graphql-jit refused the variables before running anything (once it
    // runs, its answer always has one). graphql-js refuses them too, before running anything, in
    // the words clients already get (graphql-jit words a few differently); a mutation never runs twice.
    if (!('data' in result)) return graphqlJs();
    return { ...result, errors: result.errors.map(upstreamError) };

    function graphqlJs() {
      counts.graphqlJsExecutions++;
      return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
    }
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: '' });
      return () => {};
    },
    load: async () => ({ executor }),
    stop: async () => {},
  };
  return { gateway, stats: () => ({ compiled, ...counts }) };
}

/**
 * graphql-jit's errors are read-only look-alikes of graphql-js's; Apollo's plugins (graphql-armor
 * masks suggestions in place) and formatError expect graphql-js's own: same message, path,
 * locations, extensions and original error.
 */
function upstreamError(e: GraphQLError): GraphQLError {
  const out = new GraphQLError(e.message, { path: e.path, originalError: e.originalError ?? undefined, extensions: e.extensions });
  if (e.locations) Object.defineProperty(out, 'locations', { value: e.locations, enumerable: true, writable: true, configurable: true });
  return out;
}
