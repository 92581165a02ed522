import type { Taxonomy } from '../themes/theme.service.js';
import { CODE_PATTERNS, LEVEL_LABELS, TerritoryLevel } from '../territories/territory-level.js';
import { IDENTIFIER_FIELDS, identifierProblem, siretMatchesSiren } from './actor-identifiers.js';
import { ACTOR_TABLE, RECORD_FIELDS, type RecordField } from './actor.entity.js';
import type { CreateActorInput, UpdateActorInput } from './actor.inputs.js';
import type { ActorRecord } from './actor.repository.js';
import { checkOpeningHours } from './opening-hours.js';

/** A field-level problem, in French, for the user. */
export interface FieldProblem {
  field: string;
  reason: string;
}

/** What a record is checked against: the vocabularies and the keys (`LEVEL:code`) of the official territories. */
export interface Vocabularies {
  taxonomy: Taxonomy;
  known: Set<string>;
}

export const emptyToNull = (v: string | null | undefined): string | null => {
  if (v === undefined || v === null) return null;
  const t = v.trim();
  return t === '' ? null : t;
};

/** Fields with a rule of their own below; every other text field of the column map is trimmed, empty → null. */
const CHECKED: ReadonlySet<RecordField> = new Set(['name', 'kind', 'sector', 'siren', 'siret', 'rna', 'finess', 'communeCode', 'openingHours']);
type TextField = Extract<RecordField, keyof UpdateActorInput>;
const PLAIN_TEXT = RECORD_FIELDS.filter((k): k is TextField => ACTOR_TABLE.columns[k].type === 'text' && !CHECKED.has(k));

/**
 * Checks an input against the vocabularies and the official territories and returns either a
 * record or the list of problems, each naming its field (of the input). `base` is the current record
 * for an update: an absent field keeps its value. Pure: every write and the import's planning use it.
 */
export function prepareRecord(
  input: CreateActorInput | UpdateActorInput,
  base: ActorRecord | undefined,
  { taxonomy, known }: Vocabularies,
): { record?: ActorRecord; problems: FieldProblem[] } {
  const problems: FieldProblem[] = [];
  const keep = <K extends RecordField>(key: K, value: ActorRecord[K] | undefined): ActorRecord[K] | null =>
    value === undefined ? (base ? base[key] : null) : value;
  const text = (key: RecordField, value: string | null | undefined) =>
    value === undefined ? (base ? (base[key] as string | null) : null) : emptyToNull(value);

  const name = text('name', input.name);
  if (!name) problems.push({ field: 'name', reason: 'le nom est requis' });
  const kind = keep('kind', input.kind);
  if (!kind) problems.push({ field: 'kind', reason: 'la nature de l’acteur est requise' });
  const sector = keep('sector', input.sector);
  if (!sector) problems.push({ field: 'sector', reason: 'le secteur est requis' });

  const themes = input.themes === undefined ? (base?.themeCodes ?? []) : [...new Set(input.themes.map((t) => t.trim()))];
  const unknownThemes = taxonomy.unknownThemes(themes);
  if (unknownThemes) problems.push({ field: 'themes', reason: unknownThemes });
  if (themes.length === 0) problems.push({ field: 'themes', reason: 'au moins un thème est requis' });
  const audiences = input.audiences === undefined ? (base?.audienceCodes ?? []) : [...new Set(input.audiences.map((a) => a.trim()))];
  const unknownAudiences = taxonomy.unknownAudiences(audiences);
  if (unknownAudiences) problems.push({ field: 'audiences', reason: unknownAudiences });

  // Identifiers given are checked (keys included); stored ones are kept as they are (npm run identifiers:check lists the wrong ones).
  const ids = Object.fromEntries(
    IDENTIFIER_FIELDS.map((k) => {
      const given = input[k];
      const value = text(k, typeof given === 'string' ? given.replace(/[\s.]/g, '') : given)?.toUpperCase() ?? null;
      const reason = value !== null && input[k] !== undefined ? identifierProblem(k, value) : null;
      if (reason) problems.push({ field: k, reason });
      return [k, value];
    }),
  ) as Record<(typeof IDENTIFIER_FIELDS)[number], string | null>;
  if ((input.siren !== undefined || input.siret !== undefined) && !siretMatchesSiren(ids.siren, ids.siret)) {
    problems.push({ field: 'siret', reason: `le SIRET ne commence pas par le SIREN ${ids.siren} : un établissement porte le SIREN de sa structure` });
  }

  let communeCode = text('communeCode', input.communeCode);
  if (communeCode) {
    communeCode = communeCode.toUpperCase();
    if (!known.has(`COMMUNE:${communeCode}`) && !known.has(`ARRONDISSEMENT:${communeCode}`)) {
      problems.push({ field: 'communeCode', reason: `commune inconnue dans le COG 2026 : ${communeCode.slice(0, 12)}` });
    }
  }
  let openingHours = text('openingHours', input.openingHours);
  if (openingHours && input.openingHours !== undefined) {
    const checked = checkOpeningHours(openingHours);
    if ('reason' in checked) problems.push({ field: 'openingHours', reason: checked.reason });
    else openingHours = checked.value;
  }
  if ((input.lon === undefined) !== (input.lat === undefined) || (input.lon === null) !== (input.lat === null)) {
    problems.push({ field: 'lat', reason: 'longitude et latitude vont ensemble' });
  }
  const lon = input.lon === undefined ? (base?.lon ?? null) : input.lon;
  const lat = input.lat === undefined ? (base?.lat ?? null) : input.lat;
  for (const [field, v, lim] of [
    ['lon', lon, 180],
    ['lat', lat, 90],
  ] as const) {
    if (v !== null && (!Number.isFinite(v) || Math.abs(v) > lim)) problems.push({ field, reason: `coordonnée hors limites (±${lim})` });
  }

  let territories =
    input.territories === undefined ? (base?.territories ?? []) : input.territories.map((t) => ({ level: t.level, code: t.code.trim().toUpperCase() }));
  const seen = new Set<string>();
  territories = territories.filter((t) => !seen.has(`${t.level}:${t.code}`) && seen.add(`${t.level}:${t.code}`));
  const badTerritories = territories.filter((t) => !CODE_PATTERNS[t.level].test(t.code) || !known.has(`${t.level}:${t.code}`));
  if (badTerritories.length) {
    problems.push({
      field: 'territories',
      reason: `territoire(s) inconnu(s) : ${badTerritories
        .map((t) => `${LEVEL_LABELS[t.level]} ${t.code.slice(0, 12)}`)
        .join(', ')
        .slice(0, 200)}`,
    });
  }
  const radiusKm = keep('radiusKm', input.radiusKm);
  if (radiusKm !== null && (lon === null || lat === null) && !communeCode) {
    problems.push({ field: 'radiusKm', reason: 'un rayon d’intervention demande un lieu (coordonnées ou commune)' });
  }
  if (territories.length === 0 && radiusKm === null) {
    if (communeCode && known.has(`COMMUNE:${communeCode}`)) territories = [{ level: TerritoryLevel.COMMUNE, code: communeCode }];
    else if (communeCode && known.has(`ARRONDISSEMENT:${communeCode}`)) territories = [{ level: TerritoryLevel.ARRONDISSEMENT, code: communeCode }];
    else problems.push({ field: 'territories', reason: 'indiquez au moins un territoire d’intervention, une commune ou un rayon' });
  }
  if (problems.length) return { problems };
  const plain = Object.fromEntries(PLAIN_TEXT.map((k) => [k, text(k, input[k] as string | null | undefined)]));
  return {
    problems,
    record: {
      ...(plain as Pick<ActorRecord, TextField>),
      id: base?.id,
      name: name!,
      kind: kind!,
      sector: sector!,
      ...ids,
      communeCode,
      openingHours,
      lon,
      lat,
      themeCodes: themes,
      audienceCodes: audiences,
      territories,
      radiusKm,
      isDemo: 'isDemo' in input && input.isDemo !== undefined ? Boolean(input.isDemo) : (base?.isDemo ?? false),
    },
  };
}
