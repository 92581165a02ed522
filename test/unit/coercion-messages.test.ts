import 'reflect-metadata';
import { graphql } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createSchema } from '../../server/graphql/schema.js';
import { formatError, frenchCoercionMessage } from '../../server/graphql/format-error.js';

/** graphql-js's own refusal of `variables` for `source` (before any resolver, so no database), as the app formats it. */
async function refusal(source: string, variableValues: Record<string, unknown>): Promise<{ raw: string; shown: string }> {
  const res = await graphql({ schema: await createSchema(), source, variableValues });
  expect(res.errors?.length, JSON.stringify(res)).toBe(1);
  const error = res.errors![0];
  return { raw: error.message, shown: formatError(error.toJSON(), error).message };
}

describe('graphql-js refusals of a variable, said in French', () => {
  const COALITIONS = 'query ($filter: CoalitionFilter) { coalitions(filter: $filter) { totalCount } }';
  const ACTORS = 'query ($filter: ActorFilter, $first: Int) { actors(filter: $filter, first: $first) { totalCount } }';

  it.each([
    ['an unknown enum value', COALITIONS, { filter: { kinds: ['QQ'] } }, 'Valeur invalide pour filter.kinds[0] : la valeur « QQ » n’existe pas.'],
    ['text for a number', ACTORS, { first: 'abc' }, 'Valeur invalide pour $first : un nombre entier est attendu.'],
    ['a field the input does not have', ACTORS, { filter: { nope: 1 } }, 'Valeur invalide pour $filter : le champ nope n’existe pas.'],
    ['a number for a text', ACTORS, { filter: { text: 12 } }, 'Valeur invalide pour filter.text : un texte est attendu.'],
    ['a missing required field', ACTORS, { filter: { near: { lon: 1, lat: 2 } } }, 'Valeur invalide pour filter.near : le champ radiusKm est obligatoire.'],
    ['a required variable left out', 'query ($id: ID!) { actor(id: $id) { id } }', {}, 'Valeur manquante pour $id.'],
  ])('says %s in French, where it was', async (_name, source, variables, french) => {
    const { raw, shown } = await refusal(source, variables);
    expect(raw).toMatch(/^Variable "\$/);
    expect(shown).toBe(french);
  });

  it('leaves every other message as it is', () => {
    expect(frenchCoercionMessage('Cet acteur a été modifié par quelqu’un d’autre')).toBeNull();
    expect(frenchCoercionMessage('Cannot query field "x" on type "Query".')).toBeNull();
  });
});
