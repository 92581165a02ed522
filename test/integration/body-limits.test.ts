import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAPHQL_BODY_LIMIT, IMPORT_BODY_LIMIT, IMPORT_OPERATION_HEADER, IMPORT_OPERATION_NAME } from '../../server/http/body-limits.js';
import { type CookieClient, errorCodes, startTestServer, type TestServer } from '../helpers/server.js';

/**
 * GraphQL bodies are read and parsed within 1 MB; only an import of actors declared by its header,
 * from an account allowed to import, gets 12 MB. What is refused is refused before it is parsed
 * (a body that is not even JSON gets 413, not 400) and, when its size is declared, before it is
 * read (the answer comes while most of the body is still unsent).
 */
const SOURCE = 'test:body-limits.test.ts';
const DOMAIN = '@test-body-limits.local';
const AS_IMPORT = { [IMPORT_OPERATION_HEADER]: IMPORT_OPERATION_NAME };
const IMPORT = `mutation ($content: String!) { importActors(content: $content, format: CSV, dryRun: true) { total created rejected dryRun committed } }`;
const HEADER = 'nom;type;secteur;commune;thematiques;source;notes';
const MB = 1024 * 1024;

let server: TestServer;
let analyst: CookieClient;
let member: CookieClient;

beforeAll(async () => {
  server = await startTestServer();
  analyst = await server.signedIn({ email: `analyste${DOMAIN}`, password: randomUUID(), role: 'ANALYST', regionCode: '44' });
  member = await server.signedIn({ email: `membre${DOMAIN}`, password: randomUUID(), role: 'MEMBER' });
});
afterAll(() => server?.close());

/** A CSV of `rows` new actors in Verdun, each with a long ignored column, about `rows` × `notes` bytes. */
function bigCsv(rows: number, notes: number): string {
  const lines = Array.from({ length: rows }, (_, i) => `Corps volumineux ${i};association;social;55545;vaccination;${SOURCE};${'n'.repeat(notes)}`);
  return [HEADER, ...lines].join('\n');
}

const cookieOf = (client: CookieClient) => [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');

/** POSTs a raw body to /graphql with fetch, and reads the answer. */
async function post(body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] } };
}

/**
 * Declares a body of `declared` bytes, sends only its first `sent` bytes and waits for the
 * answer. A server that read the body before answering would never answer: the body never ends.
 */
function answerBeforeTheEnd(declared: number, sent: number, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; body: any }>((resolve, reject) => {
    const req = http.request(
      { host: hostname, port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': declared, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        });
      },
    );
    req.on('error', reject);
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`no answer while ${declared - sent} bytes of the body are unsent: the server waits to read it`));
    }, 20_000);
    req.on('close', () => clearTimeout(timer));
    req.write(`{"query": "{ themes { code } }", "variables": {"x": "${'a'.repeat(sent - 48)}`);
  });
}

function expectTooLarge(res: { status: number; body: any }) {
  expect(res.status).toBe(413);
  expect(res.body.errors).toHaveLength(1);
  expect(res.body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  expect(res.body.errors[0].message).toMatch(/^Requête trop volumineuse : 1 Mo au plus \(12 Mo pour un import d’acteurs/);
}

describe('body limits', () => {
  it('should answer a visitor’s 2 MB body with 413 before reading it', async () => {
    expectTooLarge(await answerBeforeTheEnd(2 * MB, 64 * 1024));
  });

  it('should answer many 2 MB bodies at once, each before reading it', async () => {
    const answers = await Promise.all(Array.from({ length: 10 }, () => answerBeforeTheEnd(2 * MB, 16 * 1024)));
    for (const a of answers) expectTooLarge(a);
  });

  it('should not parse a visitor’s 2 MB body: not even JSON, it still gets 413, not 400', async () => {
    expectTooLarge(await post(`{"query": ${'['.repeat(2 * MB)}`));
  });

  it('should not parse a 2 MB body of unknown size either (chunked, no Content-Length)', async () => {
    const { hostname, port } = new URL(server.url);
    const res = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(
        { host: hostname, port, path: '/graphql', method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } },
        (r) => {
          let text = '';
          r.setEncoding('utf8');
          r.on('data', (c: string) => (text += c));
          r.on('end', () => resolve({ status: r.statusCode ?? 0, body: JSON.parse(text) }));
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 32; i++) req.write('['.repeat(64 * 1024));
      req.end();
    });
    expectTooLarge(res);
  });

  it('should keep answering a broken small body with BAD_REQUEST', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    expect(errorCodes({ status: res.status, ...res.body })).toEqual(['BAD_REQUEST']);
    expect(res.body.errors![0].message).toBe('Corps de requête JSON invalide.');
  });

  it('should not read a 2 MB body that declares the import without a session, or with a forged one', async () => {
    expectTooLarge(await answerBeforeTheEnd(2 * MB, 64 * 1024, AS_IMPORT));
    expectTooLarge(await answerBeforeTheEnd(2 * MB, 64 * 1024, { ...AS_IMPORT, cookie: `session=${randomUUID()}` }));
    expectTooLarge(await post(`{"query": ${'['.repeat(2 * MB)}`, AS_IMPORT));
  });

  it('should not read a 2 MB import from an account that may not import', async () => {
    expectTooLarge(await answerBeforeTheEnd(2 * MB, 64 * 1024, { ...AS_IMPORT, cookie: cookieOf(member) }));
    // Its small import reaches the resolver, which refuses it as before.
    const small = await member.gql(IMPORT, { content: bigCsv(1, 10) }, AS_IMPORT);
    expect(errorCodes(small)).toEqual(['FORBIDDEN']);
  });

  it('should take an analyst’s 3 MB import that declares itself', async () => {
    const csv = bigCsv(10, 300_000);
    expect(csv.length).toBeGreaterThan(3 * 1000 * 1000);
    const res = await analyst.gql(IMPORT, { content: csv }, AS_IMPORT);
    expect(res.errors, JSON.stringify(res.errors)).toBeUndefined();
    expect(res.data.importActors).toMatchObject({ total: 10, created: 10, rejected: 0, dryRun: true, committed: false });
  });

  it('should refuse a 3 MB import that does not declare itself, even from an administrator', async () => {
    const res = await server.admin.gql(IMPORT, { content: bigCsv(10, 300_000) });
    expect(res.status).toBe(413);
    expect(errorCodes(res)).toEqual(['PAYLOAD_TOO_LARGE']);
  });

  it('should refuse 3 MB of anything but the import mutation under the import header, even from an administrator', async () => {
    const filler = 'x'.repeat(3 * MB);
    const disguised = [
      ['a huge actors query', `query ($t: String) { actors(filter: { text: $t }, first: 1) { totalCount } }`, { t: filler }],
      [
        'the import with another field',
        `mutation ($content: String!) { importActors(content: $content, dryRun: true) { total } createActor(input: { name: "x" }) { id } }`,
        { content: filler },
      ],
      [
        'the import and a query in one document',
        `mutation ($content: String!) { importActors(content: $content, dryRun: true) { total } } query Q { themes { code } }`,
        { content: filler },
      ],
      ['another mutation named as the import', `mutation ImportActors($n: String!) { logIn(email: $n, password: $n) { id } }`, { n: filler }],
    ] as const;
    for (const [label, query, variables] of disguised) {
      const res = await server.admin.gql(query, variables, AS_IMPORT);
      expect(res.status, label).toBe(413);
      expect(errorCodes(res), label).toEqual(['PAYLOAD_TOO_LARGE']);
    }
  });

  it('should refuse an import over 12 MB before reading it, even from an administrator', async () => {
    expectTooLarge(await answerBeforeTheEnd(IMPORT_BODY_LIMIT + 1, 64 * 1024, { ...AS_IMPORT, cookie: cookieOf(server.admin) }));
  });

  it('should answer broken JSON of an allowed import with BAD_REQUEST, not a crash', async () => {
    const res = await post(`{"query": ${'['.repeat(2 * MB)}`, { ...AS_IMPORT, cookie: cookieOf(server.admin) });
    expect(res.status).toBe(400);
    expect(errorCodes({ status: res.status, ...res.body })).toEqual(['BAD_REQUEST']);
  });

  it('should leave ordinary requests alone when they carry the header', async () => {
    const res = await server.gql(`{ themes { code } }`);
    expect(res.status).toBe(200);
    const withHeader = await post(JSON.stringify({ query: '{ themes { code } }' }), AS_IMPORT);
    expect(withHeader.status).toBe(200);
    expect(withHeader.body.data.themes.length).toBeGreaterThan(0);
    expect(GRAPHQL_BODY_LIMIT).toBe(MB);
  });
});
