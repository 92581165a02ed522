import { createHash } from 'node:crypto';
import type { Queryable } from '../db/sql.js';

/** Bytes of tiles kept at most (a Grand Est commune tile weighs 100–300 kB). */
const MAX_BYTES = 64 * 2 ** 20;

/**
 * Coverage tiles computed once for the same tile, filter and data (issue 17). The data is named by
 * `data_version`, which every committed write of actors, coverage or territories increments
 * (migration 1764000000025), whatever process wrote. The version is read before the tile is
 * computed: the tile then holds at least that version's data, and once a write commits every
 * request reads the new version, so no tile of older data is served after a write. Entries of older
 * versions are dropped as soon as a newer version is read. A database without `data_version`
 * (migrated before it) caches nothing.
 *
 * The ETag is the version and a hash of the request (tile, boundaries' zoom, filter): a tile of one
 * filter never carries the tag of another, and a tag goes stale with the next write.
 */
export class TileCache {
  private readonly tiles = new Map<string, Uint8Array>();
  private readonly computing = new Map<string, Promise<Uint8Array>>();
  private bytes = 0;
  private version: string | null = null;
  private available: Promise<boolean> | undefined;

  constructor(
    private readonly db: Queryable,
    private readonly maxBytes = MAX_BYTES,
  ) {}

  /** The current data version, or null when the database has none. */
  async currentVersion(): Promise<string | null> {
    this.available ??= (this.db.query(`SELECT to_regclass('data_version') IS NOT NULL AS has`) as Promise<{ has: boolean }[]>).then(([r]) => r.has);
    if (!(await this.available)) return null;
    const [row] = (await this.db.query(`SELECT version::text AS v FROM data_version`)) as { v: string }[];
    if (row.v !== this.version) {
      this.version = row.v;
      this.tiles.clear();
      this.bytes = 0;
    }
    return row.v;
  }

  /** The ETag of a request (its key) at `version`. */
  static etag(version: string, key: string): string {
    return `"${version}-${createHash('sha256').update(key).digest('base64url').slice(0, 22)}"`;
  }

  /** Whether an If-None-Match header names `etag` (weak or strong, in a list, or `*`). */
  static matches(ifNoneMatch: string | undefined, etag: string): boolean {
    if (!ifNoneMatch) return false;
    return ifNoneMatch.split(',').some((t) => {
      const tag = t.trim().replace(/^W\//, '');
      return tag === etag || tag === '*';
    });
  }

  /**
   * The tile of `key` at `version`: kept, being computed by another request (awaited, not
   * computed twice), or computed now by `compute` and kept.
   */
  async get(version: string, key: string, compute: () => Promise<Uint8Array>): Promise<Uint8Array> {
    const k = `${version}\n${key}`;
    const kept = this.tiles.get(k);
    if (kept) {
      // Most recently used last: the oldest go first when the cache is full.
      this.tiles.delete(k);
      this.tiles.set(k, kept);
      return kept;
    }
    const running = this.computing.get(k);
    if (running) return running;
    const started = compute();
    this.computing.set(k, started);
    try {
      const tile = await started;
      if (version === this.version) this.keep(k, tile);
      return tile;
    } finally {
      this.computing.delete(k);
    }
  }

  private keep(k: string, tile: Uint8Array) {
    if (tile.byteLength > this.maxBytes) return;
    this.tiles.set(k, tile);
    this.bytes += tile.byteLength;
    for (const [old, t] of this.tiles) {
      if (this.bytes <= this.maxBytes) break;
      this.tiles.delete(old);
      this.bytes -= t.byteLength;
    }
  }
}
