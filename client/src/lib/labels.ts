/** French labels of the enums the server does not list as a query. */

export const USER_ROLE_LABELS: Record<string, string> = {
  MEMBER: 'Membre',
  COORDINATOR: 'Coordinateur',
  ANALYST: 'Analyste ARS',
  ADMIN: 'Administrateur',
};

export const COALITION_KIND_LABELS: Record<string, string> = {
  THEMATIQUE: 'Coalition thématique',
  CLS: 'Contrat local de santé (CLS)',
  CLSM: 'Conseil local de santé mentale (CLSM)',
  ASV: 'Atelier santé ville (ASV)',
  COOPERATIVE: 'Coopérative d’acteurs',
  CONVENTION: 'Convention de partenariat',
  ALLIANCE_REGIONALE: 'Alliance régionale',
};

export const VISIBILITY_LABELS: Record<string, string> = {
  PUBLIC: 'Publique : visible de tous',
  MEMBERS: 'Réservée à ses membres',
};

export const JOIN_POLICY_LABELS: Record<string, string> = {
  OPEN: 'Libre : la demande vaut adhésion',
  APPROVAL: 'Sur demande, acceptée par un coordinateur',
  INVITATION: 'Sur invitation d’un coordinateur seulement',
};

/** Roles a partner may ask for (pilots are invited by a coordinator). */
export const REQUESTABLE_ROLES: { value: string; label: string }[] = [
  { value: 'MEMBRE', label: 'Membre' },
  { value: 'PARTENAIRE', label: 'Partenaire' },
  { value: 'SIGNATAIRE', label: 'Signataire' },
];

export const LEVEL_LABELS: Record<string, string> = {
  PAYS: 'France entière',
  REGION: 'Région',
  DEPARTEMENT: 'Département',
  EPCI: 'EPCI',
  EPT: 'EPT',
  COMMUNE: 'Commune',
  ARRONDISSEMENT: 'Arrondissement',
};

/** Node colours of the network drawing, by actor sector; all dark enough for white labels around. */
export const SECTOR_COLOURS: Record<string, string> = {
  SANTE: '#000091',
  SOCIAL: '#6e445a',
  MEDICO_SOCIAL: '#a94645',
  EDUCATION: '#18753c',
  LOGEMENT: '#7d4e5b',
  JUSTICE: '#3a3a3a',
  COLLECTIVITE: '#0063cb',
  ETAT: '#161616',
  RECHERCHE: '#695240',
  USAGERS: '#b34000',
};

const DATE = new Intl.DateTimeFormat('fr-FR', { day: 'numeric', month: 'long', year: 'numeric' });

/** « depuis le 1er janvier 2025 », « du … au … », or « période non précisée ». */
export function period(start: string | null, end: string | null): string {
  const d = (s: string) => DATE.format(new Date(`${s}T12:00:00Z`));
  if (start && end) return `du ${d(start)} au ${d(end)}`;
  if (start) return `depuis le ${d(start)}`;
  if (end) return `jusqu’au ${d(end)}`;
  return 'période non précisée';
}
