import type { DataSource } from 'typeorm';
import { run, sql } from '../server/db/sql.js';
import { refreshStatisticsAfterSeed } from '../server/db/statistics.js';
import { seedDemoAccounts } from './accounts.js';
import { seedActors } from './actors.js';
import { seedPublicCoalitions } from './coalitions.js';
import type { Log } from './progress.js';
import { seedTaxonomy } from './taxonomy.js';
import { seedTerritories } from './territories.js';

export interface SeedOptions {
  /** Reload even when the recorded version matches. */
  force?: boolean;
  log?: Log;
  /** Restrict commune boundaries to these départements (tests). */
  departements?: string[];
  /**
   * Create the demonstration accounts (one per role), their actors and coalitions: main.ts asks
   * for it on the embedded database; elsewhere only with SEED_DEMO_ACCOUNTS=true.
   */
  demoAccounts?: boolean;
  /**
   * The real organisations and coalitions named in public documents and the real student
   * mental-health services (seeds/data/acteurs). main.ts asks for them; the test suite does not,
   * so that its fixtures are the only actors it counts.
   */
  publicActors?: boolean;
  /** The labelled demonstration directory over real territories (embedded database by default). */
  demoActors?: boolean;
}

/**
 * What a start-up (and `npm run db:seed`) loads: real actors everywhere unless
 * SEED_PUBLIC_ACTORS=false; demonstration actors and accounts only on the embedded database, or
 * with SEED_DEMO_ACTORS=true / SEED_DEMO_ACCOUNTS=true.
 */
export function startupSeedOptions(embedded: boolean): Pick<SeedOptions, 'publicActors' | 'demoActors' | 'demoAccounts'> {
  return {
    publicActors: process.env.SEED_PUBLIC_ACTORS !== 'false',
    demoActors: embedded || process.env.SEED_DEMO_ACTORS === 'true',
    demoAccounts: embedded,
  };
}

/** Bumped whenever the seeded actors (real or demonstration) change (v2: the dates of their sources, `verifiedAt`). */
// v3: the demo towns' names elided (« d’Aubervilliers », « du Havre »), earlier rows renamed.
// v4: demonstration actors on sub-themes (seeds/actors.ts SUB_THEME_ACTORS), added to a directory seeded before.
const ACTOR_SEED_VERSION = 'actors/v4';

/**
 * Bumped whenever the seed data or the way it is loaded changes (v3: the map boundaries of
 * seeds/data/geo/map; v4: every geometry prepared once, seeds/data/geo/derived, loaded by COPY;
 * v5: the EPCI, EPT and Paris/Lyon/Marseille unions without their slivers, seeds/territory-geometry.ts).
 */
const TERRITORY_SEED_VERSION = 'cog-2026+admin-express-2025/v5';

const LEVEL_NAMES: Record<string, string> = {
  COMMUNE: 'communes',
  ARRONDISSEMENT: 'arrondissements municipaux',
  EPCI: 'EPCI',
  EPT: 'EPT',
  DEPARTEMENT: 'départements',
  REGION: 'régions',
  PAYS: 'pays',
};

/**
 * Seeds what is missing or out of date, and records it in `seed_state`: a second start
 * finds the same version and does nothing.
 */
export async function runSeeds(ds: DataSource, options: SeedOptions = {}): Promise<void> {
  const log = options.log ?? (() => {});
  const version = TERRITORY_SEED_VERSION + (options.departements ? `;departements=${options.departements.join(',')}` : '');
  const vocab = await seedTaxonomy(ds);
  log(`Thèmes et publics : ${vocab.themes} thèmes, ${vocab.audiences} publics`);
  // Both seeds' states at once (a restart reads them and nothing else).
  const states = new Map(
    (await run<{ name: string; version: string }>(ds, sql`SELECT name, version FROM seed_state WHERE name IN ('territories', 'actors')`)).map((r) => [
      r.name,
      r.version,
    ]),
  );
  if (states.get('territories') === version && !options.force) {
    log('Territoires déjà chargés (COG 2026) : rien à faire');
    if (await seedAfterTerritories(ds, options, log, states.get('actors'))) await refreshStatisticsAfterSeed(ds);
    return;
  }
  log('Chargement des territoires officiels (COG 2026) et de leurs contours…');
  const report = await seedTerritories(ds, { log, departements: options.departements });
  for (const [level, r] of Object.entries(report.levels)) {
    const without = r.withoutGeometry
      ? ` ; ${r.withoutGeometry} sans contour (${r.withoutGeometryCodes.slice(0, 12).join(', ')}${r.withoutGeometry > 12 ? '…' : ''})`
      : '';
    log(`  ${String(r.total).padStart(6)} ${LEVEL_NAMES[level] ?? level}, ${r.withGeometry} avec contour${without}`);
  }
  log(`Territoires chargés en ${report.seconds.toFixed(1)} s`);
  await ds.query(
    `INSERT INTO seed_state (name, version, report, finished_at) VALUES ('territories', $1, $2, now())
     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, report = EXCLUDED.report, finished_at = now()`,
    [version, JSON.stringify(report)],
  );
  await seedAfterTerritories(ds, options, log, states.get('actors'));
  await refreshStatisticsAfterSeed(ds);
}

/**
 * Seeds that need the territories and taxonomy loaded; true when the actors were (re)loaded.
 * `actorsState`: the version the actors' seed recorded (seed_state), if any.
 */
async function seedAfterTerritories(ds: DataSource, options: SeedOptions, log: Log, actorsState: string | undefined): Promise<boolean> {
  let seededActors = false;
  if (options.publicActors || options.demoActors) {
    // Recorded like the territories: a second start finds the same version and reads nothing.
    const version = `${ACTOR_SEED_VERSION};public=${!!options.publicActors};demo=${!!options.demoActors}`;
    if (actorsState === version && !options.force) {
      log('Acteurs déjà chargés : rien à faire');
    } else {
      seededActors = true;
      const started = Date.now();
      const report = await seedActors(ds, log, options);
      if (options.publicActors) await seedPublicCoalitions(ds, log);
      log(`Acteurs chargés en ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await ds.query(
        `INSERT INTO seed_state (name, version, report, finished_at) VALUES ('actors', $1, $2, now())
         ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, report = EXCLUDED.report, finished_at = now()`,
        [version, JSON.stringify(report)],
      );
    }
  }
  if (options.demoAccounts || process.env.SEED_DEMO_ACCOUNTS === 'true') await seedDemoAccounts(ds, log);
  return seededActors;
}
