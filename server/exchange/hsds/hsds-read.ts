import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import { type ImportProblem, utf8Text } from '../../actors/actor-import-read.js';
import { HSDS_RESOURCES } from './hsds-export.js';

// The two HSDS 3.0 forms a file can take, read into the same nested organizations: the JSON array
// of organizations (as /export/hsds/organizations.json writes it, HSDS's compiled `organization`
// shape) and the Tabular Data Package (a zip of CSV files and datapackage.json, as hsds.zip), whose
// tables are nested again by their references (organization_id, service_id, location_id, link_id).

export type Json = Record<string, unknown>;
export const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The organizations of a file, or why the whole file is refused. */
export type HsdsInput = { organizations: Json[] } | { fatal: ImportProblem[] };

/** Most bytes the CSV files of a package may hold once unzipped (the zip itself is 5 MB at most through the API). */
const MAX_UNZIPPED = 200 * 1024 * 1024;

const fail = (field: string, reason: string): HsdsInput => ({ fatal: [{ row: 0, field, reason }] });

/** Whether bytes are a zip (local file header « PK\x03\x04 », or the end record of an empty one). */
export const isZip = (b: Uint8Array) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 0x03 || b[2] === 0x05);

/** The nested form: a JSON array of organizations (one organization alone is read as an array of one). */
export function readHsdsJson(input: Buffer | string): HsdsInput {
  const text = utf8Text(input);
  if (text === null) return fail('fichier', 'le fichier n’est pas en UTF-8 (un fichier JSON est toujours en UTF-8)');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return fail('fichier', 'JSON illisible : un tableau d’organisations HSDS 3.0 est attendu ([{"id": …, "name": …, "services": […]}, …])');
  }
  if (isObject(doc) && 'id' in doc && 'name' in doc) doc = [doc];
  if (!Array.isArray(doc)) return fail('fichier', 'un tableau JSON d’organisations HSDS 3.0 est attendu ([{…}, {…}])');
  return { organizations: doc as Json[] };
}

/** Numeric columns of the tables the import reads (the others stay text). */
const NUMBERS = new Set(['latitude', 'longitude']);

/** The rows of one CSV of the package as objects, empty cells left out. */
function table(text: string, file: string): Json[] | ImportProblem {
  try {
    const rows = parse<Record<string, string>>(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: true });
    return rows.map((r) =>
      Object.fromEntries(
        Object.entries(r)
          .filter(([, v]) => v !== '')
          .map(([k, v]) => [k, NUMBERS.has(k) && /^-?\d+(\.\d+)?$/.test(v.trim()) ? Number(v) : v]),
      ),
    );
  } catch (err) {
    const line = (err as { lines?: unknown }).lines;
    return {
      row: 0,
      field: file,
      reason: `CSV illisible${typeof line === 'number' ? ` vers la ligne ${line}` : ''} : guillemet non refermé ou ligne mal formée`,
    };
  }
}

const by = (rows: Json[], key: string) => {
  const out = new Map<string, Json[]>();
  for (const r of rows) if (typeof r[key] === 'string') out.set(r[key], [...(out.get(r[key]) ?? []), r]);
  return out;
};

/** The Tabular Data Package: a zip holding datapackage.json and at least organizations.csv. */
export function readHsdsZip(input: Uint8Array): HsdsInput {
  // The descriptor names the files; without one, upstream's names (the ones this directory writes).
  const paths = new Map(HSDS_RESOURCES.map((r) => [r.name, r.path]));
  const wanted = new Set(['datapackage.json', ...paths.values()]);
  let total = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(input, {
      filter: (f) => {
        if (!wanted.has(f.name.replace(/^.*\//, ''))) return false;
        total += f.originalSize;
        if (total > MAX_UNZIPPED) throw new RangeError('too large');
        return true;
      },
    });
  } catch (err) {
    if (err instanceof RangeError) return fail('fichier', `paquet trop volumineux une fois décompressé (plus de ${MAX_UNZIPPED / 1024 / 1024} Mo)`);
    return fail('fichier', 'zip illisible : le paquet HSDS (Tabular Data Package) est un fichier zip de CSV et d’un datapackage.json');
  }
  const byName = new Map(Object.entries(files).map(([k, v]) => [k.replace(/^.*\//, ''), v]));
  const descriptor = byName.get('datapackage.json');
  if (!descriptor) return fail('datapackage.json', 'paquet HSDS incomplet : datapackage.json absent du zip (le descripteur du Tabular Data Package)');
  let resources: unknown;
  try {
    resources = (JSON.parse(strFromU8(descriptor)) as { resources?: unknown }).resources;
  } catch {
    return fail('datapackage.json', 'datapackage.json illisible (JSON attendu)');
  }
  if (Array.isArray(resources))
    for (const r of resources) if (isObject(r) && typeof r.name === 'string' && typeof r.path === 'string' && paths.has(r.name)) paths.set(r.name, r.path);
  const tables = new Map<string, Json[]>();
  const problems: ImportProblem[] = [];
  for (const [name, path] of paths) {
    const bytes = byName.get(path.replace(/^.*\//, ''));
    if (!bytes) continue;
    const text = utf8Text(Buffer.from(bytes));
    const rows = text === null ? { row: 0, field: path, reason: 'le fichier n’est pas en UTF-8' } : table(text, path);
    if (Array.isArray(rows)) tables.set(name, rows);
    else problems.push(rows);
  }
  if (problems.length) return { fatal: problems };
  if (!tables.has('organization')) return fail(paths.get('organization')!, 'paquet HSDS incomplet : organizations.csv absent du zip');
  const organizations = nest(tables, paths, problems);
  return problems.length ? { fatal: problems } : { organizations };
}

/** The tables of a package nested as HSDS's compiled `organization`; a row whose parent is absent is a problem of the file. */
function nest(tables: Map<string, Json[]>, paths: Map<string, string>, problems: ImportProblem[]): Json[] {
  const rows = (name: string) => tables.get(name) ?? [];
  const terms = new Map(rows('taxonomy_term').map((t) => [String(t.id), t]));
  const attributes = by(
    rows('attribute').map((a) => ({
      ...a,
      ...(typeof a.taxonomy_term_id === 'string' && terms.has(a.taxonomy_term_id) ? { taxonomy_term: terms.get(a.taxonomy_term_id) } : {}),
    })),
    'link_id',
  );
  const withAttributes = (o: Json) => ({ ...o, attributes: attributes.get(String(o.id)) ?? [] });
  const addresses = by(rows('address'), 'location_id');
  const schedulesOfLocation = by(rows('schedule'), 'location_id');
  const schedulesOfService = by(rows('schedule'), 'service_id');
  const locations = new Map(
    rows('location').map((l) => [
      String(l.id),
      { ...withAttributes(l), addresses: addresses.get(String(l.id)) ?? [], schedules: schedulesOfLocation.get(String(l.id)) ?? [] },
    ]),
  );
  const areas = by(rows('service_area'), 'service_id');
  const atLocations = by(
    rows('service_at_location').map((sal) => ({
      ...sal,
      ...(locations.has(String(sal.location_id)) ? { location: locations.get(String(sal.location_id)) } : {}),
    })),
    'service_id',
  );
  const services = rows('service').map((s) => ({
    ...withAttributes(s),
    schedules: schedulesOfService.get(String(s.id)) ?? [],
    service_areas: areas.get(String(s.id)) ?? [],
    service_at_locations: atLocations.get(String(s.id)) ?? [],
  }));
  const organizations = rows('organization');
  const known = new Set(organizations.map((o) => String(o.id)));
  const children: [string, Json[]][] = [
    ['service', services],
    ['location', [...locations.values()]],
    ['phone', rows('phone')],
    ['organization_identifier', rows('organization_identifier')],
  ];
  for (const [name, list] of children)
    for (const [i, r] of list.entries())
      if (typeof r.organization_id === 'string' && !known.has(r.organization_id))
        problems.push({
          row: 0,
          field: `${paths.get(name)}`,
          reason: `ligne ${i + 2} (« ${String(r.id).slice(0, 40)} ») : organisation « ${r.organization_id.slice(0, 40)} » absente d’organizations.csv`,
        });
  const of = (list: Json[]) => by(list, 'organization_id');
  const [servicesOf, locationsOf, phonesOf, identifiersOf] = children.map(([, list]) => of(list));
  return organizations.map((o) => {
    const id = String(o.id);
    return {
      ...withAttributes(o),
      services: servicesOf.get(id) ?? [],
      locations: locationsOf.get(id) ?? [],
      phones: phonesOf.get(id) ?? [],
      organization_identifiers: identifiersOf.get(id) ?? [],
    };
  });
}
