import type { StoredRecord } from '../../actors/actor.repository.js';
import { LEVEL_KEYS } from '../../actors/actor-columns.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { TerritoryLevel } from '../../territories/territory-level.js';

// An actor as data·inclusion v1 records (schema v1.0.8, gip-inclusion/data-inclusion-schema): one
// `structure`, and one `service` per top-level theme of its offer. What the standard cannot say
// (nature, sector, SIREN, RNA, FINESS, declared territories, radius, provenance, sub-themes, publics
// without a data·inclusion equivalent) travels in the extension member `x_repertoire`, which the
// schema allows (its objects are open), so that an export re-imported changes nothing.

/** `source` of every record this directory exports; a structure's `id` is `repertoire-prevention--<uuid>`. */
export const DI_SOURCE = 'repertoire-prevention';
/** The extension member of structures and services. */
export const DI_EXTENSION = 'x_repertoire';

/** Where and how to reach a structure: the fields a service repeats from it. */
interface DiPlace {
  adresse: string | null;
  code_postal: string | null;
  code_insee: string | null;
  commune: string | null;
  latitude: number | null;
  longitude: number | null;
  telephone: string | null;
  courriel: string | null;
  horaires_accueil: string | null;
}
const PLACE_FIELDS = ['adresse', 'code_postal', 'code_insee', 'commune', 'latitude', 'longitude', 'telephone', 'courriel', 'horaires_accueil'] as const;

/** The `structure` record of data·inclusion v1 (the fields this directory fills). */
export interface DiStructure extends DiPlace {
  source: string;
  id: string;
  nom: string;
  date_maj: string;
  siret: string | null;
  description: string | null;
  complement_adresse: null;
  site_web: string | null;
  lien_source: string | null;
  accessibilite_lieu: null;
  reseaux_porteurs: null;
  [DI_EXTENSION]: StructureExtension;
}

/** What the standard's structure cannot carry. A standard field that cannot hold the exact value is repeated here. */
export interface StructureExtension {
  identifiant: string;
  nature: string;
  secteur: string;
  siren: string | null;
  rna: string | null;
  finess: string | null;
  /** Declared territories, as in the CSV export (`departement:55`). */
  territoires: string[];
  rayon_km: number | null;
  /** The actor's own provenance (free text); the record's `source` is the directory. */
  source: string | null;
  demonstration: boolean;
  nom?: string;
  description?: string;
  site_web?: string;
  courriel?: string;
}

export interface DiService extends DiPlace {
  source: string;
  structure_id: string;
  id: string;
  nom: string;
  description: string;
  date_maj: string;
  thematiques: string[] | null;
  publics: string[] | null;
  zone_eligibilite: string[] | null;
  [DI_EXTENSION]: ServiceExtension;
}

export interface ServiceExtension {
  /** The top-level theme of the service (the directory's code: the local code of a theme without data·inclusion equivalent). */
  theme: string;
  /** The actor's theme codes under this top-level theme (the theme itself and/or its sub-themes). */
  thematiques: string[];
  /** The actor's public codes. */
  publics: string[];
}

/** What an export knows of an actor besides its record: dates, its commune's name, the départements of its régions. */
export interface RecordContext {
  /** `verifiedAt`, else `updatedAt`, as YYYY-MM-DD (date_maj is required). */
  dateMaj: string;
  communeName: string | null;
  departementsOfRegion: ReadonlyMap<string, readonly string[]>;
}

/** The structure id of an actor. */
export const structureId = (actorId: string) => `${DI_SOURCE}--${actorId}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The actor id in a structure id this directory exported, or null. */
export function actorIdOf(id: string): string | null {
  const prefix = `${DI_SOURCE}--`;
  const rest = id.startsWith(prefix) ? id.slice(prefix.length) : null;
  return rest && UUID.test(rest) ? rest.toLowerCase() : null;
}

/** Emails as ajv-formats' `email` (the schema's check) accepts them. */
const FORMAT_EMAIL =
  /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
/** URIs as the schema wants them: absolute, ASCII, without spaces, 2,083 characters at most. */
const FORMAT_URI = /^[a-z][a-z0-9+.-]*:[!#-;=?-[\]_a-z~%]+$/i;

const fits = (v: string | null, check: (s: string) => boolean) => v === null || check(v);

/** The top-level theme of a code. */
export const topTheme = (taxonomy: Taxonomy, code: string) => taxonomy.themeByCode.get(code)?.parentCode ?? code;

/** Territories as data·inclusion `zone_eligibilite` codes: a région becomes its départements, the country `france`; a radius says nothing. */
function eligibility(r: StoredRecord, ctx: RecordContext): string[] | null {
  const codes = new Set<string>();
  for (const t of r.territories) {
    if (t.level === TerritoryLevel.PAYS) codes.add('france');
    else if (t.level === TerritoryLevel.REGION) for (const d of ctx.departementsOfRegion.get(t.code) ?? []) codes.add(d);
    else codes.add(t.code);
  }
  return codes.size ? [...codes] : null;
}

/** The data·inclusion codes of the actor's publics (a public without equivalent, « Enfants », is kept in the extension only). */
function publicsOf(r: StoredRecord, taxonomy: Taxonomy): string[] | null {
  const codes = new Set(r.audienceCodes.flatMap((c) => taxonomy.audienceByCode.get(c)?.dataInclusionCodes ?? []));
  return codes.size ? [...codes] : null;
}

export function toStructure(r: StoredRecord, ctx: RecordContext): DiStructure {
  const ext: StructureExtension = {
    identifiant: r.id,
    nature: r.kind,
    secteur: r.sector,
    siren: r.siren,
    rna: r.rna,
    finess: r.finess,
    territoires: r.territories.map((t) => `${LEVEL_KEYS[t.level]}:${t.code}`),
    rayon_km: r.radiusKm,
    source: r.source,
    demonstration: r.isDemo,
  };
  // Standard fields with bounds of their own: a value outside them is left out there and kept in the extension.
  let nom = r.name;
  if (nom.length > 150 || nom.length < 3) {
    ext.nom = nom;
    nom = nom.length > 150 ? `${nom.slice(0, 149)}…` : nom.padEnd(3, '.');
  }
  let description = r.description;
  if (description !== null && (description.length < 5 || description.length > 10_000)) {
    ext.description = description;
    description = null;
  }
  let website = r.website;
  if (!fits(website, (w) => FORMAT_URI.test(w) && w.length <= 2083)) {
    ext.site_web = website!;
    website = null;
  }
  let email = r.email;
  if (!fits(email, (e) => FORMAT_EMAIL.test(e))) {
    ext.courriel = email!;
    email = null;
  }
  return {
    source: DI_SOURCE,
    id: structureId(r.id),
    nom,
    date_maj: ctx.dateMaj,
    siret: r.siret,
    description,
    adresse: r.address,
    complement_adresse: null,
    code_postal: r.postalCode,
    code_insee: r.communeCode,
    commune: ctx.communeName,
    latitude: r.lat,
    longitude: r.lon,
    telephone: r.phone,
    courriel: email,
    site_web: website,
    horaires_accueil: r.openingHours,
    lien_source: null,
    accessibilite_lieu: null,
    reseaux_porteurs: null,
    [DI_EXTENSION]: ext,
  };
}

/** One service per top-level theme of the actor, in the taxonomy's order. */
export function toServices(r: StoredRecord, s: DiStructure, taxonomy: Taxonomy, ctx: RecordContext): DiService[] {
  const byTop = new Map<string, string[]>();
  for (const code of r.themeCodes) {
    const top = topTheme(taxonomy, code);
    byTop.set(top, [...(byTop.get(top) ?? []), code]);
  }
  const order = new Map(taxonomy.themes.map((t, i) => [t.code, i]));
  const tops = [...byTop.keys()].sort((a, b) => (order.get(a) ?? 0) - (order.get(b) ?? 0));
  const zone = eligibility(r, ctx);
  const publics = publicsOf(r, taxonomy);
  return tops.map((top) => {
    const codes = byTop.get(top)!;
    const label = taxonomy.themeByCode.get(top)?.label ?? top;
    const thematiques = new Set([top, ...codes].flatMap((c) => taxonomy.themeByCode.get(c)?.dataInclusionCodes ?? []));
    const nom = `${label} — ${r.name}`;
    return {
      source: DI_SOURCE,
      structure_id: s.id,
      id: `${s.id}--${top}`,
      nom: nom.length > 150 ? `${nom.slice(0, 149)}…` : nom,
      description: r.description && r.description.length >= 5 ? `${label} : ${r.description}` : `${label}, par ${r.name}.`,
      date_maj: s.date_maj,
      thematiques: thematiques.size ? [...thematiques] : null,
      publics,
      zone_eligibilite: zone,
      ...(Object.fromEntries(PLACE_FIELDS.map((k) => [k, s[k]])) as unknown as DiPlace),
      [DI_EXTENSION]: { theme: top, thematiques: codes, publics: r.audienceCodes },
    };
  });
}
