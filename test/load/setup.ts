import { createHash } from 'node:crypto';
import type pg from 'pg';
import { ActorKind, Sector } from '../../server/actors/actor-enums.js';
import { IMPORT_OPERATION_HEADER, IMPORT_OPERATION_NAME } from '../../server/http/body-limits.js';
import { THEMES } from '../../server/themes/taxonomy.js';
import { type GqlClient, problemOf } from './client.js';

/**
 * The load test's own small but real dataset, in the région Grand Est (44, ~5,100 communes):
 * LOAD_ACTORS actors loaded through the `importActors` mutation (CSV, all-or-nothing, 1,000 rows
 * per file), so their coverage and the gap aggregates are written by the application itself.
 * 60 % cover one commune, 24 % an EPCI, 15 % a département, 1 % the région. Rows are derived
 * from md5 hashes of their number: the same code gives the same file, and a second run finds the
 * version in seed_state and imports nothing. Accounts (an administrator, coordinators piloting the
 * coalitions, members representing actors) are created through the API too.
 */
export const LOAD_ACTORS = 3_000;
export const LOAD_DATASET_VERSION = `loadtest-v1;actors=${LOAD_ACTORS};region=44`;
export const SOURCE = 'loadtest';
/** Actors created by the workload and the fault phases (removed at the start of every run). */
export const RUN_SOURCE = 'loadtest:run';
export const IMPORT_SOURCE = 'loadtest:fault-import';
export const DOMAIN = '@loadtest.local';
export const PASSWORD = 'mot de passe de charge 2026';
export const COORDINATORS = 4;
export const COALITIONS_PER_COORDINATOR = 5;
export const COALITION_PREFIX = 'Coalition de charge';

type Log = (line: string) => void;

export const rnd = (n: number, salt: string) => createHash('md5').update(`${salt}:${n}`).digest().readUInt32BE(0) / 2 ** 32;
export const pick = <T>(list: readonly T[], u: number): T => list[Math.min(list.length - 1, Math.floor(u * list.length))];

export const THEME_CODES: string[] = THEMES.flatMap((t) => [t.code, ...(t.children ?? []).map((c) => c.code)]);
export const TOP_THEMES: string[] = THEMES.map((t) => t.code);
const AUDIENCES = ['jeunes', 'enfants', 'parents', 'femmes', 'personnes-agees', 'personnes-precaires', 'professionnels', 'tout-public'];
const KINDS: [ActorKind, Sector][] = [
  [ActorKind.ASSOCIATION, Sector.SOCIAL],
  [ActorKind.CPTS, Sector.SANTE],
  [ActorKind.COLLECTIVITE, Sector.COLLECTIVITE],
  [ActorKind.ETABLISSEMENT_SANTE, Sector.SANTE],
  [ActorKind.EDUCATION_NATIONALE, Sector.EDUCATION],
  [ActorKind.CPAM, Sector.ETAT],
];

export interface Commune {
  code: string;
  epci: string | null;
  departement: string;
}

export async function communesOf(pool: pg.Pool, region: string): Promise<Commune[]> {
  const { rows } = await pool.query(
    `SELECT code, epci_code AS epci, departement_code AS departement FROM territory
     WHERE level = 'COMMUNE' AND region_code = $1 AND geom IS NOT NULL ORDER BY code`,
    [region],
  );
  return rows;
}

const csvCell = (v: string) => (/[;"\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);

/** A CSV file for importActors: rows `from`..`to` (exclusive) of a family of generated actors. */
export function actorsCsv(
  communes: Commune[],
  from: number,
  to: number,
  opts: { name: (n: number) => string; source: string; salt: string; local?: boolean },
): string {
  const lines = ['nom;type;secteur;commune;thematiques;publics;territoires;source;demonstration'];
  for (let n = from; n < to; n++) {
    const home = pick(communes, rnd(n, `${opts.salt}:home`));
    // `local`: communes and EPCI only (a large import that stays quick to write).
    const s = rnd(n, `${opts.salt}:scope`) * (opts.local ? 0.84 : 1);
    const territory = s < 0.6 ? home.code : s < 0.84 && home.epci ? `epci:${home.epci}` : s < 0.99 ? `departement:${home.departement}` : 'region:44';
    const nThemes = 1 + Math.floor(rnd(n, `${opts.salt}:nthemes`) * 3);
    const themes = [...new Set(Array.from({ length: nThemes }, (_, j) => pick(THEME_CODES, rnd(n, `${opts.salt}:theme${j}`) ** 1.8)))];
    const audiences = [
      ...new Set(Array.from({ length: 1 + Math.floor(rnd(n, `${opts.salt}:naud`) * 2) }, (_, j) => pick(AUDIENCES, rnd(n, `${opts.salt}:aud${j}`)))),
    ];
    const [kind, sector] = pick(KINDS, rnd(n, `${opts.salt}:kind`) ** 2);
    lines.push([opts.name(n), kind, sector, home.code, themes.join('|'), audiences.join('|'), territory, opts.source, 'oui'].map(csvCell).join(';'));
  }
  return lines.join('\n') + '\n';
}

const IMPORT = `mutation ($content: String!) { importActors(content: $content, format: CSV, mode: ALL_OR_NOTHING) {
  total created updated unchanged rejected committed problems { row field reason } message } }`;

export async function importCsv(client: GqlClient, content: string, timeoutMs = 300_000) {
  // Declared before the body: a file over 1 MB is only read for an import by an allowed account.
  const res = await client.gql(IMPORT, { content }, timeoutMs, { [IMPORT_OPERATION_HEADER]: IMPORT_OPERATION_NAME });
  return res;
}

/** Imports the dataset unless seed_state says it is there (`client`: the administrator, imports are theirs). */
export async function ensureLoadDataset(pool: pg.Pool, client: GqlClient, log: Log): Promise<{ built: boolean; seconds: number }> {
  const t0 = Date.now();
  const [state] = (await pool.query(`SELECT version FROM seed_state WHERE name = 'loadtest'`)).rows;
  const {
    rows: [{ n }],
  } = await pool.query(`SELECT count(*)::int AS n FROM actor WHERE source = $1`, [SOURCE]);
  if (state?.version === LOAD_DATASET_VERSION && n === LOAD_ACTORS) {
    log(`Jeu de charge déjà présent (${LOAD_DATASET_VERSION}) : rien à importer`);
    return { built: false, seconds: 0 };
  }
  log(`Jeu de charge : import de ${LOAD_ACTORS} acteurs du Grand Est par l’API (importActors, 1 000 lignes par fichier)…`);
  await pool.query(`DELETE FROM coalition WHERE name LIKE $1`, [`${COALITION_PREFIX}%`]);
  await pool.query(`DELETE FROM actor WHERE source = $1 OR source LIKE 'loadtest:%'`, [SOURCE]);
  const communes = await communesOf(pool, '44');
  for (let from = 0; from < LOAD_ACTORS; from += 1000) {
    const csv = actorsCsv(communes, from, Math.min(LOAD_ACTORS, from + 1000), { name: (k) => `Acteur de charge ${k + 1}`, source: SOURCE, salt: 'load' });
    const res = await importCsv(client, csv);
    const r = res.data?.importActors;
    if (problemOf(res) || !r?.committed || r.created + r.unchanged + r.updated !== Math.min(1000, LOAD_ACTORS - from)) {
      throw new Error(`Import du jeu de charge refusé : ${JSON.stringify(res.errors ?? r).slice(0, 800)}`);
    }
    log(`  lignes ${from + 1}–${from + r.total} : ${r.created} créés, ${r.unchanged} inchangés (${(res.ms / 1000).toFixed(1)} s)`);
  }
  await pool.query(
    `INSERT INTO seed_state (name, version, report, finished_at) VALUES ('loadtest', $1, '{}', now())
     ON CONFLICT (name) DO UPDATE SET version = EXCLUDED.version, finished_at = now()`,
    [LOAD_DATASET_VERSION],
  );
  for (const t of ['actor', 'coverage_commune', 'coverage_area', 'coverage_theme_count', 'actor_theme_point']) await pool.query(`ANALYZE ${t}`);
  return { built: true, seconds: (Date.now() - t0) / 1000 };
}

export interface Accounts {
  admin: GqlClient;
  /** Coordinator i pilots the coalitions coalitionsOf[i] with its actor pilotActor[i]. */
  coordinators: { client: GqlClient; email: string; pilotActor: string; coalitions: string[] }[];
  /** Member i represents `actors` (dataset actors). */
  members: { client: GqlClient; email: string; actors: string[] }[];
  coalitions: { id: string; coordinator: number }[];
}

function must(res: { errors?: any; data?: any; status: number; networkError?: string }, what: string): any {
  const p = problemOf(res as any);
  if (p) throw new Error(`${what} : ${p} ${JSON.stringify(res.errors ?? res.networkError ?? res.status).slice(0, 400)}`);
  return res.data;
}

/**
 * The accounts of the run, made through the API by the administrator (ensureAdmin): COORDINATORS coordinators and `members` members
 * whose roles and represented actors the administrator sets (setUserRole, grantActorToUser).
 * Each coordinator creates COALITIONS_PER_COORDINATOR public coalitions needing approval
 * (createCoalition); they are kept from one run to the next, their non-pilot memberships removed.
 */
/** The administrator (the only role set by SQL, as an operator bootstraps the first one), signed in. */
export async function ensureAdmin(pool: pg.Pool, admin: GqlClient): Promise<void> {
  const adminEmail = `admin${DOMAIN}`;
  const up = await admin.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
    input: { email: adminEmail, password: PASSWORD, displayName: 'Administration charge' },
  });
  if (problemOf(up) && problemOf(up) !== 'CONFLICT') must(up, 'signUp admin');
  await pool.query(`UPDATE user_account SET role = 'ADMIN' WHERE email = $1`, [adminEmail]);
  must(await admin.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: adminEmail, p: PASSWORD }), 'logIn admin');
}

export async function ensureAccounts(pool: pg.Pool, admin: GqlClient, newClient: (label: string) => GqlClient, members: number, log: Log): Promise<Accounts> {
  const t0 = Date.now();
  // Dataset actors by number: 1..COORDINATORS are the pilots, then three per member.
  const { rows } = await pool.query(
    `SELECT id, (regexp_replace(name, '\\D', '', 'g'))::int AS n FROM actor WHERE source = $1 AND name ~ '^Acteur de charge [0-9]+$'`,
    [SOURCE],
  );
  const byNumber = new Map<number, string>(rows.map((r: { id: string; n: number }) => [r.n, r.id]));
  const actorNo = (n: number) => {
    const id = byNumber.get(n);
    if (!id) throw new Error(`acteur de charge ${n} absent`);
    return id;
  };
  const grant = async (email: string, role: string, actorIds: string[]) => {
    must(await admin.gql(`mutation ($input: SetUserRoleInput!) { setUserRole(input: $input) }`, { input: { email, role } }), `setUserRole ${email}`);
    for (const a of actorIds)
      must(await admin.gql(`mutation ($e: String!, $a: ID!) { grantActorToUser(email: $e, actorId: $a) }`, { e: email, a }), `grant ${email}`);
  };

  const coordinators: Accounts['coordinators'] = [];
  for (let i = 0; i < COORDINATORS; i++) {
    const email = `coordination-${i + 1}${DOMAIN}`;
    const client = newClient(`coord${i}`);
    const pilotActor = actorNo(i + 1);
    await client.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
      input: { email, password: PASSWORD, displayName: `Coordination ${i + 1}` },
    });
    await grant(email, 'COORDINATOR', [pilotActor]);
    must(await client.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD }), `logIn ${email}`);
    coordinators.push({ client, email, pilotActor, coalitions: [] });
  }
  const memberAccounts: Accounts['members'] = [];
  for (let i = 0; i < members; i++) {
    const email = `membre-${String(i + 1).padStart(2, '0')}${DOMAIN}`;
    const client = newClient(`member${i}`);
    const actors = [0, 1, 2].map((k) => actorNo(COORDINATORS + 1 + 3 * i + k));
    await client.gql(`mutation ($input: SignUpInput!) { signUp(input: $input) { id } }`, {
      input: { email, password: PASSWORD, displayName: `Membre ${i + 1}` },
    });
    await grant(email, 'MEMBER', actors);
    must(await client.gql(`mutation ($e: String!, $p: String!) { logIn(email: $e, password: $p) { id } }`, { e: email, p: PASSWORD }), `logIn ${email}`);
    memberAccounts.push({ client, email, actors });
  }

  // Coalitions: reuse those of a previous run, else create them.
  const coalitions: Accounts['coalitions'] = [];
  const departements = ['08', '10', '51', '52', '54', '55', '57', '67', '68', '88'];
  for (let i = 0; i < COORDINATORS; i++) {
    for (let k = 0; k < COALITIONS_PER_COORDINATOR; k++) {
      const name = `${COALITION_PREFIX} ${i + 1}-${k + 1}`;
      const [existing] = (await pool.query(`SELECT id FROM coalition WHERE name = $1`, [name])).rows;
      let id = existing?.id as string | undefined;
      if (!id) {
        const data = must(
          await coordinators[i].client.gql(`mutation ($input: CreateCoalitionInput!) { createCoalition(input: $input) { id } }`, {
            input: {
              name,
              kind: 'THEMATIQUE',
              themes: [TOP_THEMES[(i * COALITIONS_PER_COORDINATOR + k) % TOP_THEMES.length]],
              territory: { level: 'DEPARTEMENT', code: departements[(i * COALITIONS_PER_COORDINATOR + k) % departements.length] },
              startDate: '2025-01-01',
              pilotActorId: coordinators[i].pilotActor,
              joinPolicy: 'APPROVAL',
            },
          }),
          `createCoalition ${name}`,
        );
        id = data.createCoalition.id as string;
      }
      coordinators[i].coalitions.push(id);
      coalitions.push({ id, coordinator: i });
    }
  }
  // A fresh start for the membership workflow: only the pilots stay.
  await pool.query(`DELETE FROM membership WHERE coalition_id = ANY($1::uuid[]) AND role <> 'PILOTE'`, [coalitions.map((c) => c.id)]);
  log(
    `Comptes : 1 administrateur, ${COORDINATORS} coordinateurs (${coalitions.length} coalitions), ${members} membres (3 acteurs chacun), ` +
      `connectés en ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
  return { admin, coordinators, members: memberAccounts, coalitions };
}
