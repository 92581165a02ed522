import 'reflect-metadata';
import type { DataSource } from 'typeorm';
import { ActorService } from '../server/actors/actor.service.js';
import type { CreateActorInput } from '../server/actors/actor.inputs.js';
import { AuthService } from '../server/auth/auth.service.js';
import { CoalitionService } from '../server/coalitions/coalition.service.js';
import { run, sql } from '../server/db/sql.js';
import { TerritoryLevel } from '../server/territories/territory-level.js';
import { TerritoryService } from '../server/territories/territory.service.js';
import { ThemeService } from '../server/themes/theme.service.js';
import type { Log } from './progress.js';

const SOURCE = 'demo:accounts';

/**
 * One demonstration account per role (a visitor needs none), with fixed passwords listed in the
 * README. Never created on a DATABASE_URL database unless SEED_DEMO_ACCOUNTS=true.
 */
export const DEMO_ACCOUNTS = [
  { email: 'membre@demo.local', password: 'demo-membre-2026', displayName: 'Camille (membre, démo)', role: 'MEMBER', actor: 'asso', region: null },
  {
    email: 'coordination@demo.local',
    password: 'demo-coordination-2026',
    displayName: 'Dominique (coordination, démo)',
    role: 'COORDINATOR',
    actor: 'cpts',
    region: null,
  },
  { email: 'analyste@demo.local', password: 'demo-analyste-2026', displayName: 'Alex (ARS Grand Est, démo)', role: 'ANALYST', actor: null, region: '44' },
  { email: 'admin@demo.local', password: 'demo-admin-2026', displayName: 'Administration (démo)', role: 'ADMIN', actor: null, region: null },
] as const;

const DEMO_ACTORS: Record<'asso' | 'cpts' | 'bailleur', Partial<CreateActorInput> & { name: string }> = {
  asso: {
    name: 'Association démo Jeunesse et prévention du Verdunois',
    kind: 'ASSOCIATION',
    sector: 'SOCIAL',
    themes: ['sante-mentale-promotion', 'addictions'],
    audiences: ['jeunes'],
    communeCode: '55545',
    description: 'Acteur fictif de démonstration : son compte (membre@demo.local) peut demander à rejoindre une coalition.',
  },
  cpts: {
    name: 'CPTS démo du Nord meusien',
    kind: 'CPTS',
    sector: 'SANTE',
    themes: ['sante-mentale', 'vaccination'],
    territories: [{ level: TerritoryLevel.DEPARTEMENT, code: '55' }],
    communeCode: '55545',
    description: 'Acteur fictif de démonstration : son compte (coordination@demo.local) pilote les coalitions de démonstration.',
  },
  bailleur: {
    name: 'Bailleur social démo de la Meuse',
    kind: 'AUTRE',
    sector: 'LOGEMENT',
    themes: ['precarite'],
    territories: [{ level: TerritoryLevel.DEPARTEMENT, code: '55' }],
    communeCode: '55029',
    description: 'Acteur fictif de démonstration, suggéré comme partenaire (il apporte le secteur du logement).',
  },
};

const DEMO_COALITIONS = [
  {
    name: 'Coalition démo : santé mentale des jeunes en Meuse',
    kind: 'THEMATIQUE',
    themes: ['sante-mentale'],
    visibility: 'PUBLIC',
    joinPolicy: 'APPROVAL',
    description: 'Coalition fictive de démonstration, sur demande : le compte membre peut y demander l’adhésion, le coordinateur la décider.',
  },
  {
    name: 'Cellule démo de coordination (réservée aux membres)',
    kind: 'COOPERATIVE',
    themes: ['sante-mentale', 'addictions'],
    visibility: 'MEMBERS',
    joinPolicy: 'INVITATION',
    description: 'Coalition fictive de démonstration, visible de ses seuls membres : on y entre sur invitation du coordinateur.',
  },
];

/**
 * Creates (idempotently) the demonstration accounts, the actors they represent and two
 * demonstration coalitions piloted by the coordinator's actor, all marked is_demo. Logs the
 * credentials when the accounts are created.
 */
export async function seedDemoAccounts(ds: DataSource, log: Log): Promise<{ created: number }> {
  const themes = new ThemeService(ds);
  const territories = new TerritoryService(ds);
  const actors = new ActorService(ds, themes, territories);
  const coalitions = new CoalitionService(ds, themes, territories);
  const auth = new AuthService(ds);

  // What is already there, in one statement: a restart finds everything and writes nothing (it
  // asked one question per actor, account and coalition: 9 round trips, ≈ 0.12 s of the embedded
  // database's restart).
  const present = await run<{ kind: 'actor' | 'account' | 'coalition'; key: string; id: string }>(
    ds,
    sql`SELECT * FROM (SELECT DISTINCT ON (name) 'actor' AS kind, name AS key, id::text FROM actor
                         WHERE source = ${SOURCE} AND name = ANY(${Object.values(DEMO_ACTORS).map((a) => a.name)}::text[]) ORDER BY name, id) a
        UNION ALL SELECT 'account', lower(email), id::text FROM user_account WHERE lower(email) = ANY(${DEMO_ACCOUNTS.map((a) => a.email)}::text[])
        UNION ALL SELECT * FROM (SELECT DISTINCT ON (name) 'coalition', name, id::text FROM coalition
                         WHERE source = ${SOURCE} AND name = ANY(${DEMO_COALITIONS.map((c) => c.name)}::text[]) ORDER BY name, id) c`,
  );
  const existing = (kind: 'actor' | 'account' | 'coalition', key: string) => present.find((p) => p.kind === kind && p.key === key)?.id;

  const actorIds: Record<string, string> = {};
  for (const [key, input] of Object.entries(DEMO_ACTORS)) {
    const id = existing('actor', input.name);
    if (id) {
      actorIds[key] = id;
      continue;
    }
    const { record, problems } = await actors.prepare({ ...input, isDemo: true, source: SOURCE });
    if (!record) throw new Error(`Acteur de démonstration invalide (${input.name}) : ${JSON.stringify(problems)}`);
    actorIds[key] = await ds.transaction(async (m) => (await actors.insertMany(m, [record]))[0]);
  }

  let created = 0;
  const userIds: Record<string, string> = {};
  for (const account of DEMO_ACCOUNTS) {
    const id = existing('account', account.email);
    if (id) {
      userIds[account.role] = id;
      continue;
    }
    const passwordHash = await auth.hashPassword(account.password);
    const [row] = await run<{ id: string }>(
      ds,
      sql`INSERT INTO user_account (email, password_hash, display_name, role, region_code, is_demo)
          VALUES (${account.email}, ${passwordHash}, ${account.displayName}, ${account.role}, ${account.region}, true) RETURNING id`,
    );
    userIds[account.role] = row.id;
    if (account.actor) {
      await run(ds, sql`INSERT INTO user_actor (user_id, actor_id) VALUES (${row.id}, ${actorIds[account.actor]}) ON CONFLICT DO NOTHING`);
    }
    created++;
  }

  // The Meuse's area only when a coalition is missing: it reads the keys of every territory, most of this step on a restart.
  let meuse: Awaited<ReturnType<CoalitionService['areaOf']>> | undefined;
  for (const c of DEMO_COALITIONS) {
    if (existing('coalition', c.name)) continue;
    const area = (meuse ??= await coalitions.areaOf(TerritoryLevel.DEPARTEMENT, '55'));
    await ds.transaction(async (m) => {
      const [row] = await run<{ id: string }>(
        m,
        sql`INSERT INTO coalition (name, kind, themes, territory_level, territory_code, area_keys, region_code, start_date, description,
           visibility, join_policy, is_demo, source, created_by)
         VALUES (${c.name}, ${c.kind}, ${c.themes}, 'DEPARTEMENT', '55', ${area.keys}, ${area.regionCode}, date '2026-01-01', ${c.description},
           ${c.visibility}, ${c.joinPolicy}, true, ${SOURCE}, ${userIds.COORDINATOR}) RETURNING id`,
      );
      const [membership] = await run<{ id: string }>(
        m,
        sql`INSERT INTO membership (coalition_id, actor_id, role, status, requested_by, decided_by, decided_at)
         VALUES (${row.id}, ${actorIds.cpts}, 'PILOTE', 'ACTIVE', ${userIds.COORDINATOR}, ${userIds.COORDINATOR}, now()) RETURNING id`,
      );
      await run(
        m,
        sql`INSERT INTO membership_event (membership_id, coalition_id, actor_id, from_status, to_status, role, user_id)
         VALUES (${membership.id}, ${row.id}, ${actorIds.cpts}, NULL, 'ACTIVE', 'PILOTE', ${userIds.COORDINATOR})`,
      );
    });
  }

  if (created > 0) {
    log('Comptes de démonstration créés (voir aussi le README) :');
    for (const a of DEMO_ACCOUNTS) log(`  ${a.role.padEnd(12)} ${a.email.padEnd(26)} mot de passe : ${a.password}`);
  } else {
    log('Comptes de démonstration déjà présents (identifiants dans le README)');
  }
  return { created };
}
