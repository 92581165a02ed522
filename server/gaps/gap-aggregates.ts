/**
 * When a batch of actor writes should rebuild the gap aggregates once (`gap_rebuild()`, with the
 * triggers deferred) instead of keeping them up through the triggers, statement by statement.
 *
 * A rebuild recomputes the whole directory (minutes for 100,000 actors): it pays off only when the
 * batch rewrites a large share of it. Otherwise the triggers' cost follows the batch's size, which
 * keeps a small batch on a large directory within the statement timeout.
 */
export function rebuildPaysOff(writes: number, existingActors: number, minWrites: number): boolean {
  return writes >= minWrites && writes * 2 >= existingActors;
}
