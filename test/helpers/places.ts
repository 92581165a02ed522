/**
 * The places of the seeded geography (COG 2026) the tests lean on, named once: Verdun and
 * Bar-le-Duc in the Meuse, two of its EPCI, and the département itself as a territory reference.
 */
export const VERDUN = '55545';
export const BAR_LE_DUC = '55029';
/** The CC du Pays de Revigny-sur-Ornain. */
export const REVIGNY_EPCI = '245501184';
/** The CA du Grand Verdun. */
export const GRAND_VERDUN = '200049187';
export const MEUSE = { level: 'DEPARTEMENT', code: '55' };
/** The Grand Est région, the Meuse's. */
export const GRAND_EST = { level: 'REGION', code: '44' };
/** The whole country, the territory of national actors. */
export const FRANCE = { level: 'PAYS', code: 'FR' };
