import { defineEnum, enumLabels, type EnumValue } from '../graphql/enums.js';

/** What an actor is. Grouped into families for display and facets. */
export const ActorKind = defineEnum('ActorKind');
export type ActorKind = EnumValue<typeof ActorKind>;

export const ACTOR_KIND_LABELS = enumLabels(ActorKind);

/**
 * The State's services and agencies (the « services de l'État » of the directory: DGS, ARS,
 * préfectures, DRDFE, PJJ, rectorats, CPAM, DDT/DRIEAT, DRIHL, DRIETS…) and the health democracy
 * bodies: they steer, fund or represent prevention over a whole département, région or the whole
 * country, so gap analysis can leave them out (`fieldActorsOnly`) to find where no field actor
 * (association, CPTS, collectivité, établissement, dispositif) works.
 */
export const STEERING_KINDS: readonly ActorKind[] = [
  ActorKind.DGS,
  ActorKind.ARS,
  ActorKind.AGENCE_ETAT,
  ActorKind.SERVICE_ETAT,
  ActorKind.PREFECTURE,
  ActorKind.DRDFE,
  ActorKind.DRIHL,
  ActorKind.DRIETS,
  ActorKind.DDT_DRIEATE,
  ActorKind.PJJ,
  ActorKind.EDUCATION_NATIONALE,
  ActorKind.CPAM,
  ActorKind.INSTANCE_DEMOCRATIE_SANTE,
];

/** Theme keys of the gap aggregates that count field actors only (migration 1764000000011). */
export const FIELD_KEY_PREFIX = 'terrain:';

/** Sector of activity, used for the intersectorality of coalitions. */
export const Sector = defineEnum('Sector');
export type Sector = EnumValue<typeof Sector>;

export const SECTOR_LABELS = enumLabels(Sector);

export const ActorStatus = defineEnum('ActorStatus', 'Actif, ou archivé (masqué des recherches par défaut)', ['ACTIVE', 'ARCHIVED']);
export type ActorStatus = EnumValue<typeof ActorStatus>;

/**
 * Moderation of an actor (server/actors/actor-review.ts). Only validated actors count in the gap
 * figures; pending and rejected ones stay searchable.
 */
export const ReviewStatus = defineEnum('ActorReviewStatus');
export type ReviewStatus = EnumValue<typeof ReviewStatus>;

export const REVIEW_STATUS_LABELS = enumLabels(ReviewStatus);

/**
 * Whether `value` is one of the values of a string enum. Never `value in Enum` or `Enum[value]`:
 * those accept the names of Object.prototype (`toString`, `constructor`, `__proto__`…).
 */
export const isEnumValue = <T extends Record<string, string>>(enumObject: T, value: unknown): value is T[keyof T] =>
  typeof value === 'string' && Object.values(enumObject).includes(value);

export const ActorOrder = defineEnum('ActorOrder');
export type ActorOrder = EnumValue<typeof ActorOrder>;
