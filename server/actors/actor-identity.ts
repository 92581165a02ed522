import type { DataSource } from 'typeorm';
import { type Queryable, run, sql } from '../db/sql.js';
import { AppError } from '../graphql/errors.js';
import { IDENTIFIER_LABELS } from './actor-identifiers.js';
import type { ActorRecord } from './actor.repository.js';

// One structure, one active record: two active (non-archived) actors may not share a SIRET, an
// RNA or a FINESS number. Every write checks it before writing (createActor, updateActor, each row
// of an import) and names the actor that already holds the number, so that the user can ask to
// represent it (claimActor) instead of entering it twice; the partial unique indexes of migration
// 1764000000026 refuse what two writes at the same instant would let through, and that refusal
// becomes the same answer (guardIdentifiers).

/** The identifiers that name one structure (the SIREN does not: a structure's establishments share it). */
export const UNIQUE_IDENTIFIERS = ['siret', 'rna', 'finess'] as const;
export type UniqueIdentifier = (typeof UNIQUE_IDENTIFIERS)[number];

type Identified = Pick<ActorRecord, UniqueIdentifier>;

/** The active actor that holds an identifier. */
export interface IdentifierHolder {
  id: string;
  name: string;
}

/** An identifier of a write already held by another active actor. */
export interface IdentifierClash {
  field: UniqueIdentifier;
  value: string;
  holder: IdentifierHolder | null;
}

const keyOf = (field: UniqueIdentifier, value: string) => `${field}:${value}`;

/** The active actors that hold the identifiers of these records, by `field:value`; one query. */
export async function identifierHolders(m: Queryable, records: readonly Identified[]): Promise<Map<string, IdentifierHolder>> {
  const wanted = Object.fromEntries(UNIQUE_IDENTIFIERS.map((f) => [f, [...new Set(records.map((r) => r[f]).filter((v): v is string => !!v))]])) as Record<
    UniqueIdentifier,
    string[]
  >;
  const out = new Map<string, IdentifierHolder>();
  if (UNIQUE_IDENTIFIERS.every((f) => wanted[f].length === 0)) return out;
  const rows = await run<{ field: UniqueIdentifier; value: string; id: string; name: string }>(
    m,
    sql`SELECT 'siret' AS field, siret AS value, id, name FROM actor WHERE status = 'ACTIVE' AND siret = ANY(${wanted.siret}::text[])
        UNION ALL SELECT 'rna', rna, id, name FROM actor WHERE status = 'ACTIVE' AND rna = ANY(${wanted.rna}::text[])
        UNION ALL SELECT 'finess', finess, id, name FROM actor WHERE status = 'ACTIVE' AND finess = ANY(${wanted.finess}::text[])`,
  );
  for (const r of rows) out.set(keyOf(r.field, r.value), { id: r.id, name: r.name });
  return out;
}

/** The first identifier of `record` held by an active actor other than `selfId` (a new actor: none), or null. */
export function clashOf(record: Identified, selfId: string | undefined, holders: ReadonlyMap<string, IdentifierHolder>): IdentifierClash | null {
  for (const field of UNIQUE_IDENTIFIERS) {
    const value = record[field];
    const holder = value ? holders.get(keyOf(field, value)) : undefined;
    if (value && holder && holder.id !== selfId) return { field, value, holder };
  }
  return null;
}

/** The clash in French, for a form's field or an import's report. */
export function clashReason({ field, value, holder }: IdentifierClash): string {
  const label = IDENTIFIER_LABELS[field];
  const who = holder ? `de l’acteur « ${holder.name.slice(0, 120)} » (identifiant ${holder.id})` : 'd’un autre acteur';
  return `le ${label} ${value} est déjà celui ${who} : demandez à représenter cet acteur plutôt que d’en créer un second`;
}

/** CONFLICT naming the field and the actor that holds the identifier (`existingActorId`, `existingActorName`), for a claim. */
export function clashError(clash: IdentifierClash): AppError {
  const reason = clashReason(clash);
  return new AppError('CONFLICT', `Acteur déjà présent dans le répertoire : ${reason}.`, {
    field: clash.field,
    fields: [{ field: clash.field, reason }],
    value: clash.value,
    existingActorId: clash.holder?.id ?? null,
    existingActorName: clash.holder?.name ?? null,
  });
}

/**
 * Refuses (CONFLICT) a record about to be written as the active actor `selfId` (undefined: a new
 * one) when another active actor holds one of its identifiers. Run in the write's transaction.
 */
export async function assertNoClash(m: Queryable, record: Identified, selfId: string | undefined): Promise<void> {
  const clash = clashOf(record, selfId, await identifierHolders(m, [record]));
  if (clash) throw clashError(clash);
}

/** The identifier whose partial unique index (migration 1764000000026) refused a row, and its value, or null. */
export function indexClash(err: unknown): { field: UniqueIdentifier; value: string | null } | null {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; depth++) {
    const { code, constraint, detail, driverError } = e as { code?: unknown; constraint?: unknown; detail?: unknown; driverError?: unknown };
    if (code === '23505' && typeof constraint === 'string') {
      const field = UNIQUE_IDENTIFIERS.find((f) => constraint === `actor_active_${f}_key`);
      if (!field) return null;
      // « Key (siret)=(73282932000074) already exists. »
      const value = typeof detail === 'string' ? (/\)=\((.*)\) already exists/.exec(detail)?.[1] ?? null) : null;
      return { field, value };
    }
    e = driverError;
  }
  return null;
}

/**
 * The answer to a failed write (its transaction over): when the database refused it because a
 * write committed in between took one of its identifiers, the same CONFLICT as the check made
 * before writing, naming that actor; any other error as it was.
 */
export async function identifierConflict(ds: Queryable, err: unknown, records: readonly Identified[] = []): Promise<unknown> {
  const hit = indexClash(err);
  if (!hit) return err;
  const value = hit.value ?? records.map((r) => r[hit.field]).find((v): v is string => !!v) ?? '';
  const holder = value
    ? ((await identifierHolders(ds, [{ siret: null, rna: null, finess: null, [hit.field]: value }])).get(keyOf(hit.field, value)) ?? null)
    : null;
  return clashError({ field: hit.field, value, holder });
}

/** Runs a write (its own transaction, on `ds`), its identifiers' unique violations answered by identifierConflict. */
export async function guardIdentifiers<T>(ds: DataSource, write: () => Promise<T>, records: readonly Identified[] = []): Promise<T> {
  try {
    return await write();
  } catch (err) {
    throw await identifierConflict(ds, err, records);
  }
}
