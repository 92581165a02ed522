import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_PENDING_PER_ACTOR, VISITOR_PROPOSALS } from '../../server/actors/change-proposal.service.js';
import { clientFrom } from '../helpers/address-client.js';
import { regionalAnalysts, type SignedIn, TEST_PASSWORD } from '../helpers/factories.js';
import { countsBeforeAndAfterRebuild } from '../helpers/gap-drift.js';
import { type CookieClient, errorCodes, type GraphQLResponse, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * « Proposer une modification » attacked as a hostile visitor would: a proposal never writes the
 * actor, carries only the allowed fields, is decided only by an ARS analyst of a région the actor
 * covers or an administrator (whatever the path: a literal, variables, the list, the nested field),
 * is throttled by address, and a refused one leaves everything as it was. Visitors connect from
 * their own loopback addresses (127.0.4.x, see address-client.ts).
 */
const SOURCE = 'test:actor-change-proposals.test.ts';
const DOMAIN = '@test-change-proposals.local';
const NET = '127.0.4.';
const MEUSE_ASSO = {
  kind: 'ASSOCIATION',
  sector: 'SOCIAL',
  themes: ['sante-mentale'],
  communeCode: '55545',
  territories: [{ level: 'COMMUNE', code: '55545' }],
  phone: '03 29 00 00 01',
  source: SOURCE,
};

const PROPOSE = `mutation ($actorId: ID!, $changes: ActorChangeInput!, $message: String, $contactEmail: String) {
  proposeActorChange(actorId: $actorId, changes: $changes, message: $message, contactEmail: $contactEmail) { id status changes { field label current proposed } }
}`;
const ACCEPT = `mutation ($id: ID!, $version: Int, $reason: String) {
  acceptActorChangeProposal(id: $id, version: $version, reason: $reason) { status decisionReason actor { id version phone openingHours reviewStatus } }
}`;
const REJECT = `mutation ($id: ID!, $reason: String!) { rejectActorChangeProposal(id: $id, reason: $reason) { status actor { version phone } } }`;
const LIST = `query ($region: String) { actorChangeProposals(region: $region, first: 100) { totalCount edges { node { id contactEmail message actor { id } } } } }`;
const NESTED = `query ($id: ID!) { actor(id: $id) { version phone changeProposals { id contactEmail message } } }`;
const ACTOR = `query ($id: ID!) { actor(id: $id) { version phone email openingHours reviewStatus territories { code } coveredCommunes(first: 0) { totalCount } } }`;

let server: TestServer;
let analyst44: SignedIn;
let analyst11: SignedIn;
let member: SignedIn;
let n = 0;
/** A visitor from an address of its own, with a budget of its own. */
const visitor = (): CookieClient => clientFrom(server.url, `${NET}${++n}`);

const cleanUp = async () => {
  await server.ds.query(`DELETE FROM auth_throttle WHERE address LIKE $1 OR address LIKE 'compte:%'`, [`${NET}%`]);
  await server.ds.query(`DELETE FROM actor WHERE source = $1`, [SOURCE]);
};

beforeAll(async () => {
  server = await startTestServer();
  await cleanUp();
  ({ analyst44, analyst11 } = await regionalAnalysts(server, DOMAIN));
  member = await server.signedIn({ email: `membre${DOMAIN}`, password: TEST_PASSWORD, displayName: 'Membre' });
});

afterAll(async () => {
  await cleanUp();
  await server?.close();
});

async function newActor(name: string) {
  return server.createActor({ ...MEUSE_ASSO, name });
}

async function propose(by: CookieClient, variables: Record<string, unknown>): Promise<string> {
  const res = await by.gql(PROPOSE, variables);
  expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
  return res.data.proposeActorChange.id;
}

const stored = async (actorId: string) =>
  (await server.ds.query(`SELECT count(*)::int AS n FROM actor_change_proposal WHERE actor_id = $1`, [actorId]))[0].n as number;

describe('proposing a change', () => {
  it('should store a visitor’s proposal without touching the actor, and show it to the région’s analyst only', async () => {
    const actor = await newActor('Proposition simple');
    const before = (await server.gql(ACTOR, { id: actor.id })).data.actor;
    const res = await visitor().gql(PROPOSE, {
      actorId: actor.id,
      changes: { phone: '03 29 86 00 00', openingHours: 'Mo-Fr 9-12' },
      message: 'Le numéro a changé',
      contactEmail: 'habitant@example.org',
    });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.proposeActorChange.status).toBe('PENDING');
    expect(res.data.proposeActorChange.changes).toEqual([
      { field: 'phone', label: 'Téléphone', current: '03 29 00 00 01', proposed: '03 29 86 00 00' },
      { field: 'openingHours', label: 'Horaires d’ouverture', current: null, proposed: 'Mo-Fr 9-12' },
    ]);
    expect((await server.gql(ACTOR, { id: actor.id })).data.actor).toEqual(before);

    const list = (await analyst44.gql(LIST, {})).data.actorChangeProposals;
    expect(list.edges.map((e: { node: { id: string } }) => e.node.id)).toContain(res.data.proposeActorChange.id);
    const mine = list.edges.find((e: { node: { id: string } }) => e.node.id === res.data.proposeActorChange.id).node;
    expect(mine).toMatchObject({ contactEmail: 'habitant@example.org', message: 'Le numéro a changé' });
    expect((await analyst44.gql(NESTED, { id: actor.id })).data.actor.changeProposals).toHaveLength(1);
    // Nobody else reads it, nor the visitor’s e-mail: not the other région’s analyst, a member or a visitor.
    expect((await analyst11.gql(LIST, {})).data.actorChangeProposals.edges.map((e: { node: { actor: { id: string } } }) => e.node.actor.id)).not.toContain(
      actor.id,
    );
    for (const other of [analyst11, member, server]) expect((await other.gql(NESTED, { id: actor.id })).data.actor.changeProposals).toBeNull();
    expect(errorCodes(await analyst11.gql(LIST, { region: '44' }))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await member.gql(LIST, {}))).toEqual(['FORBIDDEN']);
    expect(errorCodes(await server.gql(LIST, {}))).toEqual(['UNAUTHENTICATED']);
  });

  it('should not accept fields outside the allowed list (status, review status, demonstration, ids, name), as literals or variables', async () => {
    const actor = await newActor('Proposition hors liste');
    for (const field of [
      { status: 'ARCHIVED' },
      { reviewStatus: 'VALIDATED' },
      { isDemo: true },
      { id: actor.id },
      { name: 'Autre nom' },
      { kind: 'ARS' },
      { siret: '12345678901234' },
      { radiusKm: 300 },
    ]) {
      const res = await visitor().gql(PROPOSE, { actorId: actor.id, changes: { phone: '03 29 86 00 01', ...field } });
      expect(errorCodes(res), JSON.stringify(field)).toEqual(['BAD_USER_INPUT']);
    }
    const literal = await visitor().gql(`mutation { proposeActorChange(actorId: "${actor.id}", changes: { reviewStatus: VALIDATED }) { id } }`);
    expect(errorCodes(literal)[0]).toMatch(/GRAPHQL_VALIDATION_FAILED|BAD_USER_INPUT/);
    expect(await stored(actor.id)).toBe(0);
  });

  it('should refuse bad input with a per-field BAD_USER_INPUT in French and store nothing', async () => {
    const actor = await newActor('Proposition invalide');
    const cases: [Record<string, unknown>, string][] = [
      [{ changes: { openingHours: 'tous les jours' } }, 'openingHours'],
      [{ changes: { email: 'pas un courriel' } }, 'email'],
      [{ changes: { website: 'javascript:alert(1)' } }, 'website'],
      [{ changes: { territories: [{ level: 'DEPARTEMENT', code: '999' }] } }, 'territories'],
      [{ changes: { audiences: ['inconnu'] } }, 'audiences'],
      [{ changes: {} }, 'changes'],
      [{ changes: { phone: MEUSE_ASSO.phone } }, 'changes'],
      [{ changes: { phone: '03 29 86 00 02' }, contactEmail: 'pas-un-courriel' }, 'contactEmail'],
      [{ changes: { phone: '03 29 86 00 02' }, message: 'x'.repeat(2001) }, 'message'],
    ];
    for (const [variables, field] of cases) {
      const res = await visitor().gql(PROPOSE, { actorId: actor.id, ...variables });
      expect(errorCodes(res), JSON.stringify(variables)).toEqual(['BAD_USER_INPUT']);
      const ext = res.errors![0].extensions as { field?: string; fields?: { field: string }[] };
      expect(ext.field ?? ext.fields?.[0]?.field, JSON.stringify(variables)).toBe(field);
      expect(res.errors![0].message).not.toMatch(/must|should|Error:/);
    }
    expect(errorCodes(await visitor().gql(PROPOSE, { actorId: '00000000-0000-4000-8000-000000000000', changes: { phone: '03 29 86 00 02' } }))).toEqual([
      'NOT_FOUND',
    ]);
    expect(await stored(actor.id)).toBe(0);
  });
});

describe('deciding a proposal', () => {
  it('should not let an analyst of another région, a member or a visitor accept or reject it, with literals or variables', async () => {
    const actor = await newActor('Proposition disputée');
    const id = await propose(visitor(), { actorId: actor.id, changes: { phone: '03 29 86 00 03' } });
    for (const [by, code] of [
      [analyst11, 'FORBIDDEN'],
      [member, 'FORBIDDEN'],
      [server, 'UNAUTHENTICATED'],
    ] as const) {
      expect(errorCodes(await by.gql(ACCEPT, { id })), code).toEqual([code]);
      expect(errorCodes(await by.gql(REJECT, { id, reason: 'non' })), code).toEqual([code]);
      expect(errorCodes(await by.gql(`mutation { acceptActorChangeProposal(id: "${id}") { status } }`)), code).toEqual([code]);
    }
    // Nor through a list of mutations in one request.
    const batch = await analyst11.gql(
      `mutation ($id: ID!) { a: acceptActorChangeProposal(id: $id) { status } b: acceptActorChangeProposal(id: $id) { status } }`,
      { id },
    );
    // (The first refusal ends a mutation operation: its fields are not nullable.)
    expect(new Set(errorCodes(batch))).toEqual(new Set(['FORBIDDEN']));
    expect((await server.gql(ACTOR, { id: actor.id })).data.actor).toMatchObject({ version: actor.version, phone: MEUSE_ASSO.phone });
    const [row] = await server.ds.query(`SELECT status FROM actor_change_proposal WHERE id = $1`, [id]);
    expect(row.status).toBe('PENDING');
  });

  it('should apply an accepted proposal through the updateActor write: new version, coverage and gap aggregates right', async () => {
    const actor = await newActor('Proposition acceptée');
    const id = await propose(visitor(), {
      actorId: actor.id,
      changes: { phone: '03 29 86 00 04', openingHours: 'Tu-Th 14:00-18:00', territories: [{ level: 'DEPARTEMENT', code: '55' }] },
    });
    expect((await server.gql(ACTOR, { id: actor.id })).data.actor.coveredCommunes.totalCount).toBe(1);
    // CONFLICT when the actor changed since the moderator read it.
    expect(errorCodes(await analyst44.gql(ACCEPT, { id, version: actor.version - 1 }))).toEqual(['CONFLICT']);
    const res = await analyst44.gql(ACCEPT, { id, version: actor.version, reason: 'Vérifié au téléphone' });
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.acceptActorChangeProposal).toMatchObject({
      status: 'ACCEPTED',
      decisionReason: 'Vérifié au téléphone',
      actor: { version: actor.version + 1, phone: '03 29 86 00 04', openingHours: 'Tu-Th 14:00-18:00' },
    });
    const after = (await server.gql(ACTOR, { id: actor.id })).data.actor;
    expect(after.territories).toEqual([{ code: '55' }]);
    expect(after.coveredCommunes.totalCount).toBeGreaterThan(400);
    const { maintained, rebuilt } = await countsBeforeAndAfterRebuild(server.ds);
    expect(maintained).toBe(rebuilt);
    // Decided once: the second decision is a CONFLICT and changes nothing.
    expect(errorCodes(await analyst44.gql(REJECT, { id, reason: 'trop tard' }))).toEqual(['CONFLICT']);
    expect(errorCodes(await server.admin.gql(ACCEPT, { id }))).toEqual(['CONFLICT']);
  });

  it('should check a proposal again when accepted: one no longer valid is refused and stays pending', async () => {
    const actor = await newActor('Proposition revérifiée');
    const id = await propose(visitor(), { actorId: actor.id, changes: { email: 'contact@example.org' } });
    // As if the stored proposal had been tampered with, or the rules had changed since.
    await server.ds.query(`UPDATE actor_change_proposal SET changes = '{"email": "pas un courriel", "status": "ARCHIVED"}' WHERE id = $1`, [id]);
    const res = await analyst44.gql(ACCEPT, { id });
    expect(errorCodes(res)).toEqual(['BAD_USER_INPUT']);
    expect(res.errors![0].extensions).toMatchObject({ field: 'email' });
    await server.ds.query(`UPDATE actor_change_proposal SET changes = '{"openingHours": "tous les jours"}' WHERE id = $1`, [id]);
    expect((await analyst44.gql(ACCEPT, { id })).errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'openingHours' });
    expect((await server.gql(ACTOR, { id: actor.id })).data.actor).toMatchObject({ version: actor.version, email: null, openingHours: null });
    const [row] = await server.ds.query(`SELECT status FROM actor_change_proposal WHERE id = $1`, [id]);
    expect(row.status).toBe('PENDING');
  });

  it('should keep the actor as it was when a proposal is rejected, a reason being required', async () => {
    const actor = await newActor('Proposition refusée');
    const id = await propose(member, { actorId: actor.id, changes: { phone: '03 29 86 00 05' } });
    expect(errorCodes(await analyst44.gql(REJECT, { id, reason: '  ' }))).toEqual(['BAD_USER_INPUT']);
    const res = await server.admin.gql(REJECT, { id, reason: 'Numéro non vérifiable' });
    expect(res.data.rejectActorChangeProposal).toEqual({ status: 'REJECTED', actor: { version: actor.version, phone: MEUSE_ASSO.phone } });
    expect((await analyst44.gql(NESTED, { id: actor.id })).data.actor.changeProposals).toEqual([]);
  });
});

describe('flooding', () => {
  it('should store no more than the budget when a visitor sends many proposals at once, and not hold back another address', async () => {
    const actor = await newActor('Proposition en rafale');
    const attacker = visitor();
    const answers: GraphQLResponse[] = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attacker.gql(PROPOSE, { actorId: actor.id, changes: { phone: `03 29 86 01 ${String(i).padStart(2, '0')}` } })),
    );
    const codes = answers.map((a) => errorCodes(a)[0] ?? 'OK');
    expect(codes.filter((c) => c === 'OK')).toHaveLength(VISITOR_PROPOSALS.free);
    expect(codes.filter((c) => c === 'TOO_MANY_ATTEMPTS')).toHaveLength(20 - VISITOR_PROPOSALS.free);
    expect(answers.find((a) => errorCodes(a)[0] === 'TOO_MANY_ATTEMPTS')!.errors![0].message).toMatch(/réessayez dans/);
    expect(await stored(actor.id)).toBe(VISITOR_PROPOSALS.free);
    // Bad proposals count too: a flood of invalid ones is as limited.
    const prober = visitor();
    for (let i = 0; i < VISITOR_PROPOSALS.free; i++) await prober.gql(PROPOSE, { actorId: actor.id, changes: { openingHours: 'n’importe quoi' } });
    expect(errorCodes(await prober.gql(PROPOSE, { actorId: actor.id, changes: { phone: '03 29 86 02 00' } }))).toEqual(['TOO_MANY_ATTEMPTS']);
    await propose(visitor(), { actorId: actor.id, changes: { phone: '03 29 86 02 01' } });
  });

  it(`should cap the pending proposals of one actor at ${MAX_PENDING_PER_ACTOR}`, async () => {
    const actor = await newActor('Proposition plafonnée');
    for (let i = 0; i < MAX_PENDING_PER_ACTOR; i++)
      await propose(member, { actorId: actor.id, changes: { phone: `03 29 86 03 ${String(i).padStart(2, '0')}` } });
    const over = await member.gql(PROPOSE, { actorId: actor.id, changes: { phone: '03 29 86 04 00' } });
    expect(errorCodes(over)).toEqual(['TOO_MANY_ATTEMPTS']);
    expect(await stored(actor.id)).toBe(MAX_PENDING_PER_ACTOR);
  });
});
