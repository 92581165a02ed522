import type { CREATE_COALITION } from '../../graphql/coalitions';
import type { VariablesOf } from '../../graphql/graphql';

/** What CoalitionForm sends: createCoalition's input (updateCoalition's, without the pilot). */
export type CoalitionInput = VariablesOf<typeof CREATE_COALITION>['input'];

/** A coalition as CoalitionForm shows it (a new one's are empty). */
export interface CoalitionValues {
  name: string;
  kind: string;
  themes: string[];
  territory: (NonNullable<CoalitionInput['territory']> & { name: string }) | null;
  startDate: string | null;
  endDate: string | null;
  description: string | null;
  visibility: NonNullable<CoalitionInput['visibility']>;
  joinPolicy: NonNullable<CoalitionInput['joinPolicy']>;
}
