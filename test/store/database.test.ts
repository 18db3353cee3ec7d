import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { runMigrations } from '../../src/store/migrate.js';
import { meta } from '../../src/store/schema.js';
import { inTransaction } from '../../src/store/transaction.js';
import { reserveIdempotencyKey, completeIdempotencyKey } from '../../src/store/idempotency.js';
import { describeDb } from '../support/db.js';

describeDb('database layer', (database) => {
  it('has every migration applied, and applying again changes nothing', async () => {
    const tables = async () =>
      ((await database().db.execute(sql`select table_name from information_schema.tables where table_schema = 'public' order by 1`)) as unknown as { rows: { table_name: string }[] }).rows.map(
        (r) => r.table_name,
      );
    const before = await tables();
    expect(before).toEqual(expect.arrayContaining(['idempotency_keys', 'tally_meta', 'catalog_versions', 'catalog_current']));
    await runMigrations(database());
    expect(await tables()).toEqual(before);
  });

  it('commits a transaction as a whole, or nothing of it', async () => {
    const db = database().db;
    await expect(
      inTransaction(db, async (tx) => {
        await tx.insert(meta).values({ key: 'rollback-me', value: { a: 1 } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.select().from(meta).where(sql`key = 'rollback-me'`)).toEqual([]);

    await inTransaction(db, async (tx) => {
      await tx.insert(meta).values({ key: 'kept-1', value: 1 });
      await tx.insert(meta).values({ key: 'kept-2', value: 2 });
    });
    expect((await db.select().from(meta).where(sql`key like 'kept-%'`)).length).toBe(2);
  });

  it('answers ping', async () => {
    await expect(database().ping()).resolves.toBeUndefined();
  });

  it('reserves an idempotency key once, replays it once completed, and refuses a different request', async () => {
    const db = database().db;
    const clock = new ManualClock('2026-01-01T00:00:00Z');
    const base = { scope: 'ins_x', key: 'k1', method: 'POST', path: '/v1/x', requestHash: 'h1', now: clock.now(), lockMs: 60_000 };
    expect(await reserveIdempotencyKey(db, base)).toEqual({ outcome: 'reserved' });
    expect(await reserveIdempotencyKey(db, base)).toEqual({ outcome: 'in_progress' });
    expect(await reserveIdempotencyKey(db, { ...base, requestHash: 'other' })).toEqual({ outcome: 'mismatch' });
    await completeIdempotencyKey(db, 'ins_x', 'k1', 201, { id: 'thing_1' });
    expect(await reserveIdempotencyKey(db, base)).toEqual({ outcome: 'replay', statusCode: 201, body: { id: 'thing_1' } });
    // Same key in another scope is another key.
    expect(await reserveIdempotencyKey(db, { ...base, scope: 'ins_y' })).toEqual({ outcome: 'reserved' });
  });

  it('lets a retry take over a reservation whose first attempt died (lock expired)', async () => {
    const db = database().db;
    const t0 = new Date('2026-01-01T00:00:00Z');
    const base = { scope: 's', key: 'dead', method: 'POST', path: '/v1/x', requestHash: 'h', now: t0, lockMs: 60_000 };
    expect((await reserveIdempotencyKey(db, base)).outcome).toBe('reserved');
    expect((await reserveIdempotencyKey(db, { ...base, now: new Date(t0.getTime() + 30_000) })).outcome).toBe('in_progress');
    expect((await reserveIdempotencyKey(db, { ...base, now: new Date(t0.getTime() + 61_000) })).outcome).toBe('reserved');
  });
});

describe('inTransaction retries', () => {
  it('retries serialization failures and gives up on other errors', async () => {
    let calls = 0;
    const fakeDb = {
      transaction: async (fn: (tx: unknown) => Promise<unknown>) => fn({}),
    } as never;
    const r = await inTransaction(fakeDb, async () => {
      calls++;
      if (calls < 3) throw Object.assign(new Error('could not serialize access'), { code: '40001' });
      return 'ok';
    });
    expect(r).toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      inTransaction(fakeDb, async () => {
        calls++;
        throw Object.assign(new Error('duplicate key'), { code: '23505' });
      }),
    ).rejects.toThrow('duplicate key');
    expect(calls).toBe(1);
  });
});
