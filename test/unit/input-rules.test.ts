import 'reflect-metadata';
import { validate } from 'class-validator';
import { describe, expect, it } from 'vitest';
import { ChangePasswordArgs, SignUpInput } from '../../server/auth/auth.types.js';
import { CreateActorInput, NearInput, UpdateActorInput } from '../../server/actors/actor.inputs.js';
import { CreatePartnershipInput, UpdateCoalitionInput } from '../../server/coalitions/coalition.inputs.js';

/** The messages class-validator gives for `values` set on a fresh `Input` (type-graphql runs the same checks with `validate: true`). */
async function messages(Input: new () => object, values: Record<string, unknown>): Promise<string[]> {
  const errors = await validate(Object.assign(new Input(), values));
  return errors.flatMap((e) => Object.values(e.constraints ?? {}));
}

// The rules declared once in server/graphql/fields.ts and beside the inputs (decorators applied
// together): each must still refuse what it refused when it was written out field by field.
describe('input rules shared by several inputs', () => {
  it('should refuse an empty or over-long name for an actor and for a coalition, and accept null for an optional field', async () => {
    for (const Input of [UpdateActorInput, UpdateCoalitionInput]) {
      expect(await messages(Input, { name: '' })).toEqual(['le nom doit compter de 1 à 300 caractères']);
      expect(await messages(Input, { name: 'x'.repeat(301) })).toEqual(['le nom doit compter de 1 à 300 caractères']);
      expect(await messages(Input, { name: 'Réseau', description: null })).toEqual([]);
      expect(await messages(Input, { description: 'x'.repeat(5001) })).toEqual(['la description dépasse 5 000 caractères']);
    }
  });

  it('should refuse a day not written AAAA-MM-JJ in a coalition and in a partnership, and accept none', async () => {
    expect(await messages(UpdateCoalitionInput, { startDate: '03/12/2026' })).toEqual(['date au format AAAA-MM-JJ']);
    expect(await messages(UpdateCoalitionInput, { endDate: '2026-12-3' })).toEqual(['date au format AAAA-MM-JJ']);
    const partnership = { actorId: 'a', partnerActorId: 'b', kind: 'CONVENTION' } as const;
    expect(await messages(CreatePartnershipInput, { ...partnership, startDate: 'demain' })).toEqual(['date au format AAAA-MM-JJ']);
    expect(await messages(CreatePartnershipInput, { ...partnership, startDate: null, endDate: '2027-01-31' })).toEqual([]);
  });

  it('should refuse a longitude or latitude out of range for an actor’s place and for a search point', async () => {
    expect(await messages(CreateActorInput, { lon: 180.5 })).toEqual(['la longitude est comprise entre -180 et 180']);
    expect(await messages(CreateActorInput, { lat: -90.5 })).toEqual(['la latitude est comprise entre -90 et 90']);
    expect(await messages(NearInput, { lon: -181, lat: 91, radiusKm: 1 })).toEqual([
      'la longitude est comprise entre -180 et 180',
      'la latitude est comprise entre -90 et 90',
    ]);
    expect(await messages(NearInput, { lon: 5.38, lat: 49.16, radiusKm: 1 })).toEqual([]);
  });

  it('should refuse a new password under 10 characters at sign-up and at a change', async () => {
    const short = 'court';
    expect(await messages(SignUpInput, { email: 'a@example.org', displayName: 'A', password: short })).toEqual([
      'le mot de passe doit compter de 10 à 200 caractères',
    ]);
    expect(await messages(ChangePasswordArgs, { currentPassword: 'x', newPassword: short })).toEqual(['le mot de passe doit compter de 10 à 200 caractères']);
  });
});
