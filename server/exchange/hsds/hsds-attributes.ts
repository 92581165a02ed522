import type { ExportRow } from '../../actors/actor-export.js';
import type { Taxonomy } from '../../themes/theme.service.js';
import { HSDS_NAMESPACE, hsdsId, uuidV5 } from './hsds-ids.js';

/**
 * What HSDS 3.0 has no field for travels as `attribute` objects (HSDS's own extension mechanism:
 * a taxonomy term, and a value when the term names a field). The service's themes are terms of the
 * DGS themes taxonomy (their codes), its publics terms of the publics taxonomy; the organization's
 * nature, sector, commune code, postal code, provenance, radius, demonstration flag, and the exact
 * value of a field HSDS could not hold as stored (a website that is no absolute URI…), are terms
 * of the directory's fields taxonomy with the value. So an export re-imported changes nothing.
 */

/** The directory's taxonomies (the `taxonomy` of their terms). */
export const HSDS_TAXONOMY = {
  theme: 'repertoire-prevention:thematiques-dgs',
  audience: 'repertoire-prevention:publics',
  field: 'repertoire-prevention:champs',
} as const;

/** The actor fields carried as attributes of the fields taxonomy, with the description of their term. */
export const HSDS_FIELDS = {
  nature: 'Nature de l’acteur (code du répertoire : ASSOCIATION, CPTS, COLLECTIVITE…)',
  secteur: 'Secteur de l’acteur (code du répertoire : SANTE, SOCIAL…)',
  commune: 'Code officiel géographique (INSEE) de la commune de l’acteur',
  code_postal: 'Code postal de l’acteur',
  source: 'Provenance de la fiche dans le répertoire',
  demonstration: 'Acteur fictif de démonstration (« oui »)',
  rayon_km: 'Rayon d’intervention autour du lieu de l’acteur, en kilomètres',
  description: 'La description HSDS est ce résumé, écrit faute de description enregistrée',
  site_web: 'Site web tel qu’enregistré (HSDS veut une URI absolue)',
  courriel: 'Courriel tel qu’enregistré (HSDS refuse sa forme)',
} as const;
export type HsdsField = keyof typeof HSDS_FIELDS;

/** The `link_type` of each kind of attribute. */
const LINK_TYPE = { theme: 'thematique', audience: 'public', field: 'champ' } as const;

/** The id of a term: the same in every export and for every actor (UUID v5 of its taxonomy and code). */
export const termId = (taxonomy: string, code: string) => uuidV5(`taxonomy_term/${taxonomy}/${code}`, HSDS_NAMESPACE);

type Attribute = { id: string; [field: string]: unknown };

function attribute(
  actorId: string,
  link: { id: string; entity: 'organization' | 'service' },
  kind: keyof typeof HSDS_TAXONOMY,
  term: { code: string; name: string; description: string; parentCode?: string | null },
  value?: string,
): Attribute {
  const taxonomy = HSDS_TAXONOMY[kind];
  const id = termId(taxonomy, term.code);
  return {
    id: hsdsId(actorId, 'attribute', `${taxonomy}/${term.code}`),
    link_id: link.id,
    taxonomy_term_id: id,
    link_type: LINK_TYPE[kind],
    link_entity: link.entity,
    ...(value !== undefined ? { value } : {}),
    taxonomy_term: {
      id,
      code: term.code,
      name: term.name,
      description: term.description,
      ...(term.parentCode ? { parent_id: termId(taxonomy, term.parentCode) } : {}),
      taxonomy,
      language: 'fr',
    },
  };
}

/** Standard values as the export writes them, to know when the stored one must travel beside (or, for the description, that there is none). */
export interface StandardValues {
  description: string;
  email: string | null;
  website: string | null;
}

/** The organization's attributes: its fields HSDS has no place for, and stored values HSDS could not hold. */
export function organizationAttributes(r: ExportRow, standard: StandardValues): Attribute[] {
  const fields: [HsdsField, string | null][] = [
    ['nature', r.kind],
    ['secteur', r.sector],
    ['commune', r.communeCode],
    ['code_postal', r.postalCode],
    ['source', r.source],
    ['demonstration', r.isDemo ? 'oui' : null],
    ['rayon_km', r.radiusKm === null ? null : String(r.radiusKm)],
    ['description', standard.description === r.description ? null : standard.description],
    ['site_web', standard.website === r.website ? null : r.website],
    ['courriel', standard.email === r.email ? null : r.email],
  ];
  const link = { id: r.id, entity: 'organization' } as const;
  return fields
    .filter((f): f is [HsdsField, string] => f[1] !== null)
    .map(([code, value]) => attribute(r.id, link, 'field', { code, name: code, description: HSDS_FIELDS[code] }, value));
}

/** The service's attributes: its DGS themes and its publics, as terms of the directory's taxonomies. */
export function serviceAttributes(r: ExportRow, serviceId: string, taxonomy: Pick<Taxonomy, 'themeByCode' | 'audienceByCode'>): Attribute[] {
  const link = { id: serviceId, entity: 'service' } as const;
  const themes = r.themeCodes.map((code) => {
    const t = taxonomy.themeByCode.get(code);
    const name = t?.label ?? code;
    return attribute(r.id, link, 'theme', { code, name, description: `Thème de prévention (DGS) : ${name}`, parentCode: t?.parentCode });
  });
  const audiences = r.audienceCodes.map((code) => {
    const name = taxonomy.audienceByCode.get(code)?.label ?? code;
    return attribute(r.id, link, 'audience', { code, name, description: `Public visé : ${name}` });
  });
  return [...themes, ...audiences];
}
