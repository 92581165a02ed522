import 'reflect-metadata';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { luhnValid } from '../../server/actors/actor-identifiers.js';
import { loadEnv } from '../../server/config/env.js';
import { hsdsId } from '../../server/exchange/hsds/hsds-ids.js';
import { startApp } from '../helpers/app.js';
import { hsdsValidator } from '../helpers/hsds-schemas.js';
import { ok } from '../helpers/factories.js';
import { type CookieClient, startTestServer, type TestServer } from '../helpers/server.js';

// Open Referral HSDS 3.0: every exported object validates against its official schema
// (test/fixtures/standards/hsds-3.0, JSON Schema 2020-12, closed as upstream's CI closes them), the
// Tabular Data Package has upstream's files and columns, and the routes obey the actors export's rules.

const here = path.dirname(fileURLToPath(import.meta.url));
const DESCRIPTOR = path.join(here, '../../server/exchange/hsds/datapackage.json');
/** `git hash-object` of upstream's datapackage.json (openreferral/specification, branch 3.0, commit 279fd2eb). */
const UPSTREAM_DESCRIPTOR_BLOB = 'ae9bed0e578fc15f389eb90a426047b37fe43702';

const SOURCE = 'test:hsds-export.test.ts';
const WORD = 'Brindelune';
const FILTER = { text: WORD.toLowerCase() };

// ---------------------------------------------------------------------------------------------
// The official schemas

function expectValid(name: string, object: unknown) {
  const v = hsdsValidator(name);
  expect(v(object), `${name} ${JSON.stringify(object).slice(0, 300)}: ${JSON.stringify(v.errors?.slice(0, 3))}`).toBe(true);
}

interface Field {
  name: string;
  type: string;
}
interface Resource {
  name: string;
  path: string;
  schema: { fields: Field[]; primaryKey?: string; foreignKeys?: { fields: string; reference: { resource: string; fields: string } }[] };
}
const descriptorText = fs.readFileSync(DESCRIPTOR, 'utf8');
const descriptor = JSON.parse(descriptorText) as { profile: string; resources: Resource[] };

/** A CSV cell as its Tabular Data Package type reads it (empty: absent), for the JSON schemas. */
function typed(field: Field, value: string): unknown {
  if (value === '') return undefined;
  if (field.type === 'number' || field.type === 'integer') return Number(value);
  return value;
}

/** The shapes of the Tabular Data Package's field types (Frictionless defaults). */
const TYPE_SHAPES: Record<string, RegExp> = {
  number: /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/,
  integer: /^-?\d+$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}:\d{2}$/,
  datetime: /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/,
};

// ---------------------------------------------------------------------------------------------
// Fixtures

const digits = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 10)).join('');
/** `prefix` followed by the one digit that makes its Luhn key hold. */
const withKey = (prefix: string) => `${prefix}${[...'0123456789'].find((d) => luhnValid(prefix + d))!}`;
const SIREN = withKey(`8${digits(7)}`);
const SIRET = withKey(`${SIREN}${digits(4)}`);
const RNA = `W55${digits(7)}`;
const FINESS = withKey(`55${digits(6)}`);

/** What every actor needs beside its name and place. */
const ASSOCIATION = { kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['sante-mentale'] };

let server: TestServer;
let ids: Record<'full' | 'bare' | 'archived' | 'pending', string>;

const get = (p: string, headers: Record<string, string> = {}) => fetch(`${server.url}${p}`, { headers });
const q = (filter: unknown) => `?filter=${encodeURIComponent(JSON.stringify(filter))}`;

async function exportJson(filter: unknown = FILTER): Promise<any[]> {
  const res = await get(`/export/hsds/organizations.json${q(filter)}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as any[];
}

async function exportZip(filter: unknown = FILTER): Promise<Record<string, Uint8Array>> {
  const res = await get(`/export/hsds/hsds.zip${q(filter)}`);
  expect(res.status, res.status === 200 ? '' : await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/zip');
  return unzipSync(new Uint8Array(await res.arrayBuffer()));
}

/** The rows of each CSV of a package, by resource name, after checking the header and the cells' types. */
function tables(files: Record<string, Uint8Array>): Record<string, Record<string, string>[]> {
  const out: Record<string, Record<string, string>[]> = {};
  for (const r of descriptor.resources) {
    const text = strFromU8(files[r.path]);
    const rows: string[][] = parse(text, { bom: false, relax_column_count: false });
    expect(rows[0], r.path).toEqual(r.schema.fields.map((f) => f.name));
    out[r.name] = rows.slice(1).map((cells) => Object.fromEntries(r.schema.fields.map((f, i) => [f.name, cells[i]])));
    for (const row of out[r.name])
      for (const f of r.schema.fields) {
        const shape = TYPE_SHAPES[f.type];
        if (shape && row[f.name] !== '') expect(row[f.name], `${r.path} ${f.name}`).toMatch(shape);
      }
  }
  return out;
}

/** The actor ids of the actors export (CSV) of a filter, to compare visibility. */
async function actorExportIds(filter: unknown): Promise<string[]> {
  const res = await get(`/export/acteurs.csv${q(filter)}`);
  expect(res.status).toBe(200);
  const rows = parse<{ identifiant: string }>((await res.text()).replace(/^\uFEFF/, ''), { delimiter: ';', columns: true });
  return rows.map((r) => r.identifiant).sort();
}

beforeAll(async () => {
  // Compiled first: the compiled organization schema holds the event loop for seconds, which would
  // outlast the server's keep-alive on the connections of a running test.
  for (const name of ['compiled/organization', ...descriptor.resources.map((r) => r.name)]) hsdsValidator(name);
  server = await startTestServer();
  const full = await server.createActor({
    source: SOURCE,
    name: `${WORD} Association Verdun`,
    kind: 'ASSOCIATION',
    sector: 'SANTE',
    siren: SIREN,
    siret: SIRET,
    rna: RNA,
    finess: FINESS,
    address: '3 place Chevert, « bâtiment B »',
    postalCode: '55100',
    communeCode: '55545',
    lon: 5.3876,
    lat: 49.1598,
    description: 'Ateliers « tabac », le mardi\nsur inscription',
    email: 'contact@brindelune.example.fr',
    phone: '+33 3 29 00 00 00',
    website: 'https://brindelune.example.fr/accueil',
    openingHours: 'Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00 "sur rendez-vous"; PH off',
    themes: ['sante-mentale'],
    audiences: ['jeunes'],
    territories: [
      { level: 'COMMUNE', code: '55545' },
      { level: 'DEPARTEMENT', code: '55' },
    ],
    radiusKm: 12.5,
  });
  const bare = await server.createActor({
    source: SOURCE,
    name: `${WORD} Mairie de Bar-le-Duc`,
    kind: 'COLLECTIVITE',
    sector: 'COLLECTIVITE',
    themes: ['nutrition-activite-physique'],
    communeCode: '55029',
  });
  const archived = await server.createActor({ source: SOURCE, name: `${WORD} Ancienne antenne`, ...ASSOCIATION, communeCode: '55545' });
  await ok(server.admin.gql(`mutation ($id: ID!, $v: Int!) { archiveActor(id: $id, version: $v) { id } }`, { id: archived.id, v: archived.version }));
  await ok(server.admin.gql(`mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id } }`, { id: full.id, v: full.version }));
  // Created by a member: pending review, as the actors export shows it.
  const member = await server.signedIn({ email: `membre-${randomUUID()}@hsds.test`, password: randomUUID(), role: 'MEMBER' });
  const pending = await ok(
    member.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id reviewStatus } }`, {
      input: { source: SOURCE, name: `${WORD} Collectif en attente`, ...ASSOCIATION, communeCode: '55545' },
    }),
  );
  ids = { full: full.id, bare: bare.id, archived: archived.id, pending: pending.createActor.id };
});

afterAll(async () => {
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
  await server.close();
});

// ---------------------------------------------------------------------------------------------

describe('HSDS nested JSON', () => {
  it('should validate every organization against the compiled HSDS 3.0 organization schema, closed', async () => {
    const organizations = await exportJson();
    expect(organizations.map((o) => o.id).sort()).toEqual([ids.full, ids.bare, ids.pending].sort());
    for (const o of organizations) expectValid('compiled/organization', o);
  });

  it('should validate each nested object against its own HSDS 3.0 schema, closed', async () => {
    for (const o of await exportJson()) {
      const { services, ...organization } = o;
      expectValid('organization', organization);
      for (const s of services) {
        expectValid('service', s);
        for (const a of s.service_areas) expectValid('service_area', a);
        for (const sal of s.service_at_locations) expectValid('service_at_location', sal);
      }
      for (const l of o.locations) {
        expectValid('location', l);
        for (const a of l.addresses) expectValid('address', a);
        for (const sch of l.schedules) expectValid('schedule', sch);
      }
      for (const p of o.phones) expectValid('phone', p);
      for (const i of o.organization_identifiers) expectValid('organization_identifier', i);
    }
  });

  it('should map the actor: identifiers, address, phone, territory with its outline and COG code, radius, assured date', async () => {
    const o = (await exportJson()).find((x) => x.id === ids.full);
    expect(o).toMatchObject({
      name: `${WORD} Association Verdun`,
      description: 'Ateliers « tabac », le mardi\nsur inscription',
      email: 'contact@brindelune.example.fr',
      website: 'https://brindelune.example.fr/accueil',
      legal_status: 'Association',
    });
    expect(o.organization_identifiers.map((i: any) => [i.identifier_type, i.identifier])).toEqual([
      ['SIREN', SIREN],
      ['SIRET', SIRET],
      ['RNA', RNA],
      ['FINESS', FINESS],
    ]);
    expect(o.phones).toEqual([{ id: hsdsId(ids.full, 'phone'), organization_id: ids.full, number: '+33 3 29 00 00 00', type: 'voice' }]);
    const [location] = o.locations;
    expect(location).toMatchObject({ id: hsdsId(ids.full, 'location'), location_type: 'physical', latitude: 49.1598, longitude: 5.3876 });
    expect(location.addresses).toEqual([
      {
        id: hsdsId(ids.full, 'address'),
        location_id: location.id,
        address_1: '3 place Chevert, « bâtiment B »',
        city: 'Verdun',
        region: 'Grand Est',
        state_province: 'Meuse',
        postal_code: '55100',
        country: 'FR',
        address_type: 'physical',
      },
    ]);
    const [service] = o.services;
    expect(service).toMatchObject({
      id: hsdsId(ids.full, 'service'),
      organization_id: ids.full,
      status: 'active',
      assured_date: new Date().toISOString().slice(0, 10),
      eligibility_description: expect.stringMatching(/^Publics : /),
    });
    expect(new Date(service.last_modified).getTime()).not.toBeNaN();
    expect(service.service_at_locations).toEqual([{ id: hsdsId(ids.full, 'service_at_location'), service_id: service.id, location_id: location.id, location }]);
    const areas = Object.fromEntries(service.service_areas.map((a: any) => [a.uri ?? a.name, a]));
    expect(Object.keys(areas).sort()).toEqual(['Rayon de 12,5 km', 'https://geo.api.gouv.fr/communes/55545', 'https://geo.api.gouv.fr/departements/55']);
    expect(areas['https://geo.api.gouv.fr/departements/55']).toMatchObject({
      name: 'Meuse',
      extent_type: 'geojson',
      description: expect.stringContaining('code 55'),
    });
    for (const area of service.service_areas) {
      expect(area.service_id).toBe(service.id);
      expect(['Polygon', 'MultiPolygon']).toContain(JSON.parse(area.extent).type);
    }
    // The radius is drawn around Verdun: its outline contains the actor's point.
    const ring: [number, number][] = JSON.parse(areas['Rayon de 12,5 km'].extent).coordinates[0];
    const lons = ring.map((p) => p[0]);
    expect(Math.min(...lons)).toBeLessThan(5.3876);
    expect(Math.max(...lons)).toBeGreaterThan(5.3876);
  });

  it('should turn the opening hours into weekly schedules of the location, the string kept in the description', async () => {
    const o = (await exportJson()).find((x) => x.id === ids.full);
    const schedules = o.locations[0].schedules.map(({ id, location_id, description, ...rest }: any) => {
      expect(location_id).toBe(o.locations[0].id);
      expect(description).toContain('PH off');
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      return rest;
    });
    expect(schedules).toEqual([
      { freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR', opens_at: '09:00:00', closes_at: '12:00:00' },
      { freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR', opens_at: '14:00:00', closes_at: '17:00:00' },
      { freq: 'WEEKLY', wkst: 'MO', byday: 'SA', opens_at: '10:00:00', closes_at: '12:00:00', notes: 'sur rendez-vous' },
    ]);
  });

  it('should give an actor with only a commune an organization and a service, no location (its commune’s centre is no place), and no assured date before a confirmation', async () => {
    const o = (await exportJson()).find((x) => x.id === ids.bare);
    expect(o.locations).toEqual([]);
    expect(o.phones).toEqual([]);
    expect(o.organization_identifiers).toEqual([]);
    expect(o.description).toMatch(/^Collectivité territoriale · Collectivité · thèmes : /);
    expect(o.services[0].assured_date).toBeUndefined();
    expect(o.services[0].service_at_locations).toEqual([]);
  });

  it('should give the same ids in two exports, the organization keeping the actor’s id', async () => {
    const [a, b] = [await exportJson(), await exportJson()];
    expect(b).toEqual(a);
    expect(a.map((o) => o.id).sort()).toEqual([ids.full, ids.bare, ids.pending].sort());
  });
});

describe('HSDS Tabular Data Package', () => {
  it('should zip one CSV per resource of upstream’s datapackage.json, and that descriptor unchanged', async () => {
    const blob = createHash('sha1')
      .update(`blob ${Buffer.byteLength(descriptorText)}\0`)
      .update(descriptorText)
      .digest('hex');
    expect(blob).toBe(UPSTREAM_DESCRIPTOR_BLOB);
    const files = await exportZip();
    expect(Object.keys(files).sort()).toEqual([...descriptor.resources.map((r) => r.path), 'datapackage.json'].sort());
    expect(JSON.parse(strFromU8(files['datapackage.json']))).toEqual(descriptor);
    expect(descriptor.profile).toBe('tabular-data-package');
  });

  it('should write CSVs whose headers are upstream’s fields, that parse, and whose every row validates against its HSDS schema, closed', async () => {
    const t = tables(await exportZip());
    expect(t.organization.map((r) => r.id).sort()).toEqual([ids.full, ids.bare, ids.pending].sort());
    for (const name of [
      'service',
      'location',
      'address',
      'service_at_location',
      'phone',
      'schedule',
      'service_area',
      'organization_identifier',
      'attribute',
      'taxonomy_term',
    ])
      expect(t[name].length, name).toBeGreaterThan(0);
    for (const r of descriptor.resources)
      for (const row of t[r.name]) {
        const object = Object.fromEntries(r.schema.fields.map((f) => [f.name, typed(f, row[f.name])]).filter(([, v]) => v !== undefined));
        expectValid(r.name, object);
      }
  });

  it('should hold the same objects as the nested JSON, every reference pointing to a row of the package', async () => {
    const t = tables(await exportZip());
    const nested = await exportJson();
    const json = JSON.stringify(nested);
    for (const [name, rows] of Object.entries(t)) for (const row of rows) expect(json, `${name} ${row.id}`).toContain(`"id":"${row.id}"`);
    const flatIds = Object.values(t).flatMap((rows) => rows.map((r) => r.id));
    expect(new Set(flatIds).size, 'every id once in the package').toBe(flatIds.length);
    expect(new Set(json.match(/"id":"[^"]+"/g)).size).toBe(flatIds.length);
    for (const r of descriptor.resources)
      for (const fk of r.schema.foreignKeys ?? []) {
        const targets = new Set(t[fk.reference.resource].map((x) => x[fk.reference.fields]));
        for (const row of t[r.name]) if (row[fk.fields]) expect(targets.has(row[fk.fields]), `${r.name}.${fk.fields}`).toBe(true);
      }
    // The CSV keeps what the JSON says, line breaks and quotes included.
    expect(t.organization.find((r) => r.id === ids.full)!.description).toBe('Ateliers « tabac », le mardi\nsur inscription');
    expect(t.address[0].address_1).toBe('3 place Chevert, « bâtiment B »');
  });

  it('should send a package of headers only when the filter finds nothing', async () => {
    const t = tables(await exportZip({ text: `${WORD} introuvable zzz` }));
    for (const rows of Object.values(t)) expect(rows).toEqual([]);
    expect(await exportJson({ text: `${WORD} introuvable zzz` })).toEqual([]);
  });
});

describe('HSDS export: the actors export’s rules', () => {
  const HSDS_PATHS = ['/export/hsds/organizations.json', '/export/hsds/hsds.zip'];

  it('should answer a visitor and a member as the actors export does', async () => {
    const member: CookieClient = await server.signedIn({ email: `lecteur-${randomUUID()}@hsds.test`, password: randomUUID(), role: 'MEMBER' });
    await member.gql('{ me { id } }');
    const cookie = [...member.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    for (const headers of [{}, { cookie }] as Record<string, string>[]) {
      const reference = await get(`/export/acteurs.csv${q(FILTER)}`, headers);
      for (const p of HSDS_PATHS) expect((await get(`${p}${q(FILTER)}`, headers)).status).toBe(reference.status);
    }
  });

  it('should never show what the actors export hides: same actors for every filter, archived and pending ones included only as it includes them', async () => {
    const filters = [
      FILTER,
      { ...FILTER, includeArchived: true },
      { ...FILTER, includeArchived: false },
      { ...FILTER, reviewStatuses: ['PENDING_REVIEW'] },
      { ...FILTER, demo: true },
      { ...FILTER, coversCommune: '55029' },
      { text: `${WORD} Ancienne` },
    ];
    for (const filter of filters) {
      const expected = await actorExportIds(filter);
      expect((await exportJson(filter)).map((o) => o.id).sort(), JSON.stringify(filter)).toEqual(expected);
      expect(
        tables(await exportZip(filter))
          .organization.map((r) => r.id)
          .sort(),
      ).toEqual(expected);
    }
    expect(await actorExportIds(FILTER)).not.toContain(ids.archived);
    expect(await actorExportIds({ ...FILTER, includeArchived: true })).toContain(ids.archived);
    const archived = (await exportJson({ ...FILTER, includeArchived: true })).find((o) => o.id === ids.archived);
    expect(archived.services[0].status).toBe('inactive');
  });

  it('should refuse a bad filter with the actors export’s 400 and French message, before any byte of a file', async () => {
    const bad = ['{', JSON.stringify({ coversCommune: '99999' }), JSON.stringify({ id: ids.archived }), JSON.stringify({ themesAny: ['constructor'] })];
    for (const raw of bad) {
      const reference = await get(`/export/acteurs.csv?filter=${encodeURIComponent(raw)}`);
      const expected = (await reference.json()) as { errors: { message: string; extensions: { code: string } }[] };
      expect(reference.status).toBe(400);
      for (const p of HSDS_PATHS) {
        const res = await get(`${p}?filter=${encodeURIComponent(raw)}`);
        expect(res.status, `${p} ${raw}`).toBe(400);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.headers.get('content-disposition')).toBeNull();
        const body = (await res.json()) as typeof expected;
        expect(body.errors[0].extensions.code).toBe(expected.errors[0].extensions.code);
        expect(body.errors[0].message).toBe(expected.errors[0].message);
      }
    }
  });

  it('should count against the same per-minute limit as the actors export', async () => {
    const limited = await startApp({ rateLimitPerMinute: 2 });
    try {
      const hit = (p: string) => fetch(`${limited.url}${p}${q(FILTER)}`);
      expect((await hit('/export/hsds/organizations.json')).status).toBe(200);
      expect((await hit('/export/hsds/hsds.zip')).status).toBe(200);
      for (const p of ['/export/hsds/organizations.json', '/export/hsds/hsds.zip', '/export/acteurs.csv']) {
        const res = await hit(p);
        expect(res.status).toBe(429);
        expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('RATE_LIMITED');
      }
    } finally {
      await limited.close();
    }
  });

  it('should wait for the analytics gate like the actors export, and answer SERVICE_BUSY when it is full', async () => {
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let holding = true;
    const app = await startApp(
      { analytics: { ...loadEnv().analytics, concurrency: 1, queue: 0, retryAfterSeconds: 7 } },
      {
        onAnalyticsEnter: async () => {
          if (!holding) return;
          holding = false;
          entered();
          await held;
        },
      },
    );
    try {
      const first = fetch(`${app.url}/export/acteurs.csv${q(FILTER)}`);
      await inside;
      for (const p of ['/export/hsds/organizations.json', '/export/hsds/hsds.zip', '/export/acteurs.csv']) {
        const res = await fetch(`${app.url}${p}${q(FILTER)}`);
        expect(res.status, p).toBe(503);
        expect(res.headers.get('retry-after')).toBe('7');
        expect(((await res.json()) as { errors: { extensions: { code: string } }[] }).errors[0].extensions.code).toBe('SERVICE_BUSY');
      }
      release();
      expect((await first).status).toBe(200);
      expect((await fetch(`${app.url}/export/hsds/hsds.zip${q(FILTER)}`)).status).toBe(200);
    } finally {
      release();
      await app.close();
    }
  });
});
