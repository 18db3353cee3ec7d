import { eq, sql } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { nominalRetryDelayMs, retryDelayMs } from '../../src/jobs/backoff.js';
import { claimJobs, dueJobs } from '../../src/jobs/claim.js';
import { failJob, succeedJob } from '../../src/jobs/complete.js';
import { enqueueJob } from '../../src/jobs/enqueue.js';
import { pruneFinishedJobs } from '../../src/jobs/prune.js';
import { ensureRecurring, nextSlot } from '../../src/jobs/recurring.js';
import { ManualClock } from '../../src/shared/clock.js';
import { jobs } from '../../src/store/schema.js';
import { inTransaction } from '../../src/store/transaction.js';
import { describeDb } from '../support/db.js';
import { at, ctxOf, jobById } from './support.js';

const T0 = '2026-03-01T10:30:00.000Z';
const MIN = 60_000;

describeDb('job queue', (database) => {
  beforeEach(async () => {
    await database().db.delete(jobs);
  });

  it('enqueues a pending job; the same dedupe key again is a no-op returning the first id', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const first = await enqueueJob(ctxOf(db, clock), { kind: 'trial_expiry', payload: { customer: 'cus_1' }, dedupeKey: 'trial_expiry:cus_1' });
    expect(first.created).toBe(true);
    const again = await enqueueJob(ctxOf(db, clock), { kind: 'trial_expiry', payload: { customer: 'other' }, dedupeKey: 'trial_expiry:cus_1' });
    expect(again).toEqual({ id: first.id, created: false });
    const row = await jobById(db, first.id);
    expect(row).toMatchObject({ status: 'pending', kind: 'trial_expiry', payload: { customer: 'cus_1' }, attempts: 0, maxAttempts: 10, runAt: clock.now() });
    // Without a key, every call is a new job.
    const a = await enqueueJob(ctxOf(db, clock), { kind: 'noop', payload: {} });
    const b = await enqueueJob(ctxOf(db, clock), { kind: 'noop', payload: {} });
    expect(a.id).not.toBe(b.id);
    expect((await db.select().from(jobs)).length).toBe(3);
  });

  it('concurrent enqueues with one dedupe key make one job', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const results = await Promise.all(Array.from({ length: 8 }, () => enqueueJob(ctxOf(db, clock), { kind: 'k', payload: {}, dedupeKey: 'same' })));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect((await db.select().from(jobs)).length).toBe(1);
  });

  it("enqueues inside the caller's transaction: a rollback leaves no job", async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    await expect(
      inTransaction(db, async (tx) => {
        await enqueueJob(ctxOf(tx, clock), { kind: 'k', payload: {}, dedupeKey: 'rolled-back' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.select().from(jobs)).toEqual([]);
    const { id } = await inTransaction(db, (tx) => enqueueJob(ctxOf(tx, clock), { kind: 'k', payload: {}, dedupeKey: 'rolled-back' }));
    expect((await jobById(db, id)).status).toBe('pending');
  });

  it('refuses a bad maxAttempts or an empty kind', async () => {
    const ctx = ctxOf(database().db, new ManualClock(T0));
    await expect(enqueueJob(ctx, { kind: 'k', payload: {}, maxAttempts: 0 })).rejects.toMatchObject({ code: 'job_max_attempts_invalid' });
    await expect(enqueueJob(ctx, { kind: '', payload: {} })).rejects.toMatchObject({ code: 'job_kind_missing' });
  });

  it('claims only due jobs, oldest first, leasing them to the worker', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const ctx = ctxOf(db, clock);
    const later = await enqueueJob(ctx, { kind: 'k', payload: { n: 2 }, runAt: at(T0, 60 * MIN) });
    const now = await enqueueJob(ctx, { kind: 'k', payload: { n: 1 } });
    const earlier = await enqueueJob(ctx, { kind: 'k', payload: { n: 0 }, runAt: at(T0, -MIN) });

    const claimed = await claimJobs(db, clock, { workerId: 'w1', limit: 10, leaseMs: 120 * MIN });
    expect(claimed.map((j) => j.id)).toEqual([earlier.id, now.id]);
    for (const j of claimed) {
      expect(j).toMatchObject({ status: 'running', lockedBy: 'w1', lockedUntil: at(T0, 120 * MIN), attempts: 1 });
    }
    // Leased jobs are not claimed again while the lease holds; the future one is not due yet.
    expect(await claimJobs(db, clock, { workerId: 'w2', limit: 10 })).toEqual([]);

    clock.advance(60 * MIN - 1);
    expect(await claimJobs(db, clock, { workerId: 'w2', limit: 10, leaseMs: 10 * MIN })).toEqual([]);
    clock.advance(1);
    const next = await claimJobs(db, clock, { workerId: 'w2', limit: 10, leaseMs: 10 * MIN });
    expect(next.map((j) => j.id)).toEqual([later.id]);
  });

  it('claims at most `limit` jobs and only the requested kinds', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    for (let i = 0; i < 5; i++) await enqueueJob(ctxOf(db, clock), { kind: i % 2 ? 'odd' : 'even', payload: { i } });
    expect(await claimJobs(db, clock, { workerId: 'w', limit: 10, kinds: [] })).toEqual([]);
    const odd = await claimJobs(db, clock, { workerId: 'w', limit: 10, kinds: ['odd'] });
    expect(odd.map((j) => (j.payload as { i: number }).i)).toEqual([1, 3]);
    expect((await claimJobs(db, clock, { workerId: 'w', limit: 2 })).length).toBe(2);
    expect((await claimJobs(db, clock, { workerId: 'w', limit: 2 })).length).toBe(1);
  });

  it("lets another worker take over a job whose worker died; the dead worker's late result is ignored", async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'k', payload: {} });
    const [byA] = await claimJobs(db, clock, { workerId: 'A', limit: 1, leaseMs: 5 * MIN });
    expect(byA?.id).toBe(id);

    // A "dies": it never completes. Until the lease runs out, nobody else gets the job.
    clock.advance(5 * MIN);
    expect(await claimJobs(db, clock, { workerId: 'B', limit: 1 })).toEqual([]);
    clock.advance(1);
    const [byB] = await claimJobs(db, clock, { workerId: 'B', limit: 1, leaseMs: 5 * MIN });
    expect(byB).toMatchObject({ id, lockedBy: 'B', attempts: 2 });

    // A comes back and reports: neither success nor failure may overwrite B's lease.
    expect(await succeedJob(db, clock, byA!)).toBe(false);
    expect(await failJob(db, clock, byA!, new Error('late'))).toEqual({ outcome: 'lost' });
    expect(await jobById(db, id)).toMatchObject({ status: 'running', lockedBy: 'B', attempts: 2, lastError: null });

    expect(await succeedJob(db, clock, byB!)).toBe(true);
    expect(await jobById(db, id)).toMatchObject({ status: 'succeeded', finishedAt: clock.now(), lockedUntil: null });
    // Completing twice does nothing the second time.
    expect(await succeedJob(db, clock, byB!)).toBe(false);
  });

  it('a worker re-claiming its own expired job cannot complete it with the older attempt', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    await enqueueJob(ctxOf(db, clock), { kind: 'k', payload: {} });
    const [first] = await claimJobs(db, clock, { workerId: 'same', limit: 1, leaseMs: MIN });
    clock.advance(MIN + 1);
    const [second] = await claimJobs(db, clock, { workerId: 'same', limit: 1, leaseMs: MIN });
    expect(second?.attempts).toBe(2);
    expect(await succeedJob(db, clock, first!)).toBe(false);
    expect(await succeedJob(db, clock, second!)).toBe(true);
  });

  it('a failed attempt goes back to pending after an exponential backoff, and fails for good after maxAttempts', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'k', payload: {}, maxAttempts: 3 });

    for (const attempt of [1, 2]) {
      const [job] = await claimJobs(db, clock, { workerId: 'w', limit: 1 });
      expect(job).toMatchObject({ id, attempts: attempt });
      const r = await failJob(db, clock, job!, new Error(`attempt ${attempt} broke`));
      const delay = retryDelayMs(id, attempt);
      expect(r).toEqual({ outcome: 'retry', runAt: at(clock.now().toISOString(), delay) });
      expect(delay).toBeLessThanOrEqual(nominalRetryDelayMs(attempt)); // 2 s, then 4 s
      expect(delay).toBeGreaterThan(0.8 * nominalRetryDelayMs(attempt));
      expect(await jobById(db, id)).toMatchObject({ status: 'pending', lockedBy: null, lockedUntil: null, lastError: expect.stringContaining(`attempt ${attempt} broke`) });
      // Not due a millisecond early; due at the retry time.
      clock.advance(delay - 1);
      expect(await claimJobs(db, clock, { workerId: 'w', limit: 1 })).toEqual([]);
      clock.advance(1);
    }
    const [last] = await claimJobs(db, clock, { workerId: 'w', limit: 1 });
    expect(last?.attempts).toBe(3);
    expect(await failJob(db, clock, last!, new Error('third strike'))).toEqual({ outcome: 'failed' });
    expect(await jobById(db, id)).toMatchObject({ status: 'failed', attempts: 3, finishedAt: clock.now(), lastError: expect.stringContaining('third strike') });
    clock.advance(24 * 60 * MIN);
    expect(await claimJobs(db, clock, { workerId: 'w', limit: 1 })).toEqual([]);
  });

  it('prunes finished jobs older than the cutoff, never pending or running ones', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const ctx = ctxOf(db, clock);
    const ok = await enqueueJob(ctx, { kind: 'k', payload: {}, dedupeKey: 'ok' });
    const bad = await enqueueJob(ctx, { kind: 'k', payload: {}, maxAttempts: 1 });
    const running = await enqueueJob(ctx, { kind: 'k', payload: {} });
    const claimed = await claimJobs(db, clock, { workerId: 'w', limit: 3 });
    await succeedJob(db, clock, claimed.find((j) => j.id === ok.id)!);
    await failJob(db, clock, claimed.find((j) => j.id === bad.id)!, 'nope');
    const pending = await enqueueJob(ctx, { kind: 'k', payload: {} });

    expect(await pruneFinishedJobs(db, clock.now())).toBe(0); // finished exactly at the cutoff: kept
    clock.advance(1);
    expect(await pruneFinishedJobs(db, clock.now())).toBe(2);
    const left = (await db.select({ id: jobs.id }).from(jobs)).map((r) => r.id).sort();
    expect(left).toEqual([running.id, pending.id].sort());
    // The pruned job's dedupe key is free again.
    expect((await enqueueJob(ctx, { kind: 'k', payload: {}, dedupeKey: 'ok' })).created).toBe(true);
  });

  it('claims walk a partial index in its own order, whatever the statistics say is due', async () => {
    // A month end as the planner saw it before: statistics taken while thousands of roll-overs were pending;
    // then those ran and as many closes became due. A plan built on those numbers sorted the whole table.
    const db = database().db;
    const clock = new ManualClock(T0);
    const insert = (kind: string, status: 'pending' | 'running' | 'succeeded', n: number) =>
      db.execute(sql`insert into jobs (id, kind, payload, status, run_at, locked_until, created_at, updated_at)
        select ${kind} || '_' || i, ${kind}, '{}'::jsonb, ${status}, ${T0}::timestamptz - interval '1 hour', ${status === 'running' ? at(T0, -MIN).toISOString() : null}::timestamptz, now(), now()
        from generate_series(1, ${n}) as i`);
    await insert('roll', 'pending', 3000);
    await db.execute(sql`analyze jobs`);
    await db.execute(sql`update jobs set status = 'succeeded' where kind = 'roll'`);
    await insert('close', 'pending', 2000);
    await insert('lost', 'running', 3);
    const plan = async (q: ReturnType<typeof dueJobs>) =>
      ((await db.execute(sql`explain ${q}`)) as unknown as { rows: { 'QUERY PLAN': string }[] }).rows.map((r) => r['QUERY PLAN']).join('\n');
    const cases: [ReturnType<typeof dueJobs>, string][] = [
      [dueJobs(db, clock.now(), 'pending', 499, ['close']), 'jobs_pending_kind_idx'],
      [dueJobs(db, clock.now(), 'pending', 499), 'jobs_pending_idx'],
      [dueJobs(db, clock.now(), 'expired', 499), 'jobs_running_idx'],
    ];
    for (const [query, index] of cases) {
      const text = await plan(query);
      expect(text).toContain(index);
      expect(text).not.toMatch(/Seq Scan|Sort/);
    }
    // And they take what they should, in order.
    expect((await dueJobs(db, clock.now(), 'pending', 2, ['close'])).map((r) => r.id)).toEqual(['close_1', 'close_10']);
    expect((await dueJobs(db, clock.now(), 'expired', 5)).map((r) => r.id)).toEqual(['lost_1', 'lost_2', 'lost_3']);
  });

  it('ensureRecurring keeps one job per slot, however many workers ask', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const hour = 60 * MIN;
    const results = await Promise.all(Array.from({ length: 6 }, () => ensureRecurring(ctxOf(db, clock), 'hourly', hour)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(results.every((r) => r.runAt.toISOString() === '2026-03-01T11:00:00.000Z')).toBe(true);
    const rows = await db.select().from(jobs).where(eq(jobs.kind, 'hourly'));
    expect(rows).toMatchObject([{ dedupeKey: 'hourly@2026-03-01T11:00:00.000Z', runAt: at('2026-03-01T11:00:00Z'), status: 'pending' }]);
    // On the boundary itself, the next slot is the following one.
    clock.set('2026-03-01T11:00:00Z');
    expect((await ensureRecurring(ctxOf(db, clock), 'hourly', hour)).runAt).toEqual(at('2026-03-01T12:00:00Z'));
    expect((await db.execute(sql`select count(*)::int as n from jobs`)) as unknown).toMatchObject({ rows: [{ n: 2 }] });
  });
});

describe('retry backoff', () => {
  it('doubles from 2 s, is capped at one hour, and jitters deterministically by job id', () => {
    expect([1, 2, 3, 10, 11, 12, 30].map(nominalRetryDelayMs)).toEqual([2_000, 4_000, 8_000, 1_024_000, 2_048_000, 3_600_000, 3_600_000]);
    for (const attempts of [1, 5, 12, 40]) {
      const d = retryDelayMs('job_A', attempts);
      expect(d).toBe(retryDelayMs('job_A', attempts));
      expect(d).toBeLessThanOrEqual(nominalRetryDelayMs(attempts));
      expect(d).toBeGreaterThanOrEqual(0.8 * nominalRetryDelayMs(attempts));
    }
    // Jobs that failed together do not all come back together.
    const spread = new Set(Array.from({ length: 50 }, (_, i) => retryDelayMs(`job_${i}`, 6)));
    expect(spread.size).toBeGreaterThan(40);
  });

  it('nextSlot is the first boundary strictly after the instant', () => {
    expect(nextSlot(new Date('2026-03-01T10:30:00Z'), 3_600_000).toISOString()).toBe('2026-03-01T11:00:00.000Z');
    expect(nextSlot(new Date('2026-03-01T11:00:00Z'), 3_600_000).toISOString()).toBe('2026-03-01T12:00:00.000Z');
    expect(nextSlot(new Date('2026-03-01T23:59:59.999Z'), 86_400_000).toISOString()).toBe('2026-03-02T00:00:00.000Z');
  });
});
