import type { Client } from '@urql/core';
import type { ResultOf } from '../graphql/graphql';
import { VOCABULARY } from '../graphql/queries';

export type VocabularyLists = Omit<ResultOf<typeof VOCABULARY>['vocabulary'], 'freshnessMonths'>;
export type VocabularyList = keyof VocabularyLists;

/**
 * The French labels of the API's closed lists (actor kinds, roles, levels…), read once from the
 * `vocabulary` query: the client keeps no copy of the server's labels.
 */
export class Vocabulary {
  lists = $state.raw<VocabularyLists | null>(null);
  /** After how many months a record nobody confirmed is to be checked (the server's FRESHNESS_MONTHS). */
  freshnessMonths = $state<number | null>(null);
  /** Loaded, or failed: the page stops waiting for it either way. */
  settled = $state(false);
  private started = false;

  init(client: Client): void {
    if (this.started) return;
    this.started = true;
    void client
      .query(VOCABULARY, {})
      .toPromise()
      .then((r) => {
        this.lists = r.data?.vocabulary ?? null;
        this.freshnessMonths = r.data?.vocabulary.freshnessMonths ?? null;
        this.settled = true;
      });
  }

  /** The values of a list with their labels, in the server's order (empty until loaded). */
  entries(list: VocabularyList): readonly { code: string; label: string }[] {
    return this.lists?.[list] ?? [];
  }

  /** The label of a value; the value itself until the labels are loaded, or for an unknown one. */
  label(list: VocabularyList, code: string): string {
    return this.lists?.[list].find((e) => e.code === code)?.label ?? code;
  }
}

export const vocabulary = new Vocabulary();

/** « département » → « Département »: a label at the start of a line. */
export const capitalized = (label: string): string => label.charAt(0).toUpperCase() + label.slice(1);
