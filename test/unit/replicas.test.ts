import { describe, expect, it } from 'vitest';
import { fallbackReason, lsnBytes, parseReplicaUrls, Replica, replicaName, WalClock } from '../../server/db/replicas.js';

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

describe('a replica’s staleness (REPLICA_MAX_LAG_MS)', () => {
  it('should read a WAL position as bytes, across the 4 GB boundary', () => {
    expect(lsnBytes('0/0')).toBe(0n);
    expect(lsnBytes('0/FFFFFFFF') + 1n).toBe(lsnBytes('1/0'));
    expect(lsnBytes('16/B374D848')).toBe(0x16b374d848n);
  });

  it('should date a replica by the newest primary position it has replayed', () => {
    const clock = new WalClock(10_000);
    expect(clock.stalenessMs(100n, 1_000)).toBeNull();
    clock.record(100n, 1_000);
    clock.record(100n, 1_250); // a quiet primary: its position does not move
    clock.record(300n, 1_500);
    clock.record(500n, 1_750);
    // Replayed the newest position: nothing missing, however long ago the primary last wrote.
    expect(clock.stalenessMs(500n, 9_000)).toBe(0);
    expect(clock.stalenessMs(800n, 9_000)).toBe(0);
    // Replayed up to 300: it lacks what the primary wrote since 1,750 at the latest.
    expect(clock.stalenessMs(300n, 2_000)).toBe(250);
    expect(clock.stalenessMs(400n, 2_000)).toBe(250);
    // Replayed only 100: it lacks what was written from 1,500 on.
    expect(clock.stalenessMs(100n, 2_000)).toBe(500);
    // Behind every sample kept: at least as old as the oldest.
    expect(clock.stalenessMs(50n, 2_000)).toBe(1_000);
  });

  it('should keep the samples of its window, and the newest one older than it', () => {
    const clock = new WalClock(1_000);
    for (let t = 0; t <= 5_000; t += 100) clock.record(BigInt(t), t);
    // A replica stuck at position 0 (written at 0): everything since 100 is missing; the window
    // only keeps samples from 3,900 on, so its staleness is at least 1,100 ms, and grows.
    expect(clock.stalenessMs(0n, 5_000)).toBe(1_100);
    expect(clock.stalenessMs(0n, 6_000)).toBe(2_100);
    expect(clock.stalenessMs(4_500n, 5_000)).toBe(400);
  });

  it('should leave a replica aside over the limit, and take it back once under it', () => {
    const replica = new Replica('postgres://app@replica.internal/repertoire', { type: 'postgres' });
    expect(replica.available).toBe(true);
    replica.setLag(4_000, 5_000);
    expect(replica.available).toBe(true);
    replica.setLag(5_001, 5_000);
    expect([replica.available, replica.lagging, replica.lagMs]).toEqual([false, true, 5_001]);
    replica.setLag(0, 5_000);
    expect([replica.available, replica.lagging]).toEqual([true, false]);
  });
});
