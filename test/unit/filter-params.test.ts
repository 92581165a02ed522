import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { ActorFilter, NearInput } from '../../server/actors/actor.inputs.js';
import { GapFilterInput } from '../../server/gaps/gap.inputs.js';
import { createSchema } from '../../server/graphql/schema.js';
import { type FilterParam, parseFilterParam } from '../../server/http/filter-params.js';
import { TerritoryRefInput } from '../../server/territories/territory.inputs.js';

const ACTOR: FilterParam<ActorFilter> = {
  type: 'ActorFilter',
  create: () => new ActorFilter(),
  nested: { territory: TerritoryRefInput, near: NearInput },
  example: '{}',
};
const GAP: FilterParam<GapFilterInput> = { type: 'GapFilterInput', create: () => new GapFilterInput(), nested: { scope: TerritoryRefInput }, example: '{}' };

let schema: GraphQLSchema;
beforeAll(async () => {
  schema = await createSchema();
});

/** The error a parameter gets, as the routes send it (message and extensions). */
async function refusal(spec: FilterParam<object>, filter: unknown): Promise<Record<string, unknown> | null> {
  try {
    await parseFilterParam(schema, spec, typeof filter === 'string' ? filter : JSON.stringify(filter));
    return null;
  } catch (err) {
    const e = err as { message: string; extensions: Record<string, unknown> };
    return { message: e.message, ...e.extensions };
  }
}

describe('filter parameters of the HTTP routes', () => {
  it('should give the export and the tiles the same French error for the same mistake', async () => {
    for (const [actorFilter, gapFilter, message] of [
      [
        { kinds: ['CLUB', 'ASSOCIATION', 'toString'] },
        { kinds: ['CLUB', 'ASSOCIATION', 'toString'] },
        'Filtre invalide : nature(s) inconnue(s) : CLUB, toString',
      ],
      [{ territory: { level: 'CANTON', code: '55' } }, { scope: { level: 'CANTON', code: '55' } }, 'Filtre invalide : niveau(x) inconnu(s) : CANTON'],
      [{ territory: { level: 'REGION' } }, { scope: { level: 'REGION' } }, 'est requis'],
      [[1], [1], 'Filtre invalide : un objet JSON est attendu'],
      ['{pas-du-json', '{pas-du-json', 'Paramètre « filter » invalide : ce n’est pas du JSON'],
      ['x'.repeat(9000), 'x'.repeat(9000), 'Paramètre « filter » invalide : un seul filtre JSON est attendu'],
    ] as const) {
      const a = await refusal(ACTOR, actorFilter);
      const g = await refusal(GAP, gapFilter);
      expect(a, JSON.stringify(actorFilter)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter' });
      expect(String(a?.message)).toContain(message);
      expect(g, JSON.stringify(gapFilter)).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter' });
      expect(String(g?.message)).toContain(message);
    }
  });

  it('should name an unknown field and the fields the filter has, never take a name of Object.prototype for one', async () => {
    expect(await refusal(ACTOR, { commune: '55545' })).toMatchObject({
      message: expect.stringContaining('champ inconnu « commune » (champs possibles : coversCommune, territory'),
      field: 'filter',
    });
    for (const name of ['toString', '__proto__', 'constructor']) {
      expect((await refusal(GAP, JSON.parse(`{"${name}": "REGION"}`)))?.message).toContain(`champ inconnu « ${name} »`);
    }
  });

  it('should check nested inputs with their validators, as the GraphQL argument does', async () => {
    expect(await refusal(ACTOR, { near: { lon: 500, lat: 49, radiusKm: 5 } })).toMatchObject({
      message: expect.stringContaining('« near.lon » : la longitude est comprise entre -180 et 180'),
      code: 'BAD_USER_INPUT',
    });
    expect((await refusal(GAP, { minActors: 0 }))?.message).toContain('« minActors » : le seuil minActors est d’au moins 1');
    expect((await refusal(ACTOR, { demo: 'oui' }))?.message).toBe('Filtre invalide : « demo » doit être true ou false');
  });

  it('should read an absent or null filter as the empty one, and a valid one into its classes', async () => {
    expect(await parseFilterParam(schema, GAP, undefined)).toBeInstanceOf(GapFilterInput);
    expect(await parseFilterParam(schema, ACTOR, 'null')).toBeInstanceOf(ActorFilter);
    const f = await parseFilterParam(schema, ACTOR, JSON.stringify({ near: { lon: 5.38, lat: 49.16, radiusKm: 10 }, kinds: ['CPTS'] }));
    expect(f.near).toBeInstanceOf(NearInput);
    expect(f.kinds).toEqual(['CPTS']);
  });
});
