import type { Client, CombinedError, TypedDocumentNode } from '@urql/core';
import { errorMessage, queryFresh } from '../graphql/client';

/** A page of a Relay connection, as the API returns it. */
export interface Page<E> {
  edges: readonly E[];
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/**
 * A list read page by page (the moderation queue, the records to check): the edges read so far,
 * the total, where to resume, and the error of the last answer with its `extensions.code`. Only
 * the answer to the latest request is kept (the filter may change while one is on its way).
 */
export class PagedList<E> {
  edges = $state.raw<E[]>([]);
  totalCount = $state(0);
  endCursor = $state<string | null>(null);
  hasNext = $state(false);
  loading = $state(true);
  error = $state<string | null>(null);
  errorCode = $state<string | null>(null);
  private seq = 0;

  /** Reads the first page (`after` null) or the next one; false when a later request overtook this one. */
  async load(after: string | null, read: (after: string | null) => Promise<{ page?: Page<E> | null; error?: CombinedError }>): Promise<boolean> {
    const mine = ++this.seq;
    this.loading = true;
    const { page, error } = await read(after);
    if (mine !== this.seq) return false;
    this.loading = false;
    this.error = errorMessage(error);
    this.errorCode = (error?.graphQLErrors[0]?.extensions?.code as string | undefined) ?? null;
    this.edges = after ? [...this.edges, ...(page?.edges ?? [])] : [...(page?.edges ?? [])];
    this.totalCount = page?.totalCount ?? 0;
    this.endCursor = page?.pageInfo.endCursor ?? null;
    this.hasNext = page?.pageInfo.hasNextPage ?? false;
    return true;
  }

  /**
   * Reads the first page now and again whenever what `reader` reads changes (a component's région
   * filter): call it while the component initialises, it sets up the effect. The function it
   * returns reads the next page (`after`) with the reader of the moment.
   */
  follow(reader: () => (after: string | null) => Promise<{ page?: Page<E> | null; error?: CombinedError }>): (after: string | null) => Promise<boolean> {
    const load = (after: string | null) => this.load(after, reader());
    $effect(() => {
      void load(null);
    });
    return load;
  }

  /** Takes one edge out (decided, confirmed) without reading the list again. */
  remove(keep: (edge: E) => boolean): void {
    const before = this.edges.length;
    this.edges = this.edges.filter(keep);
    this.totalCount = Math.max(0, this.totalCount - (before - this.edges.length));
  }
}

/** The props of a moderation list component of a région. */
export interface RegionListProps {
  /** The région asked for (administrators), or '' for the account's own or all. */
  region: string;
}

/** The variables a list of a région is read with (`region` null: the account's own, or all). */
export interface RegionPageVariables {
  region: string | null;
  first: number;
  after: string | null;
}

/** How many entries a région's list reads at a time. */
const REGION_PAGE_SIZE = 20;

/**
 * The reader, for `PagedList.load`, of a moderation list of a région ('' for the account's own or
 * all): 20 entries at a time, always asked of the server (a decision elsewhere may have changed
 * it). `connection` takes the list out of the answer.
 */
export function regionPages<D, E>(
  client: Client,
  query: TypedDocumentNode<D, RegionPageVariables>,
  region: string,
  connection: (data: D) => Page<E> | null | undefined,
): (after: string | null) => Promise<{ page?: Page<E> | null; error?: CombinedError }> {
  return (after) =>
    queryFresh(client, query, { region: region || null, first: REGION_PAGE_SIZE, after }).then((r) => ({
      page: r.data ? connection(r.data) : null,
      error: r.error,
    }));
}
