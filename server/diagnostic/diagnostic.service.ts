import type { DataSource } from 'typeorm';
import { FIELD_KEY_PREFIX } from '../actors/actor-enums.js';
import type { AuthUser } from '../auth/auth.types.js';
import { communesOf } from '../coalitions/coalition-area.js';
import { GraphNodeKind } from '../coalitions/coalition-enums.js';
import type { Graph } from '../coalitions/coalition-graph.types.js';
import { sql, type Sql } from '../db/sql.js';
import { GapLevel, Presence } from '../gaps/gap.inputs.js';
import type { Services } from '../graphql/context.js';
import { badInput } from '../graphql/errors.js';
import type { Theme } from '../themes/theme.entity.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import type { Territory } from '../territories/territory.entity.js';
import { type CommuneSetFigures, communeSetFigures, freshnessOf } from './diagnostic-sql.js';
import { type DiagnosticPerimeterInput, MAX_DIAGNOSTIC_COMMUNES } from './diagnostic.inputs.js';
import {
  type DiagnosticCoverage,
  type DiagnosticFreshness,
  type DiagnosticNetwork,
  type DiagnosticPerimeter,
  type DiagnosticThemeFigures,
  PerimeterKind,
  type TerritorialDiagnostic,
} from './diagnostic.types.js';

/** Levels a territory perimeter may have. */
const TERRITORY_LEVELS: TerritoryLevel[] = [TerritoryLevel.COMMUNE, TerritoryLevel.EPCI, TerritoryLevel.EPT, TerritoryLevel.DEPARTEMENT];

/** How many bridge actors the network lists. */
const BRIDGES = 10;

/** A checked perimeter: the territory, or the list's communes (sorted by name); `communes` selects their codes. */
interface Perimeter {
  territory: Territory | null;
  list: Territory[] | null;
  communes: Sql;
}

/**
 * The territorial diagnostic of a perimeter: its actors and gaps theme by theme (local presence
 * and wide-scope coverage), its coalitions with a summary of their graph, and the freshness of its
 * records. Composes the existing services: GapService for a territory of the COG (an EPCI, an EPT,
 * a département), the same figures over an arbitrary list of communes (diagnostic-sql.ts), and
 * CoalitionGraphService for the graph, whose visibility rules (coalition.permissions.ts) decide
 * which coalitions appear: a visitor sees public ones only.
 *
 * Built per request from the request's services and DataSource, so that a request admitted by the
 * analytics gate runs every statement on the analytics pool.
 */
export class DiagnosticService {
  constructor(
    private readonly ds: DataSource,
    private readonly services: Services,
  ) {}

  async diagnose(user: AuthUser | null, input: DiagnosticPerimeterInput, fieldActorsOnly: boolean): Promise<TerritorialDiagnostic> {
    const perimeter = await this.perimeter(input);
    const generatedAt = new Date();
    const [coverage, network, freshness] = await Promise.all([
      this.coverage(perimeter, fieldActorsOnly, generatedAt),
      this.network(user, perimeter, generatedAt),
      this.freshness(perimeter, fieldActorsOnly, generatedAt),
    ]);
    return { perimeter: describe(perimeter, coverage.overall), generatedAt, coverage, network, freshness };
  }

  /** Checks the perimeter; every problem is a BAD_USER_INPUT naming its field (and the unknown codes). */
  private async perimeter(input: DiagnosticPerimeterInput): Promise<Perimeter> {
    const { territory, communes } = input;
    if (!territory === !communes) throw badInput('Donnez un territoire ou une liste de communes (l’un ou l’autre)', 'perimeter');
    const known = await this.services.territories.knownKeys();
    if (territory) {
      const level = territory.level;
      const code = territory.code.trim().toUpperCase();
      if (!TERRITORY_LEVELS.includes(level)) throw badInput('Le diagnostic porte sur une commune, un EPCI, un EPT ou un département', 'territory');
      if (!CODE_PATTERNS[level].test(code) || !known.has(`${level}:${code}`)) {
        throw badInput(`Territoire inconnu dans le COG 2026 : ${LEVEL_LABELS[level]} ${code.slice(0, 12)}`, 'territory');
      }
      const [t] = await this.services.territories.findMany([{ level, code }]);
      return { territory: t!, list: null, communes: sql`SELECT t.code FROM territory t WHERE ${communesOf(level, code)}` };
    }
    const codes = [...new Set(communes!.map((c) => c.trim().toUpperCase()).filter((c) => c !== ''))];
    if (codes.length === 0) throw badInput('La liste des communes est vide', 'communes');
    if (codes.length > MAX_DIAGNOSTIC_COMMUNES) throw badInput(`La liste compte plus de ${MAX_DIAGNOSTIC_COMMUNES} communes`, 'communes');
    const unknown = codes.filter((c) => !CODE_PATTERNS.COMMUNE.test(c) || !known.has(`COMMUNE:${c}`));
    if (unknown.length) {
      const shown = unknown.slice(0, 20).map((c) => c.slice(0, 12));
      throw badInput(
        `Code${unknown.length > 1 ? 's' : ''} de commune inconnu${unknown.length > 1 ? 's' : ''} dans le COG 2026 : ${shown.join(', ')}` +
          (unknown.length > shown.length ? ` et ${unknown.length - shown.length} autres` : ''),
        'communes',
      );
    }
    const found = await this.services.territories.findMany(codes.map((code) => ({ level: TerritoryLevel.COMMUNE, code })));
    const list = found.filter((t): t is Territory => !!t).sort((a, b) => a.name.localeCompare(b.name, 'fr') || a.code.localeCompare(b.code));
    return { territory: null, list, communes: sql`SELECT unnest(${codes}::text[]) AS code` };
  }

  /**
   * Actors and gaps theme by theme: from GapService for a territory above the commune (its scope
   * at level COMMUNE, local presence), else from the figures of the set of communes.
   */
  private async coverage(p: Perimeter, fieldActorsOnly: boolean, date: Date): Promise<DiagnosticCoverage> {
    const source = {
      label:
        'Répertoire territorial des acteurs de prévention : acteurs actifs et validés' +
        (fieldActorsOnly ? ', acteurs de terrain seulement (sans services de l’État ni instances de démocratie en santé)' : '') +
        ' ; présence locale d’après leur territoire d’intervention ou leur adresse ; communes et population municipale : COG 2026 (INSEE)',
      date,
    };
    const taxonomy = await this.services.themes.taxonomy();
    const themes = taxonomy.themes.filter((t) => !t.parentCode);
    if (p.territory && p.territory.level !== TerritoryLevel.COMMUNE) {
      const scope = { level: p.territory.level, code: p.territory.code };
      const result = await this.services.gaps.coverage({ scope, level: GapLevel.COMMUNE, presence: Presence.LOCAL, fieldActorsOnly }, null, false, true, false);
      return {
        overall: figuresOf(null, result.summary),
        byTheme: result.byTheme.map((t) => figuresOf(t.theme, t.summary)),
        fieldActorsOnly,
        source,
      };
    }
    const prefix = fieldActorsOnly ? FIELD_KEY_PREFIX : '';
    const byGid = await communeSetFigures(this.ds, p.communes, [
      { gid: '*', key: `${prefix}*` },
      ...themes.map((t) => ({ gid: t.code, key: prefix + t.code })),
    ]);
    return {
      overall: figuresOf(null, byGid.get('*')!),
      byTheme: themes.map((t) => figuresOf(t, byGid.get(t.code)!)),
      fieldActorsOnly,
      source,
    };
  }

  /** The coalitions of the perimeter and the summary of their graph (visible coalitions only). */
  private async network(user: AuthUser | null, p: Perimeter, date: Date): Promise<DiagnosticNetwork> {
    const graph = p.territory
      ? await this.services.coalitionGraph.coalitionGraph(user, { level: p.territory.level, code: p.territory.code }, undefined, false)
      : await this.services.coalitionGraph.graphOf(user, {
          coalitions: [listCoalitions(p.list!)],
          coverage: sql`SELECT DISTINCT actor_id FROM coverage_commune WHERE commune_code IN (SELECT code FROM (${p.communes}) x)`,
          actorThemes: null,
          includeEnded: false,
        });
    return { ...(await this.summarise(graph)), source: { label: NETWORK_SOURCE, date } };
  }

  private async summarise(graph: Graph): Promise<Omit<DiagnosticNetwork, 'source'>> {
    const coalitionNodes = graph.nodes.filter((n) => n.kind === GraphNodeKind.COALITION);
    const actors = graph.nodes.filter((n) => n.kind === GraphNodeKind.ACTOR);
    const loaded = await this.services.coalitions.repo.findMany(coalitionNodes.map((n) => n.id));
    const coalitions = coalitionNodes
      .map((n, i) => ({ coalition: loaded[i]!, memberCount: n.degree, component: n.component }))
      .filter((c) => !!c.coalition)
      .sort((a, b) => b.memberCount - a.memberCount || a.coalition.name.localeCompare(b.coalition.name, 'fr'));
    const bridges = actors
      .filter((n) => (n.betweenness ?? 0) > 0)
      .sort((a, b) => (b.betweenness ?? 0) - (a.betweenness ?? 0) || a.label.localeCompare(b.label, 'fr'))
      .slice(0, BRIDGES)
      .map((n) => ({ id: n.id, name: n.label, degree: n.degree, betweenness: n.betweenness ?? 0 }));
    return {
      coalitions,
      actorCount: actors.length,
      linkCount: graph.edges.length,
      componentCount: graph.components.length,
      largestComponentActorCount: Math.max(0, ...graph.components.map((c) => c.actorCount)),
      isolatedActorCount: graph.isolatedActorCount,
      bridges,
      truncated: graph.truncated,
    };
  }

  private async freshness(p: Perimeter, fieldActorsOnly: boolean, date: Date): Promise<DiagnosticFreshness> {
    const policy = this.services.freshness;
    const f = await freshnessOf(this.ds, p.communes, `${fieldActorsOnly ? FIELD_KEY_PREFIX : ''}*`, policy.staleBefore(date));
    const actors = await this.services.actors.findMany(f.to_verify.map((r) => r.id));
    return {
      months: policy.months,
      actorCount: Number(f.actors),
      freshCount: Number(f.fresh),
      staleCount: Number(f.stale),
      neverVerifiedCount: Number(f.never),
      staleOnlyCommuneCount: Number(f.stale_only_communes),
      staleOnlyPopulation: Number(f.stale_only_pop),
      toVerify: f.to_verify.flatMap((r, i) => (actors[i] ? [{ actor: actors[i], communeCount: r.communes }] : [])),
      source: {
        label:
          `Date de la dernière confirmation de chaque fiche par un responsable (représentant de l’acteur, analyste ARS, administrateur) ; ` +
          `à vérifier au-delà de ${policy.months} mois ou si jamais confirmée`,
        date,
      },
    };
  }
}

const NETWORK_SOURCE =
  'Coalitions du répertoire visibles de votre compte (publiques pour un visiteur), en cours, situées dans le périmètre ou le contenant ; ' +
  'adhésions actives et partenariats entre les acteurs qui couvrent le périmètre ; centralité d’intermédiarité (Brandes)';

/**
 * SQL condition on coalition alias `c` for a list of communes: its territory lies in one of them
 * (area_keys holds the commune) or contains one of them (its territory is one of their EPCI, EPT,
 * département, région, or the whole country): what CoalitionArea.scopeSql says for one territory.
 */
function listCoalitions(communes: Territory[]): Sql {
  const inside = communes.map((c) => `COMMUNE:${c.code}`);
  const containing = new Set(['PAYS:FR', ...inside]);
  for (const c of communes) {
    if (c.epciCode) containing.add(`EPCI:${c.epciCode}`);
    if (c.eptCode) containing.add(`EPT:${c.eptCode}`);
    if (c.departementCode) containing.add(`DEPARTEMENT:${c.departementCode}`);
    if (c.regionCode) containing.add(`REGION:${c.regionCode}`);
  }
  return sql`(c.area_keys && ${inside}::text[] OR (c.territory_level || ':' || c.territory_code) = ANY(${[...containing]}::text[]))`;
}

function describe(p: Perimeter, overall: DiagnosticThemeFigures): DiagnosticPerimeter {
  const t = p.territory;
  const list = p.list ?? [];
  return {
    kind: t ? PerimeterKind.TERRITORY : PerimeterKind.COMMUNES,
    label: t
      ? `${t.name} (${LEVEL_LABELS[t.level]} ${t.code})`
      : list.length === 1
        ? `${list[0].name} (commune ${list[0].code})`
        : `Liste de ${list.length} communes`,
    territory: t,
    communes: p.list,
    communeCount: overall.communeCount,
    population: overall.population,
  };
}

/** A row of the diagnostic from GapService's summary of a scope, or from the same figures over a set of communes. */
function figuresOf(theme: Theme | null, s: CommuneSetFigures): DiagnosticThemeFigures {
  return {
    theme,
    localActorCount: s.localActorCount,
    wideActorCount: s.wideActorCount,
    communeCount: s.communeCount,
    population: s.population,
    localCommuneCount: s.coveredCommuneCount,
    localPopulation: s.coveredPopulation,
    // At level COMMUNE with the default threshold, a gap is a commune without local presence.
    gapCount: s.gapCount,
    gapPopulation: s.population - s.coveredPopulation,
    wideOnlyCommuneCount: s.wideOnlyCommuneCount,
    wideOnlyPopulation: s.wideOnlyPopulation,
  };
}
