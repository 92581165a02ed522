import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { migrations } from '../../migrations/index.js';
import { Territory } from '../territories/territory.entity.js';

export const entities = [Territory];

export interface DataSourceOptions {
  url: string;
  poolSize?: number;
  statementTimeoutMs?: number;
}

/** The one way the application reaches PostgreSQL: TypeORM over the `pg` driver. */
export function createDataSource({ url, poolSize = 10, statementTimeoutMs }: DataSourceOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities,
    migrations,
    migrationsTableName: 'migrations',
    synchronize: false,
    logging: false,
    poolSize,
    extra: statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {},
  });
}
