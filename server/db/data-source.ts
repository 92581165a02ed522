import 'reflect-metadata';
import { DataSource, type Logger } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { LAG_MONITOR, RoutedDataSource } from './replicas.js';

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
  /** Called with every SQL statement sent (tests count them to catch per-row queries). */
  onQuery?: (sql: string) => void;
  /** Read replicas of `url` (DATABASE_REPLICA_URL): see server/db/replicas.ts. */
  replicaUrls?: readonly string[];
  /** REPLICA_MAX_LAG_MS: a replica staler than this serves no reads (default 5 s). */
  replicaMaxLagMs?: number;
}

/** A TypeORM logger that only reports each statement to a callback. */
function queryObserver(onQuery: (sql: string) => void): Logger {
  return {
    // A prepared statement (PreparedQuery, sql.ts) comes as an object: its text is what is counted.
    logQuery: (sql) => {
      if (!String(sql).startsWith(LAG_MONITOR)) onQuery(String(sql));
    },
    logQueryError: () => {},
    logQuerySlow: () => {},
    logSchemaBuild: () => {},
    logMigration: () => {},
    log: () => {},
  };
}

/**
 * The one way the application reaches PostgreSQL: TypeORM over the `pg` driver, on the primary, with
 * the reads of replica requests sent to `replicaUrls` (server/db/replicas.ts).
 */
export function createDataSource({ url, poolSize = 10, statementTimeoutMs, onQuery, replicaUrls = [], replicaMaxLagMs }: DataSourceOptions): DataSource {
  return new RoutedDataSource(
    {
      type: 'postgres',
      url,
      migrations,
      migrationsTableName: 'migrations',
      synchronize: false,
      logging: onQuery ? ['query'] : false,
      logger: onQuery ? queryObserver(onQuery) : undefined,
      poolSize,
      extra: {
        // Connections stay open when idle (pg closes them after 10 s by default): a new PostgreSQL
        // backend plans its first queries with cold catalog caches, and the first page opened after
        // a quiet spell cost PostgreSQL 1.2 s more CPU with them (gaps page of a région, bench base).
        idleTimeoutMillis: 0,
        ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
      },
    },
    replicaUrls,
    replicaMaxLagMs,
  );
}

/**
 * A second pool on the database of `ds`, with its settings (statement timeout, query observer),
 * for the analyses that pass the analytics gate: long statements there never hold the connections
 * that ordinary reads, writes and /readyz need. With read replicas, it has a pool of its own on each.
 */
export async function createAnalyticsDataSource(ds: DataSource, poolSize: number): Promise<DataSource> {
  const analytics = ds instanceof RoutedDataSource ? ds.withOptions({ poolSize }) : new DataSource({ ...ds.options, poolSize } as typeof ds.options);
  await analytics.initialize();
  return analytics;
}
