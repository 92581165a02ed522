declare module 'virtual:scope-bounds' {
  /** Box of each région and département, by level then code (client/scope-bounds.plugin.ts). */
  const bounds: Record<'REGION' | 'DEPARTEMENT', Record<string, import('./lib/map/bounds').Box>>;
  export default bounds;
}

interface Window {
  /** Set by the maps once drawn, for the browser tests (test/e2e). */
  __mapIdle?: boolean;
  /** Set by the network drawing once rendered, for the browser tests. */
  __graphRendered?: boolean;
}

interface ImportMetaEnv {
  /** Optional raster background, a tile URL template (client/src/lib/map/maplibre.ts). */
  readonly VITE_RASTER_TILES_URL?: string;
}
