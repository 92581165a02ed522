/** A page of a cursor-paged list, as the API gives it (actors, coalitions, queues). */
export interface CursorPage<E> {
  edges: E[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * Every page of a cursor-paged list, from the first, as a client walks it: `read(after)` reads the
 * page after the cursor `after` (null for the first page). At most `max` pages, so that a list whose
 * `hasNextPage` never turns false ends the test instead of looping.
 */
export async function allPages<P extends CursorPage<unknown>>(read: (after: string | null) => Promise<P>, max = 100): Promise<P[]> {
  const pages: P[] = [];
  let after: string | null = null;
  for (let i = 0; i < max; i++) {
    const page = await read(after);
    pages.push(page);
    if (!page.pageInfo.hasNextPage) break;
    after = page.pageInfo.endCursor;
  }
  return pages;
}
