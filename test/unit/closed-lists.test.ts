import 'reflect-metadata';
import { GraphQLEnumType } from 'graphql';
import { describe, expect, it } from 'vitest';
import catalogue from '../../server/graphql/closed-lists.fr.json' with { type: 'json' };
import { createSchema } from '../../server/graphql/schema.js';
import { enumLabels } from '../../server/graphql/enums.js';
import { ActorKind } from '../../server/actors/actor-enums.js';
import { ProposalStatus } from '../../server/actors/change-proposal.js';
import { ClaimStatus } from '../../server/claims/claim.entity.js';
import { CoalitionKind } from '../../server/coalitions/coalition-enums.js';
import { CoverageMapClass, PresenceClass } from '../../server/gaps/gap.inputs.js';

/** The French wording of the API's closed lists lives in server/graphql/closed-lists.fr.json. */
describe('closed-lists.fr.json', () => {
  it('should describe only enums of the schema, each with exactly its values', async () => {
    const schema = await createSchema();
    for (const [name, entry] of Object.entries(catalogue)) {
      const type = schema.getType(name);
      expect(type, `${name} : absent du schéma`).toBeInstanceOf(GraphQLEnumType);
      expect((type as GraphQLEnumType).getValues().map((v) => v.name)).toEqual(Object.keys(entry.values));
      expect(type?.description).toBe(entry.description);
    }
  });

  it('should give every value a label and a description that are not blank', () => {
    for (const [name, entry] of Object.entries(catalogue))
      for (const [value, text] of Object.entries(entry.values as Record<string, string | { label: string; description: string }>)) {
        const { label, description } = typeof text === 'string' ? { label: text, description: text } : text;
        expect(label.trim(), `${name}.${value}`).not.toBe('');
        expect(description.trim(), `${name}.${value}`).not.toBe('');
      }
  });

  // A value that stands for the same thing in two lists reads the same in both.
  it('should label alike the values two lists share', () => {
    expect(pick(enumLabels(CoverageMapClass), ['NONE', 'WIDE_ONLY'])).toEqual(pick(enumLabels(PresenceClass), ['NONE', 'WIDE_ONLY']));
    expect(pick(enumLabels(CoalitionKind), ['CLSM', 'ASV'])).toEqual(pick(enumLabels(ActorKind), ['CLSM', 'ASV']));
    const decided = ['PENDING', 'ACCEPTED', 'REJECTED'];
    expect(pick(enumLabels(ClaimStatus), decided)).toEqual(pick(enumLabels(ProposalStatus), decided));
  });
});

const pick = (labels: Readonly<Record<string, string>>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, labels[k]]));
