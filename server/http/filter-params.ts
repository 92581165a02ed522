import { validate, type ValidationError } from 'class-validator';
import { coerceInputValue, type GraphQLError, type GraphQLSchema, isInputObjectType } from 'graphql';
import { badInput } from '../graphql/errors.js';

/** The longest `filter` parameter read (a filter with every list at its cap stays under it). */
export const MAX_FILTER_PARAM = 8000;

/** What a route's `filter` parameter is: a GraphQL input type and the class that validates it. */
export interface FilterParam<T extends object> {
  /** The GraphQL input type the JSON is coerced to, exactly as a variable of that type would be. */
  type: string;
  create: () => T;
  /** The classes of the nested input objects, by field, so that class-validator checks them too. */
  nested?: Partial<Record<keyof T, new () => object>>;
  /** A valid filter, shown when the parameter is not JSON. */
  example: string;
}

/** How the values of each enum are named when one is unknown. */
const UNKNOWN_VALUES: Record<string, string> = {
  ActorKind: 'nature(s) inconnue(s)',
  Sector: 'secteur(s) inconnu(s)',
  ActorReviewStatus: 'statut(s) de modération inconnu(s)',
  TerritoryLevel: 'niveau(x) inconnu(s)',
  GapLevel: 'niveau(x) inconnu(s)',
};

const SCALAR_EXPECTED: Record<string, string> = {
  String: 'un texte',
  ID: 'un texte',
  Boolean: 'true ou false',
  Int: 'un entier',
  Float: 'un nombre',
};

/**
 * Reads the `filter` query-string parameter of an HTTP route (URL-decoded JSON): coerced by the
 * schema as a GraphQL variable of `spec.type` would be, then checked by the class's validators.
 * Every problem is a BAD_USER_INPUT in French beginning « Filtre invalide » or « Paramètre
 * « filter » invalide »; an absent or null filter is the empty one.
 */
export async function parseFilterParam<T extends object>(schema: GraphQLSchema, spec: FilterParam<T>, param: unknown): Promise<T> {
  if (param === undefined || param === '') return spec.create();
  if (typeof param !== 'string' || param.length > MAX_FILTER_PARAM) {
    throw badInput('Paramètre « filter » invalide : un seul filtre JSON est attendu', 'filter');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(param);
  } catch {
    throw badInput(`Paramètre « filter » invalide : ce n’est pas du JSON (ex. ${spec.example})`, 'filter');
  }
  const type = schema.getType(spec.type);
  if (!isInputObjectType(type)) throw new Error(`type d’entrée inconnu : ${spec.type}`);
  const problems = new Problems(schema);
  const value = coerceInputValue(raw, type, (path, invalid, err) => problems.add(path, invalid, err)) as Record<string, unknown> | null;
  if (problems.any()) throw badInput(`Filtre invalide : ${problems.text()}`, 'filter');
  const filter = Object.assign(spec.create(), value ?? {});
  for (const [field, Class] of Object.entries(spec.nested ?? {}) as [string, new () => object][]) {
    const nested = (filter as Record<string, unknown>)[field];
    if (nested && typeof nested === 'object') (filter as Record<string, unknown>)[field] = Object.assign(new Class(), nested);
  }
  const invalid = await validate(filter, { forbidUnknownValues: false });
  if (invalid.length) throw badInput(`Filtre invalide : ${validationText(invalid).slice(0, 3).join(' ; ')}`, invalid[0].property);
  return filter;
}

/** The coercion errors of graphql-js, said in French; the unknown values of one enum field together. */
class Problems {
  private readonly list: string[] = [];
  private readonly unknown = new Map<string, { noun: string; values: string[] }>();

  constructor(private readonly schema: GraphQLSchema) {}

  add(path: readonly (string | number)[], invalid: unknown, err: GraphQLError): void {
    const name = path.filter((p): p is string => typeof p === 'string').join('.');
    const at = name ? `« ${name} »` : 'le filtre';
    const m = err.message;
    let match: RegExpMatchArray | null;
    if ((match = m.match(/^Field "([^"]+)" is not defined by type "([^"]+)"/))) {
      const fields = this.fieldsOf(match[2]);
      this.list.push(`champ inconnu « ${[name, match[1].slice(0, 40)].filter(Boolean).join('.')} » (champs possibles : ${fields.join(', ')})`);
    } else if ((match = m.match(/^(?:Value ".*" does not exist in|Enum) "([^"]+)"/))) {
      const key = `${name}|${match[1]}`;
      const entry = this.unknown.get(key) ?? { noun: UNKNOWN_VALUES[match[1]] ?? `valeur(s) inconnue(s) pour ${at}`, values: [] };
      entry.values.push(String(typeof invalid === 'string' ? invalid : JSON.stringify(invalid)).slice(0, 40));
      this.unknown.set(key, entry);
    } else if ((match = m.match(/^Field "([^"]+)" of required type/))) {
      this.list.push(`« ${[name, match[1]].filter(Boolean).join('.')} » est requis`);
    } else if (/^Expected type "[^"]+" to be an object/.test(m)) {
      this.list.push(name ? `${at} doit être un objet JSON` : 'un objet JSON est attendu');
    } else if ((match = m.match(/^(String|ID|Boolean|Int|Float) cannot represent/))) {
      this.list.push(`${at} doit être ${SCALAR_EXPECTED[match[1]]}`);
    } else if (/^Expected non-nullable type/.test(m)) {
      this.list.push(`${at} ne peut pas être null`);
    } else {
      this.list.push(`${at} n’a pas une valeur permise`);
    }
  }

  any(): boolean {
    return this.list.length + this.unknown.size > 0;
  }

  text(): string {
    const unknown = [...this.unknown.values()].map((u) => `${u.noun} : ${u.values.join(', ').slice(0, 200)}`);
    return [...unknown, ...this.list].slice(0, 3).join(' ; ').slice(0, 600);
  }

  private fieldsOf(typeName: string): string[] {
    const type = this.schema.getType(typeName);
    return isInputObjectType(type) ? Object.keys(type.getFields()) : [];
  }
}

/** class-validator's errors, nested ones included, as « path » : message (its English defaults said generically). */
function validationText(errors: ValidationError[], prefix = ''): string[] {
  return errors.flatMap((e) => [
    ...Object.values(e.constraints ?? {}).map((m) => `« ${prefix}${e.property} » : ${/\b(must|should)\b/.test(m) ? 'valeur invalide' : m}`),
    ...validationText(e.children ?? [], `${prefix}${e.property}.`),
  ]);
}
