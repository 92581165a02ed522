import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/**
 * Runs one `COPY … FROM STDIN` on `client` (a connection of the pool: the same SQL on native
 * PostgreSQL and on the embedded database, whose socket server keeps a copy's messages together,
 * server/db/embedded.ts) and returns the rows it wrote.
 */
export async function copyIn(client: PoolClient, statement: string, source: Readable | Iterable<string>): Promise<number> {
  const stream = client.query(copyFrom(statement));
  await pipeline(source instanceof Readable ? source : Readable.from(source), stream);
  return stream.rowCount;
}

/** A value in COPY's text format: `\N` for null, backslash, tab and line breaks escaped. */
export function copyValue(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return '\\N';
  return String(value).replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c]!);
}

/**
 * Lines (without their line break) in chunks of about 64 kB: one CopyData message per chunk rather
 * than per line (each message is a round through the embedded database's queue).
 */
export function* copyChunks(lines: Iterable<string>, chunkSize = 65_536): Generator<string> {
  let chunk = '';
  for (const line of lines) {
    chunk += `${line}\n`;
    if (chunk.length >= chunkSize) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

/** Rows in COPY's text format, in chunks (copyChunks). */
export function copyRows(rows: Iterable<(string | number | null | undefined)[]>): Generator<string> {
  return copyChunks(
    (function* () {
      for (const row of rows) yield row.map(copyValue).join('\t');
    })(),
  );
}
