import { sql } from 'drizzle-orm';
import { beforeEach, expect, inject, it, vi } from 'vitest';
import { claimJobs } from '../../src/jobs/claim.js';
import { succeedJob } from '../../src/jobs/complete.js';
import { enqueueJob } from '../../src/jobs/enqueue.js';
import { JobRegistry } from '../../src/jobs/registry.js';
import { startWorker } from '../../src/jobs/worker.js';
import { ManualClock, systemClock } from '../../src/shared/clock.js';
import { openDatabase, type Database } from '../../src/store/database.js';
import { jobs } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { ctxOf, jobById, memoryLogger } from './support.js';

const T0 = '2026-03-01T10:30:00.000Z';

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

/** Separate pools on the suite's PostgreSQL database: as close to separate processes as one test gets. */
async function extraPools(database: Database, n: number): Promise<Database[]> {
  const r = (await database.db.execute(sql`select current_database() as name`)) as unknown as { rows: { name: string }[] };
  const u = new URL(inject('pgUrl')!);
  u.pathname = `/${r.rows[0]!.name}`;
  return Promise.all(Array.from({ length: n }, () => openDatabase({ kind: 'postgres', url: u.toString(), poolSize: 3 }, systemClock)));
}

describeDb('job worker', (database, kind) => {
  beforeEach(async () => {
    await database().db.delete(jobs);
  });

  it('runs a job when woken, and stop() waits for the handler still running', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const started = deferred();
    const release = deferred();
    const registry = new JobRegistry().register('slow', async () => {
      started.resolve();
      await release.promise;
    });
    // A poll interval far longer than the test: only wake() can make it run the job.
    const worker = startWorker({ database: database(), clock, registry, logger: memoryLogger(), pollMs: 600_000 });
    await new Promise((r) => setTimeout(r, 50)); // the first (empty) poll
    const { id } = await enqueueJob(ctxOf(db, clock), { kind: 'slow', payload: {} });
    worker.wake();
    await started.promise;

    let stopped = false;
    const stopping = worker.stop().then(() => (stopped = true));
    await new Promise((r) => setTimeout(r, 100));
    expect(stopped).toBe(false);
    expect((await jobById(db, id)).status).toBe('running');
    release.resolve();
    await stopping;
    expect(await jobById(db, id)).toMatchObject({ status: 'succeeded', lockedBy: worker.workerId });

    // Stopped means stopped: a new due job stays pending.
    const later = await enqueueJob(ctxOf(db, clock), { kind: 'slow', payload: {} });
    worker.wake();
    await new Promise((r) => setTimeout(r, 100));
    expect((await jobById(db, later.id)).status).toBe('pending');
    await worker.stop(); // again: fine
  });

  it('polls on its own, runs jobs back to back, and logs failures without stopping', async () => {
    const db = database().db;
    const clock = new ManualClock(T0);
    const logger = memoryLogger();
    const done: number[] = [];
    const registry = new JobRegistry()
      .register('ok', async (_ctx, payload) => void done.push((payload as { n: number }).n))
      .register('bad', async () => {
        throw new Error('bad job');
      });
    for (let n = 0; n < 5; n++) await enqueueJob(ctxOf(db, clock), { kind: 'ok', payload: { n } });
    const bad = await enqueueJob(ctxOf(db, clock), { kind: 'bad', payload: {}, maxAttempts: 1 });
    const worker = startWorker({ database: database(), clock, registry, logger, pollMs: 20, concurrency: 2 });
    try {
      await vi.waitFor(async () => expect((await jobById(db, bad.id)).status).toBe('failed'), { timeout: 5_000 });
      await vi.waitFor(() => expect(done.sort()).toEqual([0, 1, 2, 3, 4]), { timeout: 5_000 });
      const late = await enqueueJob(ctxOf(db, clock), { kind: 'ok', payload: { n: 5 } });
      await vi.waitFor(async () => expect((await jobById(db, late.id)).status).toBe('succeeded'), { timeout: 5_000 });
    } finally {
      await worker.stop();
    }
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['job bad failed for good after 1 attempt(s)']);
  });

  if (kind === 'postgres') {
    it('4 concurrent claim loops on separate pools execute each of 200 jobs exactly once', async () => {
      const db = database().db;
      const clock = systemClock;
      for (let i = 0; i < 200; i += 50) {
        await db.insert(jobs).values(
          Array.from({ length: 50 }, (_, k) => ({
            id: `job_conc_${String(i + k).padStart(3, '0')}`,
            kind: 'count',
            payload: { n: i + k },
            status: 'pending' as const,
            runAt: new Date(0),
            createdAt: new Date(0),
            updatedAt: new Date(0),
          })),
        );
      }
      await db.execute(sql`create table if not exists job_exec (job_id text not null, worker text not null)`);
      await db.execute(sql`truncate job_exec`);
      const executions = new Map<string, string[]>();
      const pools = await extraPools(database(), 4);
      try {
        const loop = async (pool: Database, workerId: string) => {
          for (;;) {
            const claimed = await claimJobs(pool.db, clock, { workerId, limit: 7 });
            if (claimed.length === 0) return;
            for (const job of claimed) {
              executions.set(job.id, [...(executions.get(job.id) ?? []), workerId]);
              await pool.db.execute(sql`insert into job_exec values (${job.id}, ${workerId})`);
              expect(await succeedJob(pool.db, clock, job)).toBe(true);
            }
          }
        };
        await Promise.all(pools.map((p, i) => loop(p, `w${i}`)));
      } finally {
        await Promise.all(pools.map((p) => p.close()));
      }
      expect(executions.size).toBe(200);
      expect([...executions.values()].filter((ws) => ws.length !== 1)).toEqual([]);
      const perJob = (await db.execute(sql`select count(*)::int as n, count(distinct job_id)::int as d from job_exec`)) as unknown as { rows: { n: number; d: number }[] };
      expect(perJob.rows[0]).toEqual({ n: 200, d: 200 });
      const states = (await db.execute(sql`select status, count(*)::int as n from jobs group by status`)) as unknown as { rows: unknown[] };
      expect(states.rows).toEqual([{ status: 'succeeded', n: 200 }]);
      // The load was actually shared (not one loop doing everything while the others found nothing).
      const workers = new Set([...executions.values()].flat());
      expect(workers.size).toBeGreaterThan(1);
    });

    it('4 workers (concurrency 3 each, separate pools) run 200 jobs exactly once', async () => {
      const db = database().db;
      const clock = systemClock;
      const executions = new Map<number, number>();
      const registry = new JobRegistry().register('count', async (_ctx, payload) => {
        const { n } = payload as { n: number };
        executions.set(n, (executions.get(n) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, Math.random() * 3));
      });
      for (let n = 0; n < 200; n++) await enqueueJob(ctxOf(db, clock), { kind: 'count', payload: { n } });
      const pools = await extraPools(database(), 4);
      const logger = memoryLogger();
      const workers = pools.map((p) => startWorker({ database: p, clock, registry, logger, pollMs: 10, concurrency: 3 }));
      try {
        await vi.waitFor(
          async () => {
            const r = (await db.execute(sql`select count(*)::int as n from jobs where status = 'succeeded'`)) as unknown as { rows: { n: number }[] };
            expect(r.rows[0]?.n).toBe(200);
          },
          { timeout: 20_000, interval: 50 },
        );
      } finally {
        await Promise.all(workers.map((w) => w.stop()));
        await Promise.all(pools.map((p) => p.close()));
      }
      expect(executions.size).toBe(200);
      expect([...executions.values()].every((c) => c === 1)).toBe(true);
      expect(logger.lines.filter((l) => l.level === 'warn' || l.level === 'error')).toEqual([]);
      const byWorker = (await db.execute(sql`select count(distinct locked_by)::int as n from jobs`)) as unknown as { rows: { n: number }[] };
      expect(byWorker.rows[0]?.n).toBeGreaterThan(1);
    });
  }
});
