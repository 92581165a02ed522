declare module 'virtual:scope-bounds' {
  /** Box of each région and département, by level then code (client/scope-bounds.plugin.ts). */
  const bounds: Record<'REGION' | 'DEPARTEMENT', Record<string, import('./lib/map/bounds').Box>>;
  export default bounds;
}
