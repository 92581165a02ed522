import type { DataSource } from 'typeorm';
import { COLUMNS, kindFor } from '../../actors/actor-columns.js';
import { ActorKind, Sector } from '../../actors/actor-enums.js';
import type { ImportProblem, ParsedFile, RawRow, Values } from '../../actors/actor-import-read.js';
import { importParsed, type ImportOptions, type ImportReport, type ImportServices } from '../../actors/actor-import.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { LEVEL_LABELS, type TerritoryLevel } from '../../territories/territory-level.js';
import { storedKeys } from '../data-inclusion/di-import.js';
import { HSDS_TAXONOMY, type HsdsField } from './hsds-attributes.js';
import { emailAddress, webAddress } from './hsds-model.js';
import { type HsdsInput, isObject, isZip, type Json, readHsdsJson, readHsdsZip } from './hsds-read.js';
import { openingHoursOf } from './hsds-schedule.js';

// HSDS 3.0 organizations (organizations.json, or the tables of hsds.zip nested again) read into the
// rows of the actors import: one row per organization, its themes, publics and territories taken
// from its services. Everything else (checks, matching, the one transaction, the report) is the
// actors import's, as for data·inclusion.

/** Report field names: the import's French column → the HSDS field that fed it. */
const HSDS_FIELD: Record<string, string> = {
  identifiant: 'id',
  nom: 'name',
  type: 'attributes[nature]',
  secteur: 'attributes[secteur]',
  siren: 'organization_identifiers[SIREN]',
  siret: 'organization_identifiers[SIRET]',
  rna: 'organization_identifiers[RNA]',
  finess: 'organization_identifiers[FINESS]',
  adresse: 'locations.addresses.address_1',
  code_postal: 'locations.addresses.postal_code',
  commune: 'attributes[commune]',
  latitude: 'locations.latitude',
  longitude: 'locations.longitude',
  telephone: 'phones.number',
  site_web: 'website',
  horaires: 'schedules',
  thematiques: 'services.attributes[thematiques]',
  publics: 'services.attributes[publics]',
  territoires: 'services.service_areas.uri',
  rayon_km: 'attributes[rayon_km]',
  source: 'attributes[source]',
  demonstration: 'attributes[demonstration]',
};

/** `source` of an actor imported from another directory's HSDS organization: `hsds--<its id>`. */
const sourceKey = (id: string) => `hsds--${id}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Nature and sector of a new actor from an organization that says none this directory knows. */
const OTHER = { kind: ActorKind.AUTRE, sector: Sector.SOCIAL };

/** A territory of the API Découpage administratif (how the export writes a service area's `uri`) as the import's `niveau:code`. */
const URI = /^https:\/\/geo\.api\.gouv\.fr\/(communes|epcis|departements|regions)\/([0-9A-Za-z]+)(\?type=arrondissement-municipal)?$/;
const URI_LEVELS: Record<string, string> = { communes: 'commune', epcis: 'epci', departements: 'departement', regions: 'region' };
/** A service area without URI (an EPT, France): the export's description « EPT Paris Ouest La Défense (code 200057982, … ». */
const LEVEL_BY_LABEL = new Map(Object.entries(LEVEL_LABELS).map(([level, label]) => [label, level as TerritoryLevel]));

function territoryOf(area: Json): string | null {
  const uri = typeof area.uri === 'string' ? area.uri.trim() : '';
  const m = URI.exec(uri);
  if (m) return `${m[3] ? 'arrondissement' : URI_LEVELS[m[1]]}:${m[2]}`;
  const d = typeof area.description === 'string' ? /^(EPT|pays) .* \(code ([0-9A-Z]+), code officiel géographique/.exec(area.description) : null;
  const level = d && LEVEL_BY_LABEL.get(d[1]);
  return level && d ? `${level.toLowerCase()}:${d[2]}` : null;
}

/** Reads the members of one organization, reporting the ones of the wrong type on its row. */
class Reader {
  readonly problems: ImportProblem[] = [];
  constructor(readonly row: number) {}

  text(o: Json, key: string, path = key): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    this.problems.push({ row: this.row, field: path, reason: `texte attendu, lu ${JSON.stringify(v).slice(0, 40)}` });
    return undefined;
  }

  number(o: Json, key: string, path: string): number | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return v;
    this.problems.push({ row: this.row, field: path, reason: `nombre attendu (schéma HSDS 3.0), lu ${JSON.stringify(v).slice(0, 30)}` });
    return undefined;
  }

  list(o: Json, key: string, path = key): Json[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v) && v.every(isObject)) return v;
    this.problems.push({ row: this.row, field: path, reason: `liste d’objets HSDS attendue, lu ${JSON.stringify(v).slice(0, 40)}` });
    return [];
  }
}

/** An attribute's taxonomy, term code and name and value (the term nested, as both forms of the file give it after reading). */
function termOf(a: Json): { taxonomy: string; code: string; name: string; value: string | undefined } | null {
  const t = isObject(a.taxonomy_term) ? a.taxonomy_term : null;
  if (!t) return null;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return { taxonomy: str(t.taxonomy), code: str(t.code), name: str(t.name), value: typeof a.value === 'string' ? a.value : undefined };
}

/** The directory's codes of a service's terms for one vocabulary: its own taxonomy's codes (unknown: reported by the import), or another taxonomy's terms it recognises. */
function codesOf(terms: ReturnType<typeof termOf>[], own: string, find: (text: string) => { code: string } | undefined): string[] {
  const out: string[] = [];
  for (const t of terms) {
    if (!t) continue;
    if (t.taxonomy === own) out.push(t.code);
    else if (!Object.values(HSDS_TAXONOMY).includes(t.taxonomy as never)) {
      const found = find(t.code) ?? find(t.name);
      if (found) out.push(found.code);
    }
  }
  return [...new Set(out)];
}

/** Every column: an organization fills them all (an absent value clears the stored one, as an empty cell does). */
const PRESENT = COLUMNS.map((c) => c.key);

/** One organization as a row of the actors import. `imported`: actors already imported from other directories' organizations, by `hsds--<id>`. */
function rowOf(o: unknown, row: number, taxonomy: Taxonomy, imported: ReadonlyMap<string, string>, seen: Map<string, number>): RawRow {
  const r = new Reader(row);
  const values: Values = {};
  if (!isObject(o)) {
    r.problems.push({ row, field: 'organization', reason: 'un objet JSON (une organisation HSDS 3.0) est attendu' });
    return { row, values, problems: r.problems, newActor: OTHER };
  }
  // Problems of a field the actors import checks too are named by its column (`nom`), so that it is reported once; the report renames them (HSDS_FIELD).
  const id = r.text(o, 'id', 'identifiant');
  if (!id?.trim()) r.problems.push({ row, field: 'identifiant', reason: 'l’identifiant (id) de l’organisation est requis par le schéma HSDS 3.0' });
  else if (!UUID.test(id))
    r.problems.push({ row, field: 'identifiant', reason: `l’identifiant d’une organisation HSDS 3.0 est un UUID, lu « ${id.slice(0, 40)} »` });
  else if (seen.has(id.toLowerCase())) r.problems.push({ row, field: 'identifiant', reason: `même id que l’organisation n° ${seen.get(id.toLowerCase())}` });
  else seen.set(id.toLowerCase(), row);
  const name = r.text(o, 'name', 'nom');
  if (!name?.trim()) r.problems.push({ row, field: 'nom', reason: 'le nom (name) de l’organisation est requis par le schéma HSDS 3.0' });
  const description = r.text(o, 'description');
  if (description === undefined) r.problems.push({ row, field: 'description', reason: 'la description de l’organisation est requise par le schéma HSDS 3.0' });

  // The directory's own fields (its exports): attributes of its fields taxonomy.
  const fields = new Map<string, string>();
  for (const t of r.list(o, 'attributes').map(termOf)) if (t?.taxonomy === HSDS_TAXONOMY.field) fields.set(t.code, t.value ?? '');
  const field = (k: HsdsField) => fields.get(k);
  const ours = fields.size > 0;

  const services = r.list(o, 'services');
  const locations = [
    ...r.list(o, 'locations'),
    ...services.flatMap((s, i) => r.list(s, 'service_at_locations', `services[${i}].service_at_locations`).map((sal) => sal.location)).filter(isObject),
  ];
  const location = locations.find((l) => l.latitude !== undefined || Array.isArray(l.addresses)) ?? locations[0];
  const address = location ? r.list(location, 'addresses', 'locations.addresses')[0] : undefined;
  const phone = [o, ...services, ...locations].flatMap((x) => r.list(x, 'phones')).find((p) => typeof p.number === 'string');

  values.id = id && UUID.test(id) ? (imported.get(sourceKey(id)) ?? id.toLowerCase()) : undefined;
  values.name = name;
  // The export writes the nature's label as legal_status: an edited one wins, one the directory does not know gives way to the attribute.
  values.kind = (typeof o.legal_status === 'string' ? kindFor(o.legal_status) : undefined) ?? field('nature');
  values.sector = field('secteur');
  const identifiers = new Map<string, string>();
  for (const i of r.list(o, 'organization_identifiers')) {
    const type = typeof i.identifier_type === 'string' ? i.identifier_type.trim().toUpperCase() : '';
    const value = r.text(i, 'identifier', 'organization_identifiers.identifier');
    if (['SIREN', 'SIRET', 'RNA', 'FINESS'].includes(type) && value !== undefined && !identifiers.has(type)) identifiers.set(type, value);
  }
  values.siren = identifiers.get('SIREN');
  values.siret = identifiers.get('SIRET');
  values.rna = identifiers.get('RNA');
  values.finess = identifiers.get('FINESS');

  if (address) {
    values.address = [r.text(address, 'address_1'), r.text(address, 'address_2')].filter((x) => x?.trim()).join(', ') || undefined;
    values.postalCode = r.text(address, 'postal_code');
  } else if (location && ours) values.address = r.text(location, 'description', 'locations.description');
  // The attribute carries a postal code no address holds (an actor without street address).
  values.postalCode ??= field('code_postal');
  values.communeCode = field('commune');
  if (location) {
    values.lat = r.number(location, 'latitude', 'latitude');
    values.lon = r.number(location, 'longitude', 'longitude');
  }
  const service = services[0];
  // A stored value HSDS could not hold travels beside the standard field; it wins while that field still says what the export wrote.
  const stored = (k: HsdsField, standard: string | undefined, written: (v: string) => string | null) => {
    const v = field(k);
    return v !== undefined && written(v) === (standard ?? null) ? v : standard;
  };
  values.description =
    fields.has('description') && description === field('description')
      ? undefined
      : (description ?? (service && r.text(service, 'description', 'services.description')));
  values.email = stored('courriel', r.text(o, 'email') ?? (service && r.text(service, 'email', 'services.email')), emailAddress);
  values.website = stored('site_web', r.text(o, 'website') ?? (service && r.text(service, 'url', 'services.url')), webAddress);
  values.phone = phone?.number;
  const schedules = [...locations.flatMap((l) => r.list(l, 'schedules', 'locations.schedules')), ...services.flatMap((s) => r.list(s, 'schedules'))];
  values.openingHours = openingHoursOf(schedules) ?? undefined;

  const terms = services.flatMap((s) => r.list(s, 'attributes', 'services.attributes')).map(termOf);
  values.themes = codesOf(terms, HSDS_TAXONOMY.theme, (t) => taxonomy.findTheme(t));
  values.audiences = codesOf(terms, HSDS_TAXONOMY.audience, (t) => taxonomy.findAudience(t));
  const areas = services.flatMap((s) => r.list(s, 'service_areas', 'services.service_areas'));
  values.territories = areas.map(territoryOf).filter((t): t is string => t !== null);
  for (const a of areas)
    if (typeof a.uri === 'string' && a.uri.startsWith('https://geo.api.gouv.fr/') && !URI.test(a.uri.trim()))
      r.problems.push({ row, field: 'services.service_areas.uri', reason: `adresse de territoire illisible « ${a.uri.slice(0, 80)} »` });
  values.radiusKm = field('rayon_km');
  if (ours) {
    values.source = field('source');
    values.isDemo = field('demonstration') === 'oui';
  } else if (id) values.source = sourceKey(id.toLowerCase());
  return { row, values, problems: r.problems, newActor: OTHER };
}

/** Reads organizations into the rows of the actors import (row = rank of the organization in the file, from 1). */
export function readHsds(input: HsdsInput, taxonomy: Taxonomy, stored: ReadonlyMap<string, string>): ParsedFile {
  if ('fatal' in input) return { rows: [], present: new Set(), ignoredColumns: [], fatal: input.fatal };
  const seen = new Map<string, number>();
  const rows = input.organizations.map((o, i) => rowOf(o, i + 1, taxonomy, stored, seen));
  // The date a record was confirmed is set by a responsible, never by an import (README, « Fraîcheur »).
  const assured = input.organizations.some((o) => isObject(o) && Array.isArray(o.services) && o.services.some((s) => isObject(s) && s.assured_date));
  return { rows, present: new Set(PRESENT), ignoredColumns: assured ? ['assured_date'] : [], fatal: [] };
}

/** The bytes or text of a file: a zip (the Tabular Data Package) or the JSON array of organizations. */
export function readHsdsFile(input: Buffer | string): HsdsInput {
  return typeof input !== 'string' && isZip(input) ? readHsdsZip(input) : readHsdsJson(input);
}

/**
 * The content of an importActors(format: HSDS): the JSON array of organizations as text, or the
 * zip of the Tabular Data Package in base64.
 */
export function readHsdsContent(content: string): HsdsInput {
  const text = content.replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('[') || text.startsWith('{')) return readHsdsJson(text);
  const bytes = /^[A-Za-z0-9+/=\s]+$/.test(text) ? Buffer.from(text, 'base64') : null;
  if (bytes && isZip(bytes)) return readHsdsZip(bytes);
  return {
    fatal: [
      {
        row: 0,
        field: 'content',
        reason: 'un tableau JSON d’organisations HSDS 3.0 (organizations.json) ou le zip du paquet tabulaire (hsds.zip) en base64 est attendu',
      },
    ],
  };
}

/**
 * Imports HSDS 3.0 organizations through the actors import (per-row report, all or nothing by
 * default, idempotent: an organization designates the stored actor by its id — this directory's
 * exports keep the actor's —, by `hsds--<id>` for another directory's, by SIRET…).
 */
export async function importHsds(ds: DataSource, services: ImportServices, input: HsdsInput, options: ImportOptions = {}): Promise<ImportReport> {
  const taxonomy = await services.themes.taxonomy();
  const keys =
    'organizations' in input ? input.organizations.flatMap((o) => (isObject(o) && typeof o.id === 'string' ? [sourceKey(o.id.toLowerCase())] : [])) : [];
  const file = readHsds(input, taxonomy, await storedKeys(ds, keys));
  const report = await importParsed(ds, services, file, options);
  const said = new Set<string>();
  report.problems = report.problems
    .map((p) => ({ ...p, field: HSDS_FIELD[p.field] ?? p.field }))
    .filter((p) => !said.has(JSON.stringify(p)) && !!said.add(JSON.stringify(p)));
  return report;
}
