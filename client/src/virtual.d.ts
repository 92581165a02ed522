declare module 'virtual:scope-bounds' {
  /** Box [west, south, east, north] of each région and département, by level then code. */
  const bounds: Record<'REGION' | 'DEPARTEMENT', Record<string, [number, number, number, number]>>;
  export default bounds;
}
