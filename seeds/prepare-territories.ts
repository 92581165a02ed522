/**
 * Prepares the geometries of the territories, seeds/data/geo/derived/territoires.tsv.gz, from the
 * shipped boundaries (seeds/data/geo) and the COG: the derivation of seeds/territory-geometry.ts
 * (repairs, unions of Paris, Lyon, Marseille, the EPCI and the EPT, simplified copies, label points,
 * the maps' boundaries merged from seeds/data/geo/map), run once here instead of at every first
 * start, where it took more than a minute of GEOS on the embedded database. The seed loads the
 * file as it is (seeds/territories.ts); test/integration/territory-shapes.test.ts checks that it
 * equals what the database computes from the sources.
 *
 * Runs on a throwaway database: the embedded one in memory, or the PostgreSQL + PostGIS of
 * DATABASE_URL (migrated, its territories replaced: never a database in use). Re-run it whenever
 * seeds/data/geo, the COG package or the derivation changes, after `npm run prepare:map-boundaries`:
 *   npm run prepare:territories
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { openDatabase } from '../server/db/database.js';
import { copyValue } from './copy.js';
import { seedDataDir } from './paths.js';
import { deriveTerritoryGeometries } from './territory-geometry.js';
import { seedTerritories, TERRITORY_SHAPE_COLUMNS, TERRITORY_SHAPE_PRECISION, TERRITORY_SHAPES_FILE } from './territories.js';

const log = (line: string) => process.stdout.write(`${line}\n`);

export async function prepareTerritories(dataDir = seedDataDir()): Promise<void> {
  const started = Date.now();
  const db = await openDatabase({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://', poolSize: 2 });
  try {
    const { ds } = db;
    await ds.query(`DELETE FROM territory`);
    await seedTerritories(ds, { log, shapesFile: null });
    const fallbacks = await deriveTerritoryGeometries(ds, { log });
    if (fallbacks.length) log(`Unions refaites par une autre méthode : ${fallbacks.join(', ')}`);
    // Shipped at TERRITORY_SHAPE_PRECISION: a geometry that rounding would make invalid is repaired
    // here, so that what the seed loads is exactly what was checked.
    for (const column of TERRITORY_SHAPE_COLUMNS) {
      const rounded = `ST_SetSRID(ST_GeomFromTWKB(ST_AsTWKB(${column}, ${TERRITORY_SHAPE_PRECISION[column]})), 4326)`;
      await ds.query(`UPDATE territory SET ${column} = ${rounded} WHERE ${column} IS NOT NULL`);
      const repaired = await ds.query<unknown[]>(
        `UPDATE territory SET ${column} = ${column === 'label_point' ? column : `ST_Multi(ST_CollectionExtract(ST_MakeValid(${column}), 3))`}
         WHERE ${column} IS NOT NULL AND NOT ST_IsValid(${column}) RETURNING level, code`,
      );
      if (repaired.length) log(`  ${column} : ${repaired.length} géométrie(s) réparée(s) après arrondi`);
    }
    const rows = await ds.query<Record<string, string | null>[]>(
      `SELECT level, code, ${TERRITORY_SHAPE_COLUMNS.map((c) => `encode(ST_AsTWKB(${c}, ${TERRITORY_SHAPE_PRECISION[c]}), 'hex') AS ${c}`).join(', ')}
       FROM territory WHERE geom IS NOT NULL ORDER BY level, code`,
    );
    const text =
      rows
        .map((r) =>
          ['level', 'code', ...TERRITORY_SHAPE_COLUMNS]
            .map((c) => (c === 'level' || c === 'code' ? copyValue(r[c]) : r[c] === null ? '\\N' : `\\\\x${r[c]}`))
            .join('\t'),
        )
        .join('\n') + '\n';
    const target = path.join(dataDir, TERRITORY_SHAPES_FILE);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, zlib.gzipSync(text, { level: 9 }));
    log(
      `${TERRITORY_SHAPES_FILE} : ${rows.length} territoires, ${(fs.statSync(target).size / 1e6).toFixed(1)} Mo, en ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await prepareTerritories();
