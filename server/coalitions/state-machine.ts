import { AppError } from '../graphql/errors.js';

/** One row of a transition table: `action` moves a record from `from` (null: a new one) to `to`, done by one of `by`. */
export interface Transition<S extends string, A extends string, P extends string> {
  action: A;
  from: S | null;
  to: S;
  by: readonly P[];
}

/** What the user hears when an action is refused: not theirs to do (FORBIDDEN), or not from this state (CONFLICT). */
export interface Refusal<P extends string> {
  forbidden: string | ((parties: ReadonlySet<P>) => string);
  conflict: string;
}

/**
 * A workflow written as one transition table (as Vendure writes its order states): every change
 * of status asks it for the next status, so no rule hides in a method. The parties a user plays
 * (« representative of the actor », « coordinator »…) are computed by the domain's permissions;
 * the table says which party may do what, from which status, to which.
 */
export class StateMachine<S extends string, A extends string, P extends string> {
  constructor(
    readonly transitions: readonly Transition<S, A, P>[],
    private readonly refusals: Readonly<Record<A, Refusal<P>>>,
  ) {}

  /** The statuses `action` leaves from (null for an action that creates the record). */
  from(action: A): (S | null)[] {
    return this.transitions.filter((t) => t.action === action).map((t) => t.from);
  }

  /** True if one of `parties` may do `action` from `from`. */
  allows(action: A, from: S | null, parties: Iterable<P>): boolean {
    return this.find(action, from, new Set(parties)) !== undefined;
  }

  /** FORBIDDEN unless one of `parties` may do `action` from some status. */
  authorize(action: A, parties: Iterable<P>): void {
    const set = new Set(parties);
    if (!this.transitions.some((t) => t.action === action && t.by.some((p) => set.has(p)))) {
      const { forbidden } = this.refusals[action];
      throw new AppError('FORBIDDEN', typeof forbidden === 'string' ? forbidden : forbidden(set));
    }
  }

  /** The status `action` leads to from `from`: FORBIDDEN if not the user's to do, CONFLICT if not from this status. */
  next(action: A, from: S | null, parties: Iterable<P>): S {
    const set = new Set(parties);
    this.authorize(action, set);
    const row = this.find(action, from, set);
    if (!row) throw this.conflict(action, from);
    return row.to;
  }

  /** The CONFLICT of `action` from status `current` (also for a record created twice at once). */
  conflict(action: A, current: S | null): AppError {
    return new AppError('CONFLICT', this.refusals[action].conflict, current === null ? {} : { currentStatus: current });
  }

  private find(action: A, from: S | null, parties: ReadonlySet<P>): Transition<S, A, P> | undefined {
    return this.transitions.find((t) => t.action === action && t.from === from && t.by.some((p) => parties.has(p)));
  }
}
