import { describe, expect, it } from 'vitest';
import { fallbackReason, parseReplicaUrls, replicaName } from '../../server/db/replicas.js';

describe('DATABASE_REPLICA_URL', () => {
  it('should read one or more postgres URLs separated by commas or spaces', () => {
    expect(parseReplicaUrls(undefined)).toEqual([]);
    expect(parseReplicaUrls('')).toEqual([]);
    expect(parseReplicaUrls('postgres://a@r1/db, postgresql://a@r2:5433/db  postgres://a@r3/db')).toEqual([
      'postgres://a@r1/db',
      'postgresql://a@r2:5433/db',
      'postgres://a@r3/db',
    ]);
  });

  it('should refuse to start on anything but a postgres URL, without printing its password', () => {
    expect(() => parseReplicaUrls('postgres://a@r1/db,mysql://u:secret@r2/db')).toThrow(/DATABASE_REPLICA_URL/);
    expect(() => parseReplicaUrls('postgres://a@r1/db,mysql://u:secret@r2/db')).not.toThrow(/secret/);
    expect(() => parseReplicaUrls('replica1')).toThrow(/DATABASE_REPLICA_URL/);
  });

  it('should name a replica by host, port and database, never by its password', () => {
    expect(replicaName('postgres://app:s3cr3t@replica.internal:6432/repertoire')).toBe('replica.internal:6432/repertoire');
    expect(replicaName('postgres://app:s3cr3t@replica.internal/repertoire')).toBe('replica.internal:5432/repertoire');
  });
});

describe('when a replica read falls back to the primary', () => {
  const pgError = (code: string) => Object.assign(new Error('erreur'), { code });

  it('should leave aside a replica that cannot be reached, is shutting down or lacks the database', () => {
    for (const code of ['ECONNREFUSED', 'ETIMEDOUT', '57P01', '57P03', '3D000', '08006']) expect(fallbackReason(pgError(code)), code).toBe('down');
    expect(fallbackReason(new Error('timeout exceeded when trying to connect'))).toBe('down');
    expect(fallbackReason(new Error('Connection terminated unexpectedly'))).toBe('down');
    // TypeORM's QueryFailedError carries the driver's error.
    expect(fallbackReason({ driverError: { code: '57P01' } })).toBe('down');
  });

  it('should serve from the primary a statement a standby refuses: a write, a conflict with recovery', () => {
    expect(fallbackReason(pgError('25006'))).toBe('refused');
    expect(fallbackReason(pgError('40001'))).toBe('refused');
  });

  it('should not hide a real error behind the primary: bad input, statement timeout', () => {
    for (const code of ['22P02', '57014', '42P01', '23505']) expect(fallbackReason(pgError(code)), code).toBeNull();
    expect(fallbackReason(new Error('Acteur introuvable'))).toBeNull();
    expect(fallbackReason(undefined)).toBeNull();
  });
});
