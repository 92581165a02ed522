import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { DataSource } from 'typeorm';
import { ActorKind, ReviewStatus, Sector } from '../server/actors/actor-enums.js';
import type { CreateActorInput } from '../server/actors/actor.inputs.js';
import { ActorService, type ActorRecord } from '../server/actors/actor.service.js';
import { levelFor } from '../server/actors/actor-columns.js';
import { type Queryable, run, sql } from '../server/db/sql.js';
import { refreshStatistics } from '../server/db/statistics.js';
import { TerritoryLevel } from '../server/territories/territory-level.js';
import { TerritoryService } from '../server/territories/territory.service.js';
import { ThemeService } from '../server/themes/theme.service.js';
import { rebuildPaysOff } from '../server/gaps/gap-aggregates.js';
import { seedDataDir } from './paths.js';
import type { Log } from './progress.js';

/** Sources of the seeded actors: a row is found again by its source, so a second run adds nothing. */
export const PUBLIC_ACTORS_SOURCE = 'documents-publics';
export const STUDENT_SOURCE = 'sante-mentale-etudiant';
export const DEMO_ACTORS_SOURCE = 'demo:repertoire';

type Row = Record<string, string>;

/** An actor to seed, with the date its source gives it (`verifiedAt`, null when unknown). */
type SeedInput = CreateActorInput & {
  name: string;
  source: string;
  verifiedAt: string | null;
  /** The name an earlier version of the seed gave it: a row still named so is renamed, not doubled. */
  formerName?: string;
};

/**
 * « de » before a commune's name, as French writes it: « d’Aubervilliers », « du Havre », « des
 * Abymes », « de La Rochelle », « de Verdun » (an initial h is taken as mute).
 */
export function deCommune(name: string): string {
  if (name.startsWith('Le ')) return `du ${name.slice(3)}`;
  if (name.startsWith('Les ')) return `des ${name.slice(4)}`;
  return /^[aeiouyàâäéèêëîïôöùûüœh]/i.test(name) ? `d’${name}` : `de ${name}`;
}

const SOURCE_TITLES: Record<string, string> = {
  'DGS-partenariats': 'Direction générale de la santé, « Politique des partenariats associatifs »',
  'ARS-GE-2018': 'ARS Grand Est, rapport d’activité 2018, « Travailler avec les partenaires »',
  'ARS-IDF-PRS-axe6': 'ARS Île-de-France, Projet régional de santé, axe 6, « Développer les coalitions d’acteurs »',
  'Villes-Sante-OMS': 'Réseau français des Villes-Santé de l’OMS, « Gouvernance territoriale en santé »',
  'Schoene-2020': 'Dr Marc Schoene, « De prometteuses convergences en promotion de la santé », 3 juillet 2020',
};

/**
 * The date of each source document, which a real actor carries as its `verifiedAt` (the last time
 * someone responsible stated what it is) until a representative or an analyst confirms it:
 * - Schoene-2020: dated 3 July 2020 in its title;
 * - ARS-GE-2018: the 2018 activity report, whose latest facts are « fin 2018 » (31 December 2018);
 * - ARS-IDF-PRS-axe6: a working version of the second Île-de-France PRS, written in 2017 (31 December 2017);
 * - DGS-partenariats and Villes-Sante-OMS: web pages that carry no date: never confirmed (null).
 */
export const SOURCE_DATES: Record<string, string | null> = {
  'DGS-partenariats': null,
  'ARS-GE-2018': '2018-12-31',
  'ARS-IDF-PRS-axe6': '2017-12-31',
  'Villes-Sante-OMS': null,
  'Schoene-2020': '2020-07-03',
};

/** The student services' files last changed on 22 July 2026 (betagouv/sante-mentale-etudiant commit 64418984). */
export const STUDENT_SOURCE_DATE = '2026-07-22';

/**
 * A fictitious confirmation date for a demonstration actor, stated as such in the README: spread
 * over the 42 months before December 2026 by a hash of its name, so that about half are stale and
 * the freshness figures have something to show.
 */
export const demoVerifiedAt = (name: string): string =>
  new Date(Date.UTC(2023, 5, 1) + (stableHash(`verifie:${name}`) % 1278) * 86_400_000).toISOString().slice(0, 10);

/**
 * The kind of each organisation of acteurs.csv whose `type` column is too general to say it
 * (« service de l'État », « agence de l'État »): read off its name.
 */
const PUBLIC_KINDS: Record<string, ActorKind> = {
  dgs: ActorKind.DGS,
  'ars-ge': ActorKind.ARS,
  'ars-idf': ActorKind.ARS,
  'drdfe-ge': ActorKind.DRDFE,
  'dirpjj-ge': ActorKind.PJJ,
  'drieate-idf': ActorKind.DDT_DRIEATE,
  'drihl-idf': ActorKind.DRIHL,
  'driets-idf': ActorKind.DRIETS,
  'ac-paris': ActorKind.EDUCATION_NATIONALE,
  'ac-creteil': ActorKind.EDUCATION_NATIONALE,
  'ac-versailles': ActorKind.EDUCATION_NATIONALE,
};

const TYPE_KINDS: Record<string, ActorKind> = {
  association: ActorKind.ASSOCIATION,
  'association de collectivités': ActorKind.ASSOCIATION,
  "association d'élus": ActorKind.ASSOCIATION,
  "agence de l'état": ActorKind.AGENCE_ETAT,
  "service de l'état": ActorKind.SERVICE_ETAT,
  "instance consultative de l'état": ActorKind.SERVICE_ETAT,
  'instance de démocratie en santé': ActorKind.INSTANCE_DEMOCRATIE_SANTE,
};

const SECTORS: Record<string, Sector> = {
  santé: Sector.SANTE,
  social: Sector.SOCIAL,
  'médico-social': Sector.MEDICO_SOCIAL,
  éducation: Sector.EDUCATION,
  logement: Sector.LOGEMENT,
  justice: Sector.JUSTICE,
  collectivité: Sector.COLLECTIVITE,
  état: Sector.ETAT,
  recherche: Sector.RECHERCHE,
  'usagers/citoyens': Sector.USAGERS,
};

const readCsv = (file: string): Row[] => parse(fs.readFileSync(file, 'utf8'), { delimiter: ';', columns: true, bom: true, skip_empty_lines: true, trim: true });

export interface SeedActorsReport {
  created: number;
  existing: number;
  /** Rows left out, with the reason (never silently). */
  rejected: string[];
}

/**
 * Writes the actors that are not there yet (found again by source + name), in one transaction,
 * with the gap aggregates rebuilt once at the end when the batch is large.
 */
async function insertMissing(ds: DataSource, inputs: SeedInput[], label: string, log: Log): Promise<SeedActorsReport> {
  const report: SeedActorsReport = { created: 0, existing: 0, rejected: [] };
  if (!inputs.length) return report;
  const themes = new ThemeService(ds);
  const territories = new TerritoryService(ds);
  const actors = new ActorService(ds, themes, territories);
  const sources = [...new Set(inputs.map((i) => i.source))];
  const renamed = inputs.filter((i) => i.formerName !== undefined && i.formerName !== i.name);
  if (renamed.length) {
    // Names an earlier seed wrote (« de la ville de Aubervilliers »): the same rows, renamed.
    await run(
      ds,
      sql`UPDATE actor a SET name = r.name, description = r.description, version = a.version + 1, updated_at = now()
          FROM unnest(${renamed.map((i) => i.source)}::text[], ${renamed.map((i) => i.formerName!)}::text[],
                      ${renamed.map((i) => i.name)}::text[], ${renamed.map((i) => i.description ?? null)}::text[]) AS r(source, former, name, description)
          WHERE a.source = r.source AND a.name = r.former
            AND NOT EXISTS (SELECT 1 FROM actor b WHERE b.source = r.source AND b.name = r.name)`,
    );
  }
  const existing = new Set(
    (await run<{ source: string; name: string }>(ds, sql`SELECT source, name FROM actor WHERE source = ANY(${sources}::text[])`)).map(
      (r) => `${r.source}\u0000${r.name}`,
    ),
  );
  const records: ActorRecord[] = [];
  for (const input of inputs) {
    if (existing.has(`${input.source}\u0000${input.name}`)) {
      report.existing++;
      continue;
    }
    const { record, problems } = await actors.prepare(input);
    if (record) records.push(record);
    else report.rejected.push(`${input.name} (${problems.map((p) => `${p.field} : ${p.reason}`).join(' ; ')})`);
  }
  /** The gap aggregates rebuilt once by this write (`gap_rebuild()`), rather than kept up by the triggers. */
  let bulk = false;
  if (records.length) {
    // A national or regional body covers tens of thousands of communes, and a large batch many
    // more: then rebuilding the gap aggregates once is cheaper than keeping them up through the
    // triggers. A few local actors go through the triggers.
    // On a directory that already holds many actors (imports), the rebuild would cost far more
    // than the triggers: then the seed goes through the triggers whatever its size.
    const wide = records.some((r) => r.territories.some((t) => t.level === TerritoryLevel.PAYS || t.level === TerritoryLevel.REGION));
    const [{ actors: existingActors }] = await run<{ actors: number }>(ds, sql`SELECT count(*)::int AS actors FROM actor`);
    bulk = rebuildPaysOff(records.length, existingActors, wide ? 1 : 500);
    await ds.transaction(async (m) => {
      // Seeding is an operator's step at start-up, not a request: no request timeout applies.
      await m.query(`SET LOCAL statement_timeout = 0`);
      if (bulk) await m.query(`SET LOCAL app.gap_aggregates_deferred = 'on'`);
      // An empty directory's first load: the communes covered are written before their table's
      // indexes and foreign key, which are built once at the end (migration 1764000000031).
      const firstLoad = bulk && existingActors === 0;
      if (firstLoad) await m.query(`SELECT bulk_load_begin('coverage_commune')`);
      // Real actors from public documents and the fictitious directory are validated: they count in the gaps.
      for (let i = 0; i < records.length; i += 1000) await actors.insertMany(m, records.slice(i, i + 1000), ReviewStatus.VALIDATED);
      if (firstLoad) await m.query(`SELECT bulk_load_end('coverage_commune')`);
      // The sources' dates before the aggregates are counted, in the same transaction: dated after
      // the rebuild, each national body was counted again, fresh, in its 35,000 communes through the
      // triggers (8.6 s of the 41.6 s of the demonstration's actors on the embedded database).
      await dateSeeded(m, inputs);
      if (bulk) await m.query(`SELECT gap_rebuild()`);
    });
  } else await dateSeeded(ds, inputs);
  await refreshStatistics(ds, records.length, undefined, { aggregatesRebuilt: bulk });
  report.created = records.length;
  if (report.created || report.rejected.length) {
    log(
      `${label} : ${report.created} créé(s), ${report.existing} déjà présent(s)` +
        (report.rejected.length ? ` ; écartés : ${report.rejected.join(' ; ')}` : ''),
    );
  }
  return report;
}

/**
 * Gives each seeded actor the date of its source where it has none yet: those just written, and
 * those written before the column existed (migration 1764000000019). A date someone set by
 * confirming the record is never moved: a reload changes nothing.
 */
async function dateSeeded(db: Queryable, inputs: SeedInput[]): Promise<void> {
  const dated = inputs.filter((i) => i.verifiedAt).map((i) => ({ source: i.source, name: i.name, verified_at: i.verifiedAt }));
  if (!dated.length) return;
  await run(
    db,
    sql`UPDATE actor a SET verified_at = r.verified_at::timestamptz
        FROM json_to_recordset(${JSON.stringify(dated)}::json) AS r(source text, name text, verified_at text)
        WHERE a.source = r.source AND a.name = r.name AND a.verified_at IS NULL`,
  );
}

/**
 * The real organisations named in public policy documents
 * (seeds/data/acteurs/documents-publics/acteurs.csv), with their official areas of competence.
 */
export async function seedPublicActors(ds: DataSource, log: Log, dir?: string): Promise<SeedActorsReport> {
  return insertMissing(ds, await publicActorInputs(ds, dir), 'Acteurs des documents publics', log);
}

async function publicActorInputs(ds: DataSource, dir = path.join(seedDataDir(), 'acteurs', 'documents-publics')): Promise<SeedInput[]> {
  const file = path.join(dir, 'acteurs.csv');
  if (!fs.existsSync(file)) return [];
  const themes = await new ThemeService(ds).taxonomy();
  return readCsv(file).map((r) => {
    const level = levelFor(r.territoire_niveau);
    const audiences = r.publics
      .split('|')
      .filter(Boolean)
      .map((p) => themes.findAudience(p)?.code ?? p);
    return {
      name: r.nom,
      kind: PUBLIC_KINDS[r.id] ?? TYPE_KINDS[r.type.toLowerCase()] ?? ActorKind.AUTRE,
      sector: SECTORS[r.secteur.toLowerCase()] ?? (undefined as unknown as Sector),
      themes: r.thematiques.split('|').filter(Boolean),
      audiences,
      territories: level ? r.territoire_code.split('|').map((code) => ({ level, code })) : [],
      description: `Organisation réelle citée dans : ${SOURCE_TITLES[r.source] ?? r.source}. Territoire : sa compétence officielle.`,
      source: PUBLIC_ACTORS_SOURCE,
      isDemo: false,
      verifiedAt: SOURCE_DATES[r.source] ?? null,
    };
  });
}

interface StudentService {
  name: string;
  city?: string;
  universityName?: string;
  address?: string;
  latitude: number;
  longitude: number;
  openingHours?: string;
  eligibility?: string;
  phone?: string;
  email?: string;
  website?: string;
}

/**
 * The real student mental-health services (seeds/data/acteurs/sante-mentale-etudiant, from
 * betagouv/sante-mentale-etudiant): bureaux d'aide psychologique universitaires (BAPU) and
 * services de santé étudiante (SSE), placed at their address, covering the commune they are in.
 */
export async function seedStudentServices(ds: DataSource, log: Log, dir?: string): Promise<SeedActorsReport> {
  const { inputs, rejected } = await studentServiceInputs(ds, dir);
  const report = await insertMissing(ds, inputs, 'Services de santé mentale étudiante', log);
  report.rejected.push(...rejected);
  if (rejected.length) log(`Services de santé mentale étudiante écartés : ${rejected.join(' ; ')}`);
  return report;
}

async function studentServiceInputs(
  ds: DataSource,
  dir = path.join(seedDataDir(), 'acteurs', 'sante-mentale-etudiant'),
): Promise<{ inputs: SeedInput[]; rejected: string[] }> {
  const territories = new TerritoryService(ds);
  const inputs: SeedInput[] = [];
  const rejected: string[] = [];
  // The services' opening hours, transcribed from their French text into OSM opening_hours (by site).
  const hoursFile = path.join(dir, 'horaires-osm.json');
  const hours = new Map(Object.entries(fs.existsSync(hoursFile) ? (JSON.parse(fs.readFileSync(hoursFile, 'utf8')) as Record<string, string>) : {}));
  for (const [file, kind, sector, what] of [
    ['bapu.json', ActorKind.ETABLISSEMENT_MEDICO_SOCIAL, Sector.MEDICO_SOCIAL, 'Bureau d’aide psychologique universitaire (BAPU)'],
    ['sse.json', ActorKind.SERVICE_SANTE_ETUDIANTE, Sector.SANTE, 'Service de santé étudiante (SSE)'],
  ] as const) {
    const full = path.join(dir, file);
    if (!fs.existsSync(full)) continue;
    for (const s of JSON.parse(fs.readFileSync(full, 'utf8')) as StudentService[]) {
      // Several BAPU share the name of the association that runs them: the site tells them apart.
      const name =
        file === 'bapu.json' && s.city && s.city !== s.name ? `${s.city} (${s.name})` : s.universityName ? `${s.name} — ${s.universityName}` : s.name;
      const commune = await territories.at(s.longitude, s.latitude, TerritoryLevel.COMMUNE).catch(() => null);
      if (!commune) {
        rejected.push(`${name} (aucune commune à ses coordonnées)`);
        continue;
      }
      const details = [what, s.eligibility && `Public : ${s.eligibility.trim()}`, s.openingHours && `Horaires : ${s.openingHours.trim()}`]
        .filter(Boolean)
        .join('. ');
      inputs.push({
        name,
        kind,
        sector,
        themes: ['sante-mentale'],
        audiences: ['jeunes'],
        address: s.address?.replace(/\s+/g, ' ').trim() || null,
        communeCode: commune.code,
        lon: s.longitude,
        lat: s.latitude,
        territories: [{ level: TerritoryLevel.COMMUNE, code: commune.code }],
        description: `${details}. Source : betagouv/sante-mentale-etudiant.`,
        // Institutional contacts published by the service itself, not those of a person.
        phone: s.phone?.trim() || null,
        email: s.email?.trim() || null,
        website: s.website?.trim() || null,
        openingHours: (s.city && hours.get(s.city)) || null,
        source: STUDENT_SOURCE,
        isDemo: false,
        verifiedAt: STUDENT_SOURCE_DATE,
      });
    }
  }
  return { inputs, rejected };
}

/** A small, stable hash of a string (FNV-1a), so that the demonstration set is the same on every machine. */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const CPTS_THEMES = ['sante-mentale', 'vaccination', 'maladies-chroniques', 'nutrition-activite-physique', 'perinatalite-enfants-jeunes-femmes', 'addictions'];
const DEPARTEMENT_ACTORS = [
  { prefix: 'Association démo de prévention des addictions', themes: ['addictions'], audiences: ['jeunes', 'tout-public'], sector: Sector.SANTE, share: 5 },
  { prefix: 'Association démo de santé sexuelle', themes: ['sante-sexuelle'], audiences: ['jeunes', 'femmes'], sector: Sector.SANTE, share: 4 },
  { prefix: 'Réseau démo de soutien à la parentalité', themes: ['parentalite'], audiences: ['parents'], sector: Sector.SOCIAL, share: 3 },
  { prefix: 'Collectif démo santé-environnement', themes: ['sante-environnement'], audiences: ['tout-public'], sector: Sector.USAGERS, share: 3 },
] as const;
/**
 * Demonstration actors on sub-themes (« Tabac », « Prévention du suicide », « VIH »…), beside those on
 * whole themes: a search or a gap analysis on a sub-theme has something to show, and a search for
 * « tabac » finds actors by name, by sub-theme and by theme. Local ones work around the most
 * populated commune of their département.
 */
const SUB_THEME_ACTORS = [
  {
    prefix: 'Consultation démo jeunes consommateurs',
    kind: ActorKind.ETABLISSEMENT_MEDICO_SOCIAL,
    sector: Sector.MEDICO_SOCIAL,
    themes: ['addictions-tabac', 'addictions-alcool', 'addictions-drogues-illicites'],
    audiences: ['jeunes', 'parents'],
    radiusKm: 20,
    share: 6,
  },
  {
    prefix: 'Centre démo de dépistage VIH, IST et hépatites',
    kind: ActorKind.ETABLISSEMENT_SANTE,
    sector: Sector.SANTE,
    themes: ['sante-sexuelle-vih', 'sante-sexuelle-ist', 'sante-sexuelle-hepatites'],
    audiences: ['tout-public'],
    radiusKm: 30,
    share: 5,
  },
  {
    prefix: 'Association démo de prévention du suicide',
    kind: ActorKind.ASSOCIATION,
    sector: Sector.SANTE,
    themes: ['sante-mentale-prevention-suicide'],
    audiences: ['tout-public'],
    radiusKm: null,
    share: 4,
  },
] as const;

/**
 * A clearly labelled demonstration directory over real territories, the same on every machine
 * (choices come from a hash of the codes, not from chance), so that searches, gaps and coalitions
 * have something to show. Every actor says « démo » in its name, is flagged `isDemo` and says it is
 * fictitious in its description; about a third of the EPCI and half of the départements are left
 * without some themes so that gaps appear.
 * - a CPTS for about six EPCI in ten, covering the EPCI, on two themes;
 * - in some départements, an association per theme covering the département;
 * - in the three most populated communes of each département, a centre working within 10 km;
 * - in some départements, actors on sub-themes (SUB_THEME_ACTORS).
 */
export async function seedDemoActors(ds: DataSource, log: Log, options: { departements?: string[] } = {}): Promise<SeedActorsReport> {
  return insertMissing(ds, await demoActorInputs(ds, options), 'Acteurs de démonstration', log);
}

async function demoActorInputs(ds: DataSource, options: { departements?: string[] }): Promise<SeedInput[]> {
  const deps: { code: string; name: string }[] = await ds.query(
    `SELECT code, name FROM territory WHERE level = 'DEPARTEMENT' AND geom IS NOT NULL
       AND ($1::text[] IS NULL OR code = ANY($1::text[])) ORDER BY code`,
    [options.departements ?? null],
  );
  const depCodes = deps.map((d) => d.code);
  const epcis: { code: string; name: string; departement_code: string; seat: string | null }[] = await ds.query(
    `SELECT e.code, e.name, e.departement_code,
       (SELECT c.code FROM territory c WHERE c.level = 'COMMUNE' AND c.epci_code = e.code ORDER BY c.population DESC NULLS LAST LIMIT 1) AS seat
     FROM territory e WHERE e.level = 'EPCI' AND e.departement_code = ANY($1::text[]) ORDER BY e.code`,
    [depCodes],
  );
  const towns: { code: string; name: string; departement_code: string; lon: number; lat: number; n: number }[] = await ds.query(
    `SELECT code, name, departement_code, ST_X(p) AS lon, ST_Y(p) AS lat, n::int AS n FROM (
       SELECT c.code, c.name, c.departement_code, ST_PointOnSurface(c.geom) AS p,
         row_number() OVER (PARTITION BY c.departement_code ORDER BY c.population DESC NULLS LAST, c.code) AS n
       FROM territory c WHERE c.level = 'COMMUNE' AND c.geom IS NOT NULL AND c.departement_code = ANY($1::text[])) t
     WHERE n <= 3 ORDER BY code`,
    [depCodes],
  );
  const fictitious = 'Acteur fictif de démonstration : il n’existe pas, il sert à essayer le répertoire.';
  const inputs: Omit<SeedInput, 'verifiedAt'>[] = [];
  for (const e of epcis) {
    const h = stableHash(`cpts:${e.code}`);
    if (h % 10 >= 6) continue;
    const first = CPTS_THEMES[h % CPTS_THEMES.length];
    const second = CPTS_THEMES[(h >>> 8) % CPTS_THEMES.length];
    inputs.push({
      name: `CPTS démo — ${e.name}`,
      kind: ActorKind.CPTS,
      sector: Sector.SANTE,
      themes: [...new Set([first, second])],
      audiences: ['tout-public'],
      territories: [{ level: TerritoryLevel.EPCI, code: e.code }],
      communeCode: e.seat,
      description: `${fictitious} Communauté professionnelle territoriale de santé couvrant l’EPCI ${e.name}.`,
      source: DEMO_ACTORS_SOURCE,
      isDemo: true,
    });
  }
  for (const d of deps) {
    for (const a of DEPARTEMENT_ACTORS) {
      if (stableHash(`${a.prefix}:${d.code}`) % 10 >= a.share) continue;
      inputs.push({
        name: `${a.prefix} — ${d.name}`,
        kind: ActorKind.ASSOCIATION,
        sector: a.sector,
        themes: [...a.themes],
        audiences: [...a.audiences],
        territories: [{ level: TerritoryLevel.DEPARTEMENT, code: d.code }],
        description: `${fictitious} Association départementale.`,
        source: DEMO_ACTORS_SOURCE,
        isDemo: true,
      });
    }
  }
  for (const t of towns) {
    const h = stableHash(`centre:${t.code}`);
    const kind = h % 2 === 0 ? ActorKind.ETABLISSEMENT_MEDICO_SOCIAL : ActorKind.COLLECTIVITE;
    inputs.push({
      name:
        kind === ActorKind.COLLECTIVITE
          ? `Service démo de santé publique de la ville ${deCommune(t.name)}`
          : `Point accueil démo santé jeunes ${deCommune(t.name)}`,
      formerName: kind === ActorKind.COLLECTIVITE ? `Service démo de santé publique de la ville de ${t.name}` : `Point accueil démo santé jeunes de ${t.name}`,
      kind,
      sector: kind === ActorKind.COLLECTIVITE ? Sector.COLLECTIVITE : Sector.MEDICO_SOCIAL,
      themes:
        kind === ActorKind.COLLECTIVITE
          ? ['sante-environnement', 'vaccination', 'nutrition-activite-physique']
          : ['sante-mentale', 'addictions', 'sante-sexuelle'],
      audiences: kind === ActorKind.COLLECTIVITE ? ['tout-public'] : ['jeunes'],
      communeCode: t.code,
      lon: Math.round(t.lon * 1e6) / 1e6,
      lat: Math.round(t.lat * 1e6) / 1e6,
      radiusKm: 10,
      description: `${fictitious} Intervient à 10 km autour ${deCommune(t.name)}.`,
      // Fictitious contacts: a number of the range ARCEP keeps for fiction (01 99 00 …), a documentation domain.
      phone: `01 99 00 ${String(h % 100).padStart(2, '0')} ${String(Math.floor(h / 100) % 100).padStart(2, '0')}`,
      email: `demo-${t.code.toLowerCase()}@example.org`,
      openingHours: kind === ActorKind.COLLECTIVITE ? 'Mo-Fr 08:30-12:00,13:30-17:00' : 'Mo,Tu,Th,Fr 13:00-18:00; We 10:00-18:00',
      source: DEMO_ACTORS_SOURCE,
      isDemo: true,
    });
  }
  for (const d of deps) {
    const town = towns.find((t) => t.departement_code === d.code && t.n === 1);
    for (const a of SUB_THEME_ACTORS) {
      if (stableHash(`${a.prefix}:${d.code}`) % 10 >= a.share) continue;
      const common = {
        kind: a.kind,
        sector: a.sector,
        themes: [...a.themes],
        audiences: [...a.audiences],
        source: DEMO_ACTORS_SOURCE,
        isDemo: true,
      };
      if (a.radiusKm === null) {
        inputs.push({
          ...common,
          name: `${a.prefix} — ${d.name}`,
          territories: [{ level: TerritoryLevel.DEPARTEMENT, code: d.code }],
          description: `${fictitious} Association départementale.`,
        });
      } else if (town) {
        inputs.push({
          ...common,
          name: `${a.prefix} ${deCommune(town.name)}`,
          communeCode: town.code,
          lon: Math.round(town.lon * 1e6) / 1e6,
          lat: Math.round(town.lat * 1e6) / 1e6,
          radiusKm: a.radiusKm,
          description: `${fictitious} Intervient à ${a.radiusKm} km autour ${deCommune(town.name)}.`,
        });
      }
    }
  }
  return inputs.map((i) => ({ ...i, verifiedAt: demoVerifiedAt(i.name) }));
}

/**
 * Everything start-up seeds, written at once (one rebuild of the gap aggregates): the real
 * organisations of the public documents, the real student services and, when asked, the
 * demonstration directory.
 */
export async function seedActors(
  ds: DataSource,
  log: Log,
  options: { publicActors?: boolean; demoActors?: boolean; departements?: string[] },
): Promise<SeedActorsReport> {
  const inputs: SeedInput[] = [];
  const rejected: string[] = [];
  if (options.publicActors) {
    inputs.push(...(await publicActorInputs(ds)));
    const students = await studentServiceInputs(ds);
    inputs.push(...students.inputs);
    rejected.push(...students.rejected);
  }
  if (options.demoActors) inputs.push(...(await demoActorInputs(ds, options)));
  const report = await insertMissing(ds, inputs, 'Acteurs (documents publics, santé mentale étudiante, démonstration)', log);
  if (rejected.length) log(`Acteurs écartés : ${rejected.join(' ; ')}`);
  report.rejected.push(...rejected);
  return report;
}
