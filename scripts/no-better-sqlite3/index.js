// Stand-in for better-sqlite3, set by the « overrides » of the project's package.json. Two
// dependencies name it without this project using it: mapshaper, to read GeoPackage files
// (seeds/prepare-map-boundaries.ts reads shapefiles and GeoJSON), and TypeORM, for its SQLite
// driver (the project talks to PostgreSQL only).
'use strict';
module.exports = function BetterSqlite3() {
  throw new Error('better-sqlite3 n’est pas installé dans ce projet (voir scripts/no-better-sqlite3) : ni GeoPackage ni SQLite ne sont lus ici.');
};
