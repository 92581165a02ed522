import { createHash } from 'node:crypto';
import { returnedRows } from './rows.js';

/**
 * Tagged SQL, the one way this code writes a statement:
 *
 *     const rows = await run(m, sql`SELECT id FROM actor WHERE name = ${name} AND ${filter}`);
 *
 * - an interpolated value is always a parameter ($1, $2 …), never text in the statement;
 * - an interpolated `Sql` fragment is spliced in, its own parameters renumbered;
 * - identifiers come only from closed lists: `ident(name, allowed)` or a `Table`'s column map.
 *
 * There is no way to splice a plain string into a statement: what is not a fragment is a value.
 */
export class Sql {
  /** `strings.length === values.length + 1`; no value is itself a `Sql` (fragments are flattened). */
  private constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {}

  /** Builds from template parts, flattening nested fragments. */
  static from(parts: readonly string[], inputs: readonly unknown[]): Sql {
    const strings: string[] = [parts[0]];
    const values: unknown[] = [];
    inputs.forEach((input, i) => {
      if (input instanceof Sql) {
        strings[strings.length - 1] += input.strings[0];
        for (let j = 0; j < input.values.length; j++) {
          values.push(input.values[j]);
          strings.push(input.strings[j + 1]);
        }
        strings[strings.length - 1] += parts[i + 1];
      } else {
        values.push(input);
        strings.push(parts[i + 1]);
      }
    });
    return new Sql(strings, values);
  }

  /** Text trusted by construction (identifiers of a closed list, keywords). Not exported. */
  static trusted(text: string): Sql {
    return new Sql([text], []);
  }

  /** The statement with numbered placeholders and its parameters, as `pg` takes them. */
  toQuery(): { text: string; values: unknown[] } {
    const values: unknown[] = [];
    const numbers = new Map<Shared, number>();
    let text = this.strings[0];
    this.values.forEach((value, i) => {
      let n: number;
      if (value instanceof Shared) {
        n = numbers.get(value) ?? values.push(value.value);
        numbers.set(value, n);
      } else n = values.push(value);
      text += `$${n}${this.strings[i + 1]}`;
    });
    return { text, values };
  }
}

/** A value sent once however many times a statement writes it (see `shared`). */
export class Shared {
  constructor(readonly value: unknown) {}
}

/**
 * One parameter written at several places of a statement: `const k = shared(keys)`, then `${k}`
 * twice gives `$3` twice and sends `keys` once, as a hand-written statement would.
 */
export const shared = (value: unknown): Shared => new Shared(value);

export function sql(strings: TemplateStringsArray, ...values: unknown[]): Sql {
  return Sql.from(strings, values);
}

/** The empty fragment (an absent condition, an absent ORDER BY…). */
export const empty = Sql.trusted('');

/**
 * A value the planner does not see (`(SELECT $n::type)`): a plan made for it is then the plan made
 * for any value, so that PostgreSQL keeps a named statement's generic plan instead of planning it
 * again on each run (it keeps the generic plan only when that costs no more than the plans made for
 * the values). For statements whose generic plan is right for every value: see searchActors.
 */
export function hiddenFromPlanner(value: string | number, type: 'text' | 'int'): Sql {
  return sql`(SELECT ${value}::${Sql.trusted(type)})`;
}

/** Fragments joined by a separator fragment (`, ` by default); empty fragments are skipped. */
export function join(items: readonly Sql[], separator: Sql = Sql.trusted(', ')): Sql {
  const kept = items.filter((s) => s.strings.length > 1 || s.strings[0] !== '');
  if (kept.length === 0) return empty;
  const parts: unknown[] = [];
  kept.forEach((s, i) => {
    if (i > 0) parts.push(separator);
    parts.push(s);
  });
  return Sql.from(['', ...parts.map(() => '')], parts);
}

/**
 * Statements that write different tables, sent as one (one round trip instead of one each):
 * `WITH w0 AS (a), w1 AS (b) c`. They run on one snapshot: none sees what another writes, and the
 * triggers of each fire once all are done. So only statements that neither read what another
 * writes nor have triggers reading it: a row and its child rows (foreign keys are checked at the
 * end), deletions from tables whose triggers read only their own transition rows. Each statement
 * is plain (no WITH of its own); their rows are not returned.
 */
export function together(statements: readonly Sql[]): Sql {
  const kept = statements.filter((s) => s !== empty);
  if (kept.length === 0) throw new Error('together : aucune instruction');
  for (const s of kept) if (/^\s*with\b/i.test(s.strings[0])) throw new Error('together : une instruction avec sa propre clause WITH ne se combine pas');
  if (kept.length === 1) return kept[0];
  const ctes = join(kept.slice(0, -1).map((s, i) => sql`${Sql.trusted(`w${i}`)} AS (${s})`));
  return sql`WITH ${ctes} ${kept[kept.length - 1]}`;
}

/** `WHERE a AND b …`, or nothing when there is no condition. */
export function where(conditions: readonly Sql[]): Sql {
  const joined = join(conditions, Sql.trusted(' AND '));
  return joined === empty ? empty : sql`WHERE ${joined}`;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

/** An identifier, accepted only if it belongs to `allowed` (a closed list written in the code). */
export function ident<T extends string>(name: T, allowed: readonly T[]): Sql {
  if (!allowed.includes(name) || !IDENTIFIER.test(name)) throw new Error(`identifiant SQL refusé : ${String(name).slice(0, 40)}`);
  return Sql.trusted(name);
}

/** What runs a statement: a DataSource, an EntityManager inside a transaction, a QueryRunner. */
export interface Queryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** Runs a statement and returns its rows (also for UPDATE/DELETE … RETURNING). */
export async function run<T = Record<string, unknown>>(db: Queryable, statement: Sql): Promise<T[]> {
  const { text, values } = statement.toQuery();
  return returnedRows<T>(await db.query(text, values));
}

/** Runs a statement expected to return at most one row. */
export async function one<T = Record<string, unknown>>(db: Queryable, statement: Sql): Promise<T | undefined> {
  return (await run<T>(db, statement))[0];
}

/**
 * A statement `pg` sends as a named prepared statement: parsed once per connection, then only bound
 * and executed (a few dozen bytes instead of its text). Its name is a hash of its text, so one name
 * is one text on every connection, and on PGlite's single backend too (server/db/embedded.ts).
 * TypeORM passes it to `pg` as it is; its text is what a query observer sees.
 */
export class PreparedQuery {
  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  toString(): string {
    return this.text;
  }
}

/** At most this many statement texts are named: each is kept by every connection that ran it. */
const MAX_PREPARED = 256;
const preparedNames = new Map<string, string>();

/**
 * Runs a statement of the hot path as a named prepared statement (see PreparedQuery). Beyond
 * MAX_PREPARED distinct texts (filters combine into many shapes), new texts run unnamed.
 */
export async function runPrepared<T = Record<string, unknown>>(db: Queryable, statement: Sql): Promise<T[]> {
  const { text, values } = statement.toQuery();
  let name = preparedNames.get(text);
  if (name === undefined && preparedNames.size < MAX_PREPARED) {
    name = `s_${createHash('sha1').update(text).digest('base64url')}`;
    preparedNames.set(text, name);
  }
  const query = name === undefined ? text : new PreparedQuery(name, text);
  return returnedRows<T>(await db.query(query as string, values));
}

/**
 * The condition « `column` is one of the uuids `ids` », for any column, the ids sent once however
 * many columns a statement tests: `= $n` for a single id, else `= ANY($n::uuid[])`. A prepared
 * statement (runPrepared) of the single form gets a generic plan that serves every id; the array
 * form kept being planned again for its values (custom plans, on each call).
 */
export function oneOfIds(ids: readonly string[]): (column: Sql) => Sql {
  if (ids.length === 1) {
    const id = shared(ids[0]);
    return (column) => sql`${column} = ${id}::uuid`;
  }
  const list = shared(ids);
  return (column) => sql`${column} = ANY(${list}::uuid[])`;
}

/** `column` is one of the uuids `ids` (see oneOfIds). */
export const isOneOf = (column: Sql, ids: readonly string[]): Sql => oneOfIds(ids)(column);

/** runPrepared for a statement expected to return at most one row. */
export async function onePrepared<T = Record<string, unknown>>(db: Queryable, statement: Sql): Promise<T | undefined> {
  return (await runPrepared<T>(db, statement))[0];
}

/** A column: its SQL name and, for rows passed as JSON (`json_to_recordset`), its SQL type. */
export interface Column {
  name: string;
  type: string;
}

/** The SQL name of a field's column when the map does not give one: `coalitionId` → `coalition_id`. */
export const snakeCase = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A table's column map: one place that names its columns, used for reads and writes. Keys are the
 * TypeScript field names; `col`, `list`, `recordset` and `assign` write the SQL from the map. A
 * column named after its field in snake_case is given by its SQL type alone (`coalitionId: 'uuid'`
 * is `coalition_id`); another name is written out (`declaredAt: { name: 'created_at', type: … }`).
 */
export class Table<K extends string> {
  readonly keys: readonly K[];
  readonly columns: Readonly<Record<K, Column>>;

  constructor(
    readonly name: string,
    columns: Readonly<Record<K, Column | string>>,
  ) {
    this.keys = Object.keys(columns) as K[];
    this.columns = Object.fromEntries(
      this.keys.map((k) => {
        const c = columns[k];
        return [k, typeof c === 'string' ? { name: snakeCase(k), type: c } : c];
      }),
    ) as Record<K, Column>;
    for (const k of this.keys) {
      if (!IDENTIFIER.test(this.columns[k].name) || !/^[a-z0-9_ [\]()]+$/.test(this.columns[k].type)) throw new Error(`colonne invalide : ${k}`);
    }
    if (!IDENTIFIER.test(name)) throw new Error(`table invalide : ${name}`);
  }

  /** The table's name. */
  get table(): Sql {
    return Sql.trusted(this.name);
  }

  /** One column, qualified by `alias` when given: `a.postal_code`. */
  col(key: K, alias?: string): Sql {
    return Sql.trusted(this.qualified(key, alias));
  }

  /** Columns separated by commas (all of them by default). */
  list(keys: readonly K[] = this.keys, alias?: string): Sql {
    return Sql.trusted(keys.map((k) => this.qualified(k, alias)).join(', '));
  }

  /**
   * Rows passed as one JSON parameter and read as a relation: `json_to_recordset($1::json) AS
   * r(name text, …)`. Each row is an object keyed by column names (see `toRecord`).
   */
  recordset(rows: readonly Record<string, unknown>[], keys: readonly K[] = this.keys, alias = 'r'): Sql {
    const defs = keys.map((k) => `${this.columns[k].name} ${this.columns[k].type}`).join(', ');
    return sql`json_to_recordset(${JSON.stringify(rows)}::json) AS ${Sql.trusted(this.alias(alias))}(${Sql.trusted(defs)})`;
  }

  /** `name = r.name, …` for an UPDATE … FROM a recordset aliased `from`. */
  assign(keys: readonly K[], from = 'r'): Sql {
    const f = this.alias(from);
    return Sql.trusted(keys.map((k) => `${this.columns[k].name} = ${f}.${this.columns[k].name}`).join(', '));
  }

  /** A value object keyed by field names → a JSON row keyed by column names (absent → null). */
  toRecord(values: Partial<Record<K, unknown>>, keys: readonly K[] = this.keys): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of keys) out[this.columns[k].name] = values[k] ?? null;
    return out;
  }

  /** `(a, b) VALUES ($1, $2)` for an INSERT of one row, each value a parameter (absent → null). */
  values(record: Partial<Record<K, unknown>>, keys: readonly K[]): Sql {
    const values = join(keys.map((k) => sql`${record[k] ?? null}`));
    return sql`(${this.list(keys)}) VALUES (${values})`;
  }

  /** `a = $1, b = $2` for an UPDATE, each value a parameter (absent → null). */
  set(record: Partial<Record<K, unknown>>, keys: readonly K[]): Sql {
    return join(keys.map((k) => sql`${this.col(k)} = ${record[k] ?? null}`));
  }

  /**
   * A row read by column name → values keyed by field name, as their column type says: arrays
   * default to [], `timestamptz` becomes a Date, `int`/`real`/`float8` a number.
   */
  fromRow(row: Record<string, unknown>, keys: readonly K[] = this.keys): Record<K, unknown> {
    const out = {} as Record<K, unknown>;
    for (const k of keys) {
      const { name, type } = this.columns[k];
      const v = row[name];
      if (type.endsWith('[]')) out[k] = v ?? [];
      else if (v === null || v === undefined) out[k] = null;
      else if (type === 'timestamptz') out[k] = new Date(v as string);
      else if (type === 'int' || type === 'real' || type === 'float8') out[k] = Number(v);
      else out[k] = v;
    }
    return out;
  }

  private qualified(key: K, alias?: string): string {
    const column = this.columns[key];
    if (!column) throw new Error(`colonne inconnue : ${String(key)}`);
    return alias ? `${this.alias(alias)}.${column.name}` : column.name;
  }

  private alias(alias: string): string {
    if (!IDENTIFIER.test(alias)) throw new Error(`alias SQL refusé : ${alias.slice(0, 40)}`);
    return alias;
  }
}
