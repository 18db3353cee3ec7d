import { eq, like } from 'drizzle-orm';
import { beforeEach, expect, it } from 'vitest';
import type { ServiceContext } from '../../src/billing/context.js';
import { nominalRetryDelayMs } from '../../src/jobs/backoff.js';
import { claimJobs } from '../../src/jobs/claim.js';
import { enqueueJob } from '../../src/jobs/enqueue.js';
import { JobRegistry } from '../../src/jobs/registry.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { runDueJobs } from '../../src/jobs/run-due.js';
import { ManualClock } from '../../src/shared/clock.js';
import { reserveIdempotencyKey } from '../../src/store/idempotency.js';
import { idempotencyKeys, jobs, meta } from '../../src/store/schema.js';
import { inTransaction } from '../../src/store/transaction.js';
import { describeDb } from '../support/db.js';
import { at, ctxOf, jobById, memoryLogger } from './support.js';

const T0 = '2026-03-01T10:30:00.000Z';
const MIN = 60_000;
const HOUR = 60 * MIN;

describeDb('job runner', (database) => {
  beforeEach(async () => {
    const db = database().db;
    await db.delete(jobs);
    await db.delete(meta).where(like(meta.key, 'jobtest:%'));
  });

  it('runs a chain of jobs that enqueue due jobs, and leaves the ones not yet due', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const seen: number[] = [];
    const registry = new JobRegistry().register('step', async (ctx, payload) => {
      const { n } = payload as { n: number };
      seen.push(n);
      if (n < 5) await enqueueJob(ctx, { kind: 'step', payload: { n: n + 1 } });
      if (n === 5) await enqueueJob(ctx, { kind: 'step', payload: { n: 100 }, runAt: at(ctx.clock.now().toISOString(), HOUR) });
    });
    await enqueueJob(ctxOf(db, clock), { kind: 'step', payload: { n: 1 } });

    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 5, failed: 0 });
    expect(seen).toEqual([1, 2, 3, 4, 5]);
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 0, failed: 0 });
    clock.advance(HOUR);
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 0 });
    expect(seen).toEqual([1, 2, 3, 4, 5, 100]);
    const rows = await db.select().from(jobs);
    expect(rows.every((r) => r.status === 'succeeded' && r.attempts === 1)).toBe(true);
  });

  it('stops after maxRounds', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const registry = new JobRegistry().register('forever', async (ctx) => {
      await enqueueJob(ctx, { kind: 'forever', payload: {} });
    });
    await enqueueJob(ctxOf(db, clock), { kind: 'forever', payload: {} });
    expect(await runDueJobs({ db, clock, registry }, { maxRounds: 3 })).toEqual({ ran: 3, failed: 0 });
  });

  it("runs a handler with the runner's clock, acting as system job:<kind>", async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    let seen: { ctx: ServiceContext; payload: unknown; jobId: string } | null = null;
    const registry = new JobRegistry().register('look', async (ctx, payload, job) => {
      seen = { ctx, payload, jobId: job.id };
    });
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'look', payload: { a: 1 } });
    await runDueJobs({ db, clock, registry });
    expect(seen).not.toBeNull();
    const s = seen as unknown as { ctx: ServiceContext; payload: unknown; jobId: string };
    expect(s.ctx.actor).toEqual({ type: 'system', id: 'job:look' });
    expect(s.ctx.clock).toBe(clock);
    expect(s.payload).toEqual({ a: 1 });
    expect(s.jobId).toBe(id);
  });

  it('a handler that throws leaves its transaction rolled back; the retry after the backoff runs it once', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    let calls = 0;
    const registry = new JobRegistry().register('write', async (ctx) => {
      calls++;
      await inTransaction(ctx.db, async (tx) => {
        await tx.insert(meta).values({ key: 'jobtest:written', value: { call: calls } });
        if (calls === 1) throw new Error('provider said no');
      });
    });
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'write', payload: {} });

    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 1 });
    expect(await db.select().from(meta).where(eq(meta.key, 'jobtest:written'))).toEqual([]);
    const failed = await jobById(db, id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, lastError: expect.stringContaining('provider said no') });
    expect(failed.runAt.getTime()).toBeGreaterThan(clock.now().getTime());

    // Not due before its backoff; due once the clock passes it.
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 0, failed: 0 });
    clock.advance(nominalRetryDelayMs(1));
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 0 });
    expect(await db.select().from(meta).where(eq(meta.key, 'jobtest:written'))).toMatchObject([{ value: { call: 2 } }]);
    expect(await jobById(db, id)).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('a job that keeps failing is retried with growing delays, then failed for good with its last error', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const attemptsAt: string[] = [];
    const logger = memoryLogger();
    const registry = new JobRegistry().register('broken', async (ctx, _payload, job) => {
      attemptsAt.push(ctx.clock.now().toISOString());
      throw new Error(`broken #${job.attempts}`);
    });
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'broken', payload: {}, maxAttempts: 4 });
    let total = { ran: 0, failed: 0 };
    for (let i = 0; i < 10; i++) {
      const r = await runDueJobs({ db, clock, registry, logger });
      total = { ran: total.ran + r.ran, failed: total.failed + r.failed };
      clock.advance(nominalRetryDelayMs(i + 1));
    }
    expect(total).toEqual({ ran: 4, failed: 4 });
    // Each retry waited its backoff: the attempt times are 2 s, 4 s, 8 s apart (nominal, as the clock moved).
    const gaps = attemptsAt.slice(1).map((t, i) => new Date(t).getTime() - new Date(attemptsAt[i]!).getTime());
    expect(gaps).toEqual([2_000, 4_000, 8_000]);
    expect(await jobById(db, id)).toMatchObject({ status: 'failed', attempts: 4, lastError: expect.stringContaining('broken #4') });
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(3);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['job broken failed for good after 4 attempt(s)']);
  });

  it('fails a job of an unknown kind at once, naming the kind', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const registry = new JobRegistry().register('known', async () => {});
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'mystery', payload: {} });
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 1 });
    const row = await jobById(db, id);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, finishedAt: clock.now() });
    expect(row.lastError).toContain("No handler is registered for job kind 'mystery' (this worker knows: known)");
  });

  it('fails for good, without running it, a job whose final attempt lost its lease', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    let ran = 0;
    const registry = new JobRegistry().register('crashy', async () => {
      ran++;
    });
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'crashy', payload: {}, maxAttempts: 1 });
    await claimJobs(db, clock, { workerId: 'dies', limit: 1, leaseMs: MIN }); // its worker dies mid-run
    clock.advance(MIN + 1);
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 1 });
    expect(ran).toBe(0);
    expect(await jobById(db, id)).toMatchObject({ status: 'failed', attempts: 2, lastError: expect.stringContaining('lease of the final attempt') });
  });

  it('runs a recurring kind once per slot, skipping slots the clock jumped over', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const runs: string[] = [];
    const registry = new JobRegistry().register(
      'hourly',
      async (ctx) => {
        runs.push(ctx.clock.now().toISOString());
      },
      { everyMs: HOUR },
    );
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 0, failed: 0 });
    clock.set('2026-03-01T11:00:00Z');
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 0 });
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 0, failed: 0 });
    clock.set('2026-03-01T15:20:00Z'); // four slots later: the overdue one runs once
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 1, failed: 0 });
    expect(runs).toEqual(['2026-03-01T11:00:00.000Z', '2026-03-01T15:20:00.000Z']);
    const pending = await db.select().from(jobs).where(eq(jobs.status, 'pending'));
    expect(pending.map((j) => j.dedupeKey)).toEqual(['hourly@2026-03-01T16:00:00.000Z']);
  });

  it('the default registry prunes idempotency keys older than 24 hours, every hour', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const key = (k: string, now: Date) => reserveIdempotencyKey(db, { scope: 'jobtest', key: k, method: 'POST', path: '/v1/x', requestHash: 'h', now, lockMs: MIN });
    await key('old', at(T0, -25 * HOUR));
    await key('recent', at(T0, -23 * HOUR));
    const registry = buildJobRegistry();
    expect(registry.list()).toEqual(expect.arrayContaining(['noop', 'prune_idempotency_keys']));
    await enqueueJob(ctxOf(db, clock), { kind: 'noop', payload: {} });
    await runDueJobs({ db, clock, registry }); // runs noop; schedules the prune for 11:00
    expect((await db.select().from(idempotencyKeys).where(eq(idempotencyKeys.scope, 'jobtest'))).length).toBe(2);
    clock.set('2026-03-01T11:00:00Z');
    // The three hourly housekeeping jobs: idempotency keys, finished jobs, webhook deliveries.
    expect(await runDueJobs({ db, clock, registry })).toEqual({ ran: 3, failed: 0 });
    const left = await db.select({ key: idempotencyKeys.key }).from(idempotencyKeys).where(eq(idempotencyKeys.scope, 'jobtest'));
    expect(left).toEqual([{ key: 'recent' }]);
  });

  it('the default registry prunes succeeded jobs after 7 days and failed ones after 30, every hour', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const finished = (id: string, status: 'succeeded' | 'failed', daysAgo: number) =>
      db.insert(jobs).values({ id, kind: 'noop', payload: {}, status, runAt: at(T0, -daysAgo * 24 * HOUR), createdAt: at(T0, -daysAgo * 24 * HOUR), updatedAt: at(T0, -daysAgo * 24 * HOUR), finishedAt: at(T0, -daysAgo * 24 * HOUR) });
    await finished('ok_8d', 'succeeded', 8);
    await finished('ok_6d', 'succeeded', 6);
    await finished('failed_31d', 'failed', 31);
    await finished('failed_8d', 'failed', 8);
    const registry = buildJobRegistry();
    await runDueJobs({ db, clock, registry }); // schedules the housekeeping for 11:00
    clock.set('2026-03-01T11:00:00Z');
    await runDueJobs({ db, clock, registry });
    const left = (await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, 'noop'))).map((r) => r.id).sort();
    expect(left).toEqual(['failed_8d', 'ok_6d']);
  });
});
