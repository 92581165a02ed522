/**
 * The prevention themes (two levels, after the DGS fields of action) and the publics.
 * Codes are stable slugs; labels are French. Top-level codes are those used in the public
 * documents of seeds/data/acteurs/documents-publics. `dataInclusion` lists the national
 * data·inclusion codes that map to a theme or a public (imports accept them as synonyms).
 */
export interface ThemeDef {
  code: string;
  label: string;
  dataInclusion?: string[];
  children?: { code: string; label: string }[];
}

export const THEMES: ThemeDef[] = [
  {
    code: 'addictions',
    label: 'Prévention des addictions',
    dataInclusion: ['sante--addictions'],
    children: [
      { code: 'addictions-tabac', label: 'Tabac' },
      { code: 'addictions-alcool', label: 'Alcool' },
      { code: 'addictions-drogues-illicites', label: 'Drogues illicites' },
      { code: 'addictions-jeux', label: "Jeux d'argent et écrans" },
    ],
  },
  {
    code: 'sante-sexuelle',
    label: 'Santé sexuelle',
    dataInclusion: ['sante--sante-sexuelle'],
    children: [
      { code: 'sante-sexuelle-vih', label: 'VIH' },
      { code: 'sante-sexuelle-hepatites', label: 'Hépatites' },
      { code: 'sante-sexuelle-ist', label: 'Infections sexuellement transmissibles' },
      { code: 'sante-sexuelle-grossesses-non-desirees', label: 'Grossesses non désirées' },
    ],
  },
  {
    code: 'sante-mentale',
    label: 'Santé mentale',
    dataInclusion: ['sante--sante-mentale'],
    children: [
      { code: 'sante-mentale-prevention-suicide', label: 'Prévention du suicide' },
      { code: 'sante-mentale-promotion', label: 'Promotion de la santé mentale' },
      { code: 'sante-mentale-stigmatisation', label: 'Lutte contre la stigmatisation' },
    ],
  },
  { code: 'nutrition-activite-physique', label: 'Nutrition et activité physique' },
  {
    code: 'sante-environnement',
    label: 'Santé-environnement',
    children: [
      { code: 'sante-environnement-air', label: 'Air intérieur et extérieur' },
      { code: 'sante-environnement-bruit', label: 'Bruit' },
      { code: 'sante-environnement-eau', label: 'Eau' },
      { code: 'sante-environnement-produits-chimiques', label: 'Produits chimiques et perturbateurs endocriniens' },
      { code: 'sante-environnement-pesticides', label: 'Pesticides' },
      { code: 'sante-environnement-especes-nuisibles', label: 'Espèces nuisibles' },
      { code: 'sante-environnement-pollens', label: 'Pollens' },
    ],
  },
  {
    code: 'perinatalite-enfants-jeunes-femmes',
    label: 'Périnatalité, santé des enfants, des jeunes et des femmes',
    children: [
      { code: 'perinatalite', label: 'Périnatalité' },
      { code: 'sante-des-enfants', label: 'Santé des enfants' },
      { code: 'sante-des-jeunes', label: 'Santé des jeunes' },
      { code: 'sante-des-femmes', label: 'Santé des femmes' },
    ],
  },
  { code: 'vaccination', label: 'Vaccination' },
  {
    code: 'populations-vulnerables',
    label: 'Populations vulnérables',
    dataInclusion: ['sante--acces-aux-soins'],
    children: [
      { code: 'precarite', label: 'Précarité' },
      { code: 'primo-arrivants', label: 'Primo-arrivants' },
      { code: 'personnes-privees-de-liberte', label: 'Personnes privées de liberté' },
    ],
  },
  {
    code: 'maladies-chroniques',
    label: 'Maladies chroniques',
    children: [
      { code: 'cancers', label: 'Cancers' },
      { code: 'cardio-neuro-vasculaire', label: 'Maladies cardio-neuro-vasculaires' },
      { code: 'sante-orale', label: 'Santé orale' },
      { code: 'maladies-neurodegeneratives', label: 'Maladies neurodégénératives' },
    ],
  },
  { code: 'gestes-qui-sauvent', label: 'Gestes qui sauvent et défibrillateurs' },
  { code: 'produits-de-sante-antibioresistance', label: 'Produits de santé et antibiorésistance' },
  { code: 'parentalite', label: 'Parentalité', dataInclusion: ['famille--soutien-a-la-parentalite-et-a-leducation'] },
  { code: 'violences-faites-aux-femmes', label: 'Violences faites aux femmes', dataInclusion: ['famille--surmonter-conflits-separation-violence'] },
  { code: 'logement-habitat', label: 'Logement et habitat', dataInclusion: ['logement-hebergement--se-maintenir-dans-le-logement'] },
];

export interface AudienceDef {
  code: string;
  label: string;
  dataInclusion?: string[];
  /** Spellings found in source files (French labels). */
  aliases?: string[];
}

export const AUDIENCES: AudienceDef[] = [
  { code: 'jeunes', label: 'Jeunes', dataInclusion: ['jeunes', 'etudiants'] },
  { code: 'enfants', label: 'Enfants' },
  { code: 'parents', label: 'Parents', dataInclusion: ['familles'] },
  { code: 'femmes', label: 'Femmes', dataInclusion: ['femmes'] },
  { code: 'personnes-agees', label: 'Personnes âgées', dataInclusion: ['seniors'], aliases: ['personnes âgées'] },
  {
    code: 'personnes-handicap',
    label: 'Personnes en situation de handicap',
    dataInclusion: ['personnes-en-situation-de-handicap'],
    aliases: ['personnes en situation de handicap'],
  },
  {
    code: 'personnes-precaires',
    label: 'Personnes précaires',
    dataInclusion: ['beneficiaires-des-minimas-sociaux', 'personnes-en-situation-durgence', 'residents-qpv-frr'],
    aliases: ['personnes précaires'],
  },
  { code: 'primo-arrivants', label: 'Primo-arrivants', dataInclusion: ['personnes-exilees'] },
  {
    code: 'personnes-sous-main-de-justice',
    label: 'Personnes sous main de justice',
    dataInclusion: ['personnes-en-situation-juridique-specifique'],
    aliases: ['personnes sous main de justice'],
  },
  { code: 'professionnels', label: 'Professionnels', dataInclusion: ['actifs'] },
  { code: 'tout-public', label: 'Tout public', dataInclusion: ['tous-publics'], aliases: ['tout public'] },
];
