import type { ApolloServerPlugin } from '@apollo/server';
import {
  type ASTNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLSchema,
  isLeafType,
  isListType,
  Kind,
  visit,
} from 'graphql';
import { type ComplexityEstimatorArgs, getComplexity } from 'graphql-query-complexity';
import type { AnalyticsGate } from '../http/gate.js';
import { AppError, badInput } from './errors.js';
import { fieldsIn } from './selection.js';

/**
 * Hard caps of the list arguments, by field: `[min, max]` for a number (page size, depth), `max`
 * items for a list. The cost analysis checks them on the request's values (literal, variable or
 * default) before any SQL, and every resolver checks them again (checkArgs), whatever the path.
 */
export const ARG_CAPS: Record<string, Record<string, [number, number] | number>> = {
  'Query.actors': { first: [0, 200] },
  'Query.reviewQueue': { first: [0, 100] },
  'Query.actorsToVerify': { first: [0, 100] },
  'Query.duplicateActors': { first: [0, 100] },
  'Query.dismissedDuplicates': { first: [0, 100] },
  'Query.actorChangeProposals': { first: [0, 100] },
  'Actor.coveredCommunes': { first: [0, 1000], offset: [0, 100_000] },
  'Query.coalitions': { first: [0, 200] },
  'Query.changes': { first: [0, 200] },
  'Query.suggestedPartners': { first: [1, 100] },
  'Query.actorNetwork': { depth: [1, 3] },
  'Query.coalitionGraph': { themes: 60 },
  'Coalition.members': { statuses: 10 },
  'Actor.coalitionMemberships': { statuses: 10 },
  'Query.gaps': { first: [0, 5000], offset: [0, 100_000] },
  'Query.compareCoverage': { scopes: 6 },
  'Query.searchTerritories': { first: [1, 50], levels: 10 },
  'Query.claimableActors': { first: [1, 50] },
  'Territory.children': { first: [1, 1000] },
  'Territory.neighbors': { first: [1, 100] },
  'Query.myNotifications': { first: [0, 100] },
  'Mutation.markNotificationsRead': { ids: 200 },
  'Query.pendingRequestsToDecide': { first: [0, 200] },
};

/** The first argument of `field` (e.g. 'Query.actors') over its cap, as a BAD_USER_INPUT naming the cap. */
function capViolation(field: string, args: Record<string, unknown>): AppError | null {
  const caps = ARG_CAPS[field];
  if (!caps) return null;
  for (const [name, cap] of Object.entries(caps)) {
    const value = args[name];
    if (value === undefined || value === null) continue;
    if (typeof cap === 'number') {
      if (Array.isArray(value) && value.length > cap) return badInput(`« ${name} » : ${cap} valeurs au plus (${value.length} reçues)`, name);
    } else if (typeof value === 'number' && (!Number.isInteger(value) || value < cap[0] || value > cap[1])) {
      return badInput(`« ${name} » doit être compris entre ${cap[0]} et ${cap[1]}`, name);
    }
  }
  return null;
}

/**
 * Checks the capped arguments of `field` (see ARG_CAPS) in its resolver: the cost analysis
 * already refused a request over a cap, this keeps the rule where the value is used.
 */
export function checkArgs(field: keyof typeof ARG_CAPS, args: Record<string, unknown>): void {
  const err = capViolation(field, args);
  if (err) throw err;
}

// ---------------------------------------------------------------------------------------------
// The cost model. One unit is about one object in the answer; the analyses also count the
// territories they go through. Figures of the COG 2026 (largest région: Grand Est, 5,115
// communes; largest département: Pas-de-Calais, 887; largest EPCI: 158 communes; 1,255 EPCI).

/** Upper bounds of the territories of a level (COMMUNE, EPCI, DEPARTEMENT) inside a scope. */
const ROWS_IN_SCOPE: Record<string, Record<string, number>> = {
  PAYS: { COMMUNE: 35_000, EPCI: 1_260, DEPARTEMENT: 110 },
  REGION: { COMMUNE: 5_200, EPCI: 180, DEPARTEMENT: 14 },
  DEPARTEMENT: { COMMUNE: 900, EPCI: 40, DEPARTEMENT: 1 },
  EPCI: { COMMUNE: 160, EPCI: 1, DEPARTEMENT: 3 },
  EPT: { COMMUNE: 40, EPCI: 1, DEPARTEMENT: 1 },
  COMMUNE: { COMMUNE: 1, EPCI: 1, DEPARTEMENT: 1 },
};

/** Territories an analysis of `filter` (GapFilterInput) goes through. */
export function rowsInScope(filter: unknown, scopeOverride?: unknown): number {
  const f = (filter ?? {}) as { scope?: { level?: string } | null; level?: string | null };
  const override = scopeOverride as { level?: string } | null | undefined;
  const scope = (override ?? f.scope)?.level ?? 'PAYS';
  return ROWS_IN_SCOPE[scope]?.[f.level ?? 'COMMUNE'] ?? ROWS_IN_SCOPE.PAYS.COMMUNE;
}

/** An analysis over more territories than the largest région has communes works on a large scope. */
export const LARGE_SCOPE_ROWS = 6_000;
/** A gap page longer than this is analytical work (gated), whatever its scope. */
export const LARGE_GAP_PAGE = 1_000;

/** Per territory of the scope: its figures (counts, population, ranking), and per theme column. */
const ANALYSIS_PER_ROW = 0.05;
const ANALYSIS_PER_COLUMN = 0.01;
const analysis = (rows: number, columns: number) => rows * (ANALYSIS_PER_ROW + ANALYSIS_PER_COLUMN * columns);
/** Per feature of a coverage map: its boundary, and its indicators when not compact. */
const FEATURE_COMPACT = 1;
const FEATURE_FULL = 1.5;
/** Per territory: the distance to the nearest actor (a nearest-neighbour search each). */
const NEAREST = 0.5;
/** A boundary (Territory.geometry), a few kilobytes of GeoJSON. */
const GEOMETRY = 10;
/** A whole export of actors (up to 50,000) as one string. */
const EXPORT = 5_000;
/** A coalition graph: its actors and coalitions, then centrality computed on them. */
const GRAPH = 2_000;
/** Default size assumed for a list without a page size, and the known ones. */
const DEFAULT_LIST = 10;
const LIST_SIZES: Record<string, number> = {
  // Pages and analyses (PAGE_LIST): the field that takes `first` or the scope multiplies them.
  'ActorConnection.edges': 1,
  'ReviewQueue.edges': 1,
  'ActorsToVerify.edges': 1,
  'DuplicatePairs.edges': 1,
  'CoalitionConnection.edges': 1,
  'ChangeConnection.edges': 1,
  'NotificationConnection.edges': 1,
  'CoveredCommunes.nodes': 1,
  'GapResult.rows': 1,
  'ThemeMatrix.rows': 1,
  'Territory.parents': 5,
  'Query.themes': 60,
  'Actor.themes': 5,
  'Actor.audiences': 5,
  'Actor.territories': 5,
  'Graph.nodes': 200,
  'Graph.edges': 400,
};

interface Analysis {
  cost: number;
  /** Root fields that are analytical work (they go through the gate). */
  analytical: string[];
  /** The first argument over its cap, if any. */
  capError: AppError | null;
}

/** The list of a page or of an analysis, by the type of the field that takes `first` or the scope. */
const PAGE_LIST: Record<string, string> = {
  ActorConnection: 'edges',
  ReviewQueue: 'edges',
  ActorsToVerify: 'edges',
  DuplicatePairs: 'edges',
  CoalitionConnection: 'edges',
  ChangeConnection: 'edges',
  NotificationConnection: 'edges',
  CoveredCommunes: 'nodes',
  GapResult: 'rows',
  ThemeMatrix: 'rows',
};

const themeColumns = (filter: unknown) => {
  const themes = (filter as { themes?: unknown[] | null } | null)?.themes;
  // Without themes, one column per top-level theme (15).
  return Array.isArray(themes) && themes.length > 0 ? Math.min(themes.length, 60) : 15;
};

/**
 * The estimated cost of the operation of `document` with the request's `variables` (each list
 * multiplied by its `first`, literal, variable or default), the analytical root fields it asks
 * for, and the first capped argument over its cap. Null when the variables do not fit the
 * operation (execution then reports it as usual).
 */
export function analyzeOperation(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>, operationName?: string): Analysis | null {
  return analyzeTracked(schema, document, variables, operationName)?.analysis ?? null;
}

/**
 * analyzeOperation, and the variables its answer depends on: those in the arguments the estimator
 * read (a page size, a scope…) and in the directives (`@include(if: $x)`). The rest (which commune,
 * which theme) does not change the cost, whatever their values.
 */
function analyzeTracked(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName?: string,
): { analysis: Analysis; dependsOn: string[] } | null {
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments[d.name.value] = d;
  const analytical = new Set<string>();
  let capError: AppError | null = null;
  /** Cost of each field's selection, as computed (children are estimated before their parent). */
  const selectionCost = new Map<FieldNode, number>();

  /** The arguments the estimator read, by field (their variables are what the cost depends on). */
  const read = new Map<FieldNode, Set<string>>();
  const estimate = ({ type, field, node, args: given, childComplexity }: ComplexityEstimatorArgs): number => {
    const names = read.get(node) ?? new Set<string>();
    read.set(node, names);
    const note = (name: string | symbol) => typeof name === 'string' && names.add(name);
    const args = new Proxy<Record<string, unknown>>(given, {
      get: (target, name, receiver): unknown => (note(name), Reflect.get(target, name, receiver) as unknown),
      has: (target, name) => (note(name), Reflect.has(target, name)),
      ownKeys: (target) => (Object.keys(target).forEach(note), Reflect.ownKeys(target)),
    });
    const key = `${type.name}.${field.name}`;
    capError ??= capViolation(key, args);
    const nested = Number.isFinite(childComplexity) ? childComplexity : 0;
    selectionCost.set(node, nested);
    const capped = (name: string, value: unknown) => {
      const cap = ARG_CAPS[key]?.[name];
      const n = typeof value === 'number' && Number.isFinite(value) ? Math.max(0, value) : 0;
      return Array.isArray(cap) ? Math.min(n, cap[1]) : n;
    };
    /** One item of the page (or analysis) list under this field, and the rest of the selection. */
    const split = () => {
      const list = PAGE_LIST[getNamedType(field.type).name];
      if (!list) return { item: (isLeafType(getNamedType(field.type)) ? 0 : 1) + nested, rest: 0 };
      const item = fieldsIn(node.selectionSet, list, fragments).reduce((sum, f) => sum + 1 + (selectionCost.get(f) ?? 0), 0);
      return { item, rest: Math.max(0, nested - item) };
    };
    switch (key) {
      case 'Query.coverage': {
        const rows = rowsInScope(args.filter);
        const features = fieldsIn(node.selectionSet, 'features', fragments).length > 0;
        if (features || rows > LARGE_SCOPE_ROWS) analytical.add(key);
        const perFeature = args.compact ? FEATURE_COMPACT : FEATURE_FULL + (args.withDistance ? NEAREST : 0);
        return 1 + nested + analysis(rows, 1 + themeColumns(args.filter)) + (features ? rows * perFeature : 0);
      }
      case 'Query.gaps': {
        const rows = rowsInScope(args.filter);
        const first = capped('first', args.first);
        if (first > LARGE_GAP_PAGE || rows > LARGE_SCOPE_ROWS) analytical.add(key);
        const { item, rest } = split();
        const nearest = fieldsIn(node.selectionSet, 'rows', fragments).some((r) => fieldsIn(r.selectionSet, 'nearestActorKm', fragments).length > 0);
        return 1 + rest + analysis(rows, 1) + first * (item + (nearest ? NEAREST : 0));
      }
      case 'Query.themeMatrix': {
        analytical.add(key);
        const rows = rowsInScope(args.filter);
        const { item, rest } = split();
        return 1 + rest + rows * Math.max(1, item) + analysis(rows, themeColumns(args.filter));
      }
      case 'Query.compareCoverage': {
        analytical.add(key);
        const scopes = Array.isArray(args.scopes) ? args.scopes.slice(0, 6) : [];
        const rows = scopes.reduce((sum: number, s) => sum + rowsInScope(args.filter, s), 0);
        return 1 + nested * Math.max(1, scopes.length) + analysis(rows, 1 + themeColumns(args.filter));
      }
      case 'Query.actorsToVerify': {
        // Reads the local counts of every commune of its région (or of the country): through the gate.
        analytical.add(key);
        const { item, rest } = split();
        const rows = rowsInScope({ scope: args.region ? { level: 'REGION' } : null });
        return 1 + rest + capped('first', args.first) * item + analysis(rows, 1);
      }
      case 'Query.duplicateActors': {
        // Compares the active actors of its région (or of the country) pairwise by key: through the gate.
        analytical.add(key);
        const { item, rest } = split();
        return 1 + rest + capped('first', args.first) * item + analysis(rowsInScope({ scope: args.region ? { level: 'REGION' } : null }), 1);
      }
      case 'Query.exportActors':
        analytical.add(key);
        return EXPORT;
      case 'Query.coalitionGraph':
        analytical.add(key);
        return GRAPH + nested;
      case 'Query.territorialDiagnostic': {
        // A coalition graph, and the figures of every commune of the perimeter for each theme.
        analytical.add(key);
        const perimeter = args.perimeter as { territory?: unknown; communes?: unknown } | undefined;
        const rows = Array.isArray(perimeter?.communes)
          ? Math.min(perimeter.communes.length, 500)
          : perimeter?.territory
            ? rowsInScope({ scope: perimeter.territory })
            : ROWS_IN_SCOPE.DEPARTEMENT.COMMUNE;
        return 1 + nested + GRAPH + analysis(rows, 1 + themeColumns(null));
      }
      case 'Territory.geometry':
        return GEOMETRY;
    }
    // Introspection is bounded by the schema itself (and off in production): one unit an object.
    if (type.name.startsWith('__') || field.name.startsWith('__')) return (isLeafType(getNamedType(field.type)) ? 0 : 1) + nested;
    if ('first' in args) {
      const { item, rest } = split();
      return 1 + rest + capped('first', args.first) * item;
    }
    const leaf = isLeafType(getNamedType(field.type));
    const n = isListType(getNullableType(field.type)) && !leaf ? (LIST_SIZES[key] ?? DEFAULT_LIST) : 1;
    return n * ((leaf ? 0 : 1) + nested);
  };

  let cost: number;
  try {
    cost = getComplexity({ schema, query: document, variables, operationName, estimators: [estimate] });
  } catch {
    return null;
  }
  const dependsOn = new Set<string>();
  for (const [node, names] of read) {
    for (const arg of node.arguments ?? []) if (names.has(arg.name.value)) variablesIn(arg.value, dependsOn);
  }
  visit(document, { Directive: (d) => void variablesIn(d, dependsOn) });
  return { analysis: { cost: Math.ceil(cost), analytical: [...analytical], capError }, dependsOn: [...dependsOn].sort() };
}

/** Adds the names of the variables used in `node` to `into`. */
function variablesIn(node: ASTNode, into: Set<string>): Set<string> {
  visit(node, { Variable: (v) => void into.add(v.name.value) });
  return into;
}

/** Analyses kept per operation (the oldest dropped beyond this): one per value of its cost variables. */
const ANALYSES_PER_OPERATION = 64;

/** An operation's kept analyses: by the values of the variables its cost depends on (`dependsOn`). */
interface KeptAnalyses {
  dependsOn: string[];
  analyses: Map<string, Analysis>;
}

/** The values of `names` in `variables`, as a key (a variable left out differs from one sent as null). */
const valuesKey = (names: readonly string[], variables: Record<string, unknown>) =>
  JSON.stringify(names.map((name) => (Object.hasOwn(variables, name) ? [variables[name]] : [])));

/**
 * analyzeOperation, computed once per operation and values of the variables its cost depends on:
 * the directory's search costs the same for every commune and theme, and its analysis (a walk of
 * the whole document with its types) took about 6 % of the app's CPU per request (npm run bench).
 *
 * Why a kept analysis is the right one: the analysis is a deterministic walk of the document that
 * reads variables only through the arguments it looks at and the directives, all recorded
 * (analyzeTracked). A request agreeing with an analysed one on every variable that walk read makes
 * the same walk, so it gets the same answer. Another walk may read more (a field that
 * `@include(if: $x)` let in, a cap checked once no other was over): the operation's variables then
 * grow to include them, and what was kept under fewer is dropped.
 *
 * Apollo hands the same parsed document to every request of the same text; a document it no
 * longer keeps is let go with its analyses.
 */
export function cachedAnalyzer(): (
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown>,
  operationName?: string,
) => Analysis | null {
  const byDocument = new WeakMap<DocumentNode, Map<string, KeptAnalyses>>();
  return (schema, document, variables, operationName) => {
    let operations = byDocument.get(document);
    if (!operations) byDocument.set(document, (operations = new Map<string, KeptAnalyses>()));
    let entry = operations.get(operationName ?? '');
    const known = entry?.analyses.get(valuesKey(entry.dependsOn, variables));
    if (known) return known;
    const tracked = analyzeTracked(schema, document, variables, operationName);
    // Variables that do not fit the operation: nothing kept, execution reports them.
    if (!tracked) return null;
    if (!entry || tracked.dependsOn.some((name) => !entry!.dependsOn.includes(name))) {
      entry = { dependsOn: [...new Set([...(entry?.dependsOn ?? []), ...tracked.dependsOn])].sort(), analyses: new Map() };
      operations.set(operationName ?? '', entry);
    }
    if (entry.analyses.size >= ANALYSES_PER_OPERATION) entry.analyses.delete(entry.analyses.keys().next().value!);
    entry.analyses.set(valuesKey(entry.dependsOn, variables), tracked.analysis);
    return tracked.analysis;
  };
}

/**
 * A request costing this share of the limit or more is analytical work too, whatever it asks
 * (e.g. the boundaries of the covered communes of 40 actors): it passes the gate.
 */
export const GATED_SHARE = 0.25;

/** The refusal of a request whose estimated cost is over the limit (HTTP 400, before any SQL). */
export function costError(cost: number, maxCost: number): GraphQLError {
  return new GraphQLError(`Requête trop coûteuse : coût estimé ${cost} pour ${maxCost} au plus. Demandez des pages plus courtes ou un périmètre plus petit.`, {
    extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'cost', cost, maxCost, http: { status: 400 } },
  });
}

/**
 * Apollo plugin, once the operation is known and before it runs (didResolveOperation, where the
 * variables are known): refuses an argument over its cap (BAD_USER_INPUT, 400) and a request
 * over `maxCost` (GRAPHQL_VALIDATION_FAILED, 400). A request asking for analytical work, or
 * costing GATED_SHARE of the limit or more, then waits for a place in the gate, given back when
 * the answer is sent (SERVICE_BUSY, 503, when the gate and its queue are full), and is `admit`ted
 * (its analyses then use the analytics pool).
 */
export function operationLimits<C extends object>(options: {
  maxCost: number;
  gate: AnalyticsGate;
  /** Called with the request's context once it has its place (to run it on the analytics pool). */
  admit?: (context: C) => void;
}): ApolloServerPlugin<C> {
  const analyze = cachedAnalyzer();
  return {
    async requestDidStart() {
      let release: (() => void) | undefined;
      return {
        async didResolveOperation({ schema, document, request, operationName, contextValue }) {
          const analysis = analyze(schema, document, request.variables ?? {}, operationName ?? undefined);
          if (!analysis) return;
          if (analysis.capError) {
            const details = { ...analysis.capError.extensions };
            delete details.code;
            throw new AppError('BAD_USER_INPUT', analysis.capError.message, { ...details, http: { status: 400 } });
          }
          if (analysis.cost > options.maxCost) throw costError(analysis.cost, options.maxCost);
          if (analysis.analytical.length > 0 || analysis.cost >= options.maxCost * GATED_SHARE) {
            release = await options.gate.acquire();
            options.admit?.(contextValue);
          }
        },
        async willSendResponse() {
          release?.();
          release = undefined;
        },
      };
    },
  };
}
