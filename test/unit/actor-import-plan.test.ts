import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { type AuthUser, UserRole } from '../../server/auth/auth.types.js';
import { ActorKind, ReviewStatus, Sector } from '../../server/actors/actor-enums.js';
import { differs, type ImportContext, type Match, planImport, rejectRepeatedRows } from '../../server/actors/actor-import-plan.js';
import type { BuiltRow } from '../../server/actors/actor-import-rows.js';
import { prepareRecord } from '../../server/actors/actor-record.js';
import { CreateActorInput } from '../../server/actors/actor.inputs.js';
import type { StoredRecord } from '../../server/actors/actor.repository.js';
import { buildTaxonomy } from '../../server/themes/theme.service.js';
import { TerritoryLevel } from '../../server/territories/territory-level.js';

// The import's decisions without a database: vocabularies, stored actors and matches are given.
const vocabularies = {
  taxonomy: buildTaxonomy(
    [{ code: 'vaccination', label: 'Vaccination', parent_code: null, position: 1, data_inclusion_codes: [] }],
    [{ code: 'jeunes', label: 'Jeunes', data_inclusion_codes: [], aliases: [] }],
  ),
  known: new Set(['COMMUNE:55545', 'COMMUNE:55029', 'DEPARTEMENT:55', 'REGION:44', 'REGION:11']),
};

const STORED_ID = '00000000-0000-4000-8000-000000000001';
const OTHER_ID = '00000000-0000-4000-8000-000000000002';

const input = (fields: Partial<CreateActorInput>) =>
  Object.assign(new CreateActorInput(), {
    name: 'Association Verdun',
    kind: ActorKind.ASSOCIATION,
    sector: Sector.SOCIAL,
    themes: ['vaccination'],
    communeCode: '55545',
    ...fields,
  });

const row = (n: number, fields: Partial<CreateActorInput> = {}, id: string | null = null): BuiltRow => ({ row: n, input: input(fields), id, problems: [] });

/** The stored actor as an import of `fields` would have written it. */
function stored(id: string, fields: Partial<CreateActorInput> = {}, reach = { regions: ['44'], departements: ['55'], broad: [] as string[] }) {
  const { record } = prepareRecord(input(fields), undefined, vocabularies);
  const base: StoredRecord = { ...record!, id, version: 1, status: 'ACTIVE', reviewStatus: ReviewStatus.VALIDATED };
  return { base, reach };
}

function context(matches: [number, Match][], actors: ReturnType<typeof stored>[]): ImportContext {
  return {
    matches: new Map(matches),
    bases: new Map(actors.map((a) => [a.base.id, a.base])),
    reach: new Map(actors.map((a) => [a.base.id, a.reach])),
    labelPoints: new Map([
      ['55545', [5.38, 49.16]],
      ['55029', [5.16, 48.77]],
    ]),
    vocabularies,
  };
}

const user = (role: UserRole, fields: Partial<AuthUser> = {}): AuthUser => ({
  id: 'u',
  email: 'u@example.org',
  displayName: 'U',
  role,
  regionCode: null,
  actorIds: [],
  memberships: [],
  sessionId: 's',
  ...fields,
});

describe('import planning', () => {
  it('should create a row that designates no stored actor, with the default source', () => {
    const rows = [row(2)];
    const plan = planImport(rows, context([], []), { author: null, placeInFile: false, defaultSource: 'fichier.csv' });
    expect(plan.create.map((r) => [r.name, r.source, r.territories])).toEqual([
      ['Association Verdun', 'fichier.csv', [{ level: TerritoryLevel.COMMUNE, code: '55545' }]],
    ]);
    expect(plan.update).toEqual([]);
  });

  it('should update a matched actor only when a field differs, and resolve its coverage only when its place or territory does', () => {
    const actor = stored(STORED_ID);
    const same = planImport([row(2)], context([[2, { id: STORED_ID, prio: 6 }]], [actor]), { author: null, placeInFile: false });
    expect([same.create.length, same.update.length, same.unchanged]).toEqual([0, 0, 1]);

    const renamed = planImport([row(2, { email: 'contact@asso.fr' })], context([[2, { id: STORED_ID, prio: 6 }]], [actor]), {
      author: null,
      placeInFile: false,
    });
    expect(renamed.update.map((r) => [r.id, r.email])).toEqual([[STORED_ID, 'contact@asso.fr']]);
    expect(renamed.coverageIds).toEqual([]);

    const moved = planImport([row(2, { communeCode: '55029' })], context([[2, { id: STORED_ID, prio: 2 }]], [actor]), { author: null, placeInFile: false });
    expect(moved.coverageIds).toEqual([STORED_ID]);
  });

  it('should not let a row change an actor its author could not change one by one', () => {
    const actor = stored(STORED_ID, {}, { regions: ['44', '11'], departements: ['55', '75'], broad: [] });
    const rows = [row(2, { email: 'x@y.fr', siret: '12345678901234' })];
    const analyst = user(UserRole.ANALYST, { regionCode: '44' });
    const plan = planImport(rows, context([[2, { id: STORED_ID, prio: 2 }]], [actor]), { author: analyst, placeInFile: false });
    expect(plan.update).toEqual([]);
    expect(rows[0].problems).toEqual([{ row: 2, field: 'siret', reason: expect.stringContaining('que votre compte ne peut pas modifier') }]);

    const representative = user(UserRole.MEMBER, { actorIds: [STORED_ID] });
    expect(
      planImport([row(2, { email: 'x@y.fr' })], context([[2, { id: STORED_ID, prio: 1 }]], [actor]), { author: representative, placeInFile: false }).update,
    ).toHaveLength(1);
  });

  it('should not let two rows change the same stored actor', () => {
    const rows = [row(2, { email: 'a@b.fr' }), row(3, { name: 'Autre nom', email: 'c@d.fr' })];
    const plan = planImport(
      rows,
      context(
        [
          [2, { id: STORED_ID, prio: 2 }],
          [3, { id: STORED_ID, prio: 2 }],
        ],
        [stored(STORED_ID)],
      ),
      { author: null, placeInFile: false },
    );
    expect(plan.update.map((r) => r.id)).toEqual([STORED_ID]);
    expect(rows[1].problems).toEqual([{ row: 3, field: 'ligne', reason: expect.stringContaining('même acteur enregistré que la ligne 2') }]);
  });

  it('should reject a row whose values fail the checks of every write, naming the file column', () => {
    const rows = [row(2, { themes: ['inconnu'] })];
    const plan = planImport(rows, context([], []), { author: null, placeInFile: false });
    expect(plan.create).toEqual([]);
    expect(rows[0].problems).toEqual([{ row: 2, field: 'thematiques', reason: 'thème(s) inconnu(s) : inconnu' }]);
  });

  it('should move the place with a new commune when the file gives no coordinates', () => {
    const actor = stored(STORED_ID, { lon: 5.4, lat: 49.2 });
    const plan = planImport([row(2, { communeCode: '55029' })], context([[2, { id: STORED_ID, prio: 1 }]], [actor]), { author: null, placeInFile: false });
    expect(plan.update.map((r) => [r.lon, r.lat])).toEqual([[null, null]]);
    const kept = planImport([row(2, { communeCode: '55029' })], context([[2, { id: STORED_ID, prio: 1 }]], [actor]), { author: null, placeInFile: true });
    expect(kept.update.map((r) => [r.lon, r.lat])).toEqual([[5.4, 49.2]]);
  });

  it('should reject the later of two rows of the file for the same actor', () => {
    const rows = [
      row(2, { siret: '12345678901234' }),
      row(3, { name: 'Autre', siret: '12345678901234' }),
      row(4, { name: 'Autre encore' }, OTHER_ID),
      row(5, { name: 'Encore' }, OTHER_ID),
    ];
    rejectRepeatedRows(rows);
    expect(rows.map((r) => r.problems.map((p) => p.reason))).toEqual([
      [],
      ['même acteur que la ligne 2 (même SIRET 12345678901234)'],
      [],
      ['même acteur que la ligne 4 (même identifiant)'],
    ]);
  });

  it('should see no difference in a place given as its commune’s label point', () => {
    const { base } = stored(STORED_ID);
    const { record } = prepareRecord(input({ lon: 5.38, lat: 49.16 }), undefined, vocabularies);
    expect(differs(base, record!, context([], []).labelPoints)).toEqual({ any: false, coverage: false });
  });
});
