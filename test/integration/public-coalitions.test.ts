import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedPublicCoalitions } from '../../seeds/coalitions.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const SOURCE = 'test:public-coalitions.test.ts';
let server: TestServer;
let dir: string;

beforeAll(async () => {
  server = await startTestServer();
  for (const [name, kind, sector] of [
    ['Test Agence régionale de santé Grand Est', 'ARS', 'ETAT'],
    ['Test Réseau de l’adolescent en Meuse', 'ASSOCIATION', 'SANTE'],
  ]) {
    const res = await server.admin.gql(`mutation ($input: CreateActorInput!) { createActor(input: $input) { id } }`, {
      input: { name, kind, sector, themes: ['parentalite'], territories: [{ level: 'DEPARTEMENT', code: '55' }], source: SOURCE },
    });
    expect(res.errors).toBeUndefined();
  }
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coalitions-'));
  fs.writeFileSync(
    path.join(dir, 'acteurs.csv'),
    'id;nom;type\nars-ge;Test Agence régionale de santé Grand Est;ARS\nreseau;Test Réseau de l’adolescent en Meuse;association\nabsent;Acteur jamais chargé;association\n',
  );
  fs.writeFileSync(
    path.join(dir, 'coalitions.csv'),
    'id;nom;type;territoire_niveau;territoire_code;thematiques;debut;fin;membres;source\n' +
      'test-parentalite;Test Soutien à la parentalité en Meuse;coalition thématique;departement;55;parentalite;2018-10-16;;ars-ge:pilote|reseau:partenaire;X\n' +
      'test-convention;Test Convention terminée;convention de partenariat;region;44;violences-faites-aux-femmes;2018-11-22;2022-12-31;ars-ge:signataire;X\n' +
      'test-incomplete;Test Coalition incomplète;coalition thématique;region;44;addictions;;;ars-ge:pilote|absent:membre;X\n',
  );
});

afterAll(async () => {
  fs.rmSync(dir, { recursive: true, force: true });
  await server?.close();
});

describe('coalitions named in public documents', () => {
  it('loads them with their members and roles, once, and skips those whose actors are missing', async () => {
    const lines: string[] = [];
    const first = await seedPublicCoalitions(server.ds, (l) => lines.push(l), dir);
    expect(first.created).toBe(2);
    expect(first.skipped).toEqual(['test-incomplete (acteurs absents : absent)']);
    const again = await seedPublicCoalitions(server.ds, () => {}, dir);
    expect(again.created).toBe(0);

    const list = await server.gql(`{ coalitions(filter: { territory: { level: COMMUNE, code: "55545" } }, first: 50) { edges { node {
      name kind startDate endDate ended membersByRole { role members { actor { name } } } } } } }`);
    const byName = Object.fromEntries(list.data.coalitions.edges.map((e: any) => [e.node.name, e.node]));
    expect(byName['Test Soutien à la parentalité en Meuse']).toMatchObject({ kind: 'THEMATIQUE', startDate: '2018-10-16', endDate: null, ended: false });
    expect(byName['Test Soutien à la parentalité en Meuse'].membersByRole.map((g: any) => [g.role, g.members[0].actor.name])).toEqual([
      ['PILOTE', 'Test Agence régionale de santé Grand Est'],
      ['PARTENAIRE', 'Test Réseau de l’adolescent en Meuse'],
    ]);
    // The 2018–2022 convention has ended: listed only on request.
    expect(byName['Test Convention terminée']).toBeUndefined();
    const ended = await server.gql(`{ coalitions(filter: { kinds: [CONVENTION], includeEnded: true }, first: 200) { edges { node { name ended } } } }`);
    expect(ended.data.coalitions.edges.map((e: any) => e.node)).toContainEqual({ name: 'Test Convention terminée', ended: true });
  });
});
