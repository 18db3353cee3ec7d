/**
 * Period close on PostgreSQL, as a deployment runs it: N subscriptions with 3 metered items each and usage
 * on all three; the month has ended; `processes` real `tally worker` processes (TALLY_WORKER_CONCURRENCY
 * slots each) roll the subscriptions over and close every period (one invoice each). Timed from the moment
 * the due jobs are released to the workers until no due job is left. Prints invoices/s, the time the
 * issue's 100,000 subscriptions would take at that rate, and where the CPU went. BENCH_CLOSE_SUBS sets N
 * (default 5,000), BENCH_CLOSE_PROCESSES and BENCH_CLOSE_CONCURRENCY the workers (default 2 × 2);
 * BENCH_CPU_PROFILE_DIR=DIR makes each worker write a CPU profile there. For PostgreSQL's side:
 * BENCH_PG_STATS=1 prints the close's top statements (pg_stat_statements must be preloaded) and its WAL by
 * record type (pg_walinspect); BENCH_AUTO_EXPLAIN=MS makes the server log the plan of every statement of the
 * workers slower than MS. BENCH_CLOSE_KEEP_SEED=1 keeps the seeded database for the next run.
 */
import type { ChildProcess } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { activateCatalogConfig } from '../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../src/billing/context.js';
import { createCustomer } from '../src/billing/customers/customers.js';
import { createInstance } from '../src/billing/instances/instances.js';
import { subscribe } from '../src/billing/subscriptions/index.js';
import { ingestUsage } from '../src/billing/usage/ingest-usage.js';
import { runDueJobs } from '../src/jobs/index.js';
import { buildJobRegistry } from '../src/jobs/registry-default.js';
import { ManualClock, systemClock } from '../src/shared/clock.js';
import type { Db } from '../src/store/database.js';
import { busyPercent, copyPgDatabase, freshPgDatabase, machineCpu, pgDatabaseExists, pgStats, processCpuSeconds, queryRows, startTallyProcess, stealPercent, stopProcess } from './support.js';

const config = `
version: 1
products:
${['events', 'recordings', 'requests']
  .map(
    (metric, i) => `  - key: product_${i}
    name: Product ${i}
    metric: ${metric}
    unit: unit
    default_plan: paid
    plans:
      paid:
        name: Paid
        prices:
          - currency: usd
            interval: month
            metered: { aggregation: sum }
            tiered:
              mode: graduated
              tiers: [{ up_to: 1000, unit_amount: 0 }, { up_to: 100000, unit_amount: 0.5 }, { up_to: inf, unit_amount: 0.2 }]`,
  )
  .join('\n')}
`;

const DAY = 86_400_000;

/** Last month, as a subscription anchored on the 1st bills it: ended at least 2 hours ago (grace is 1 hour). */
function lastMonth(now: Date): { start: Date; end: Date } {
  const y = now.getUTCFullYear();
  let m = now.getUTCMonth();
  if (now.getTime() - Date.UTC(y, m, 1) < 2 * 3_600_000) m -= 1;
  return { start: new Date(Date.UTC(y, m - 1, 1)), end: new Date(Date.UTC(y, m, 1)) };
}


/** Starts a `tally worker` on the database and resolves once it says it is running. */
const startWorkerProcess = (url: string, concurrency: number): Promise<ChildProcess> =>
  startTallyProcess('worker', { DATABASE_URL: url, TALLY_WORKER_CONCURRENCY: String(concurrency), TALLY_WORKER_POLL_MS: '50' });

type Ctx = Parameters<typeof createCustomer>[0];

/** Customers `${prefix}0…` with a 3-item subscription each, seeded 8 at a time (not timed). */
async function seedSubscriptions(ctx: Ctx, instanceId: string, prefix: string, count: number, anchor: Date): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        const id = (await createCustomer(ctx, { instanceId, externalId: `${prefix}${i}`, currency: 'usd' })).id;
        await subscribe(ctx, id, { items: [0, 1, 2].map((p) => ({ product: `product_${p}` })), anchor });
      }
    }),
  );
}

/** One usage event per metric for each of those customers. */
async function seedUsage(ctx: Ctx, instanceId: string, prefix: string, count: number, at: string): Promise<void> {
  const metrics = ['events', 'recordings', 'requests'];
  for (let i = 0; i < count; i += 300) {
    const events = [];
    for (let c = i; c < Math.min(count, i + 300); c++) {
      for (const [m, metric] of metrics.entries()) events.push({ id: `${prefix}${c}-${m}`, customer: `${prefix}${c}`, metric, value: 500 + ((c * 7919 + m * 104729) % 200_000), timestamp: at });
    }
    await ingestUsage(ctx, instanceId, events);
  }
}

/**
 * The warm-up and the timed subscriptions, their usage, and their roll-over jobs due at the month's end
 * (warm-up ones a day earlier). Not timed.
 */
async function seedMonth(ctx: Ctx, n: number, period: { start: Date; end: Date }): Promise<void> {
  const clock = ctx.clock as ManualClock;
  await activateCatalogConfig(ctx.db, clock, config, 'bench.yaml');
  const instanceId = (await createInstance(ctx, { slug: 'bench' })).id;
  // Warm-up subscriptions, anchored a day earlier: their month ends first and is closed before the timed
  // one, so the timed close runs on workers whose code is already compiled, as in a long close.
  const warm = Math.min(1000, Math.max(10, Math.round(n / 5)));
  const warmAnchor = new Date(period.start.getTime() - DAY);
  clock.set(new Date(warmAnchor.getTime() + 8 * 3_600_000));
  await seedSubscriptions(ctx, instanceId, 'w', warm, warmAnchor);
  clock.set(new Date(period.start.getTime() + 8 * 3_600_000));
  await seedSubscriptions(ctx, instanceId, 't', n, period.start);
  clock.set(new Date(period.end.getTime() - DAY / 2));
  const usageAt = new Date(period.end.getTime() - 5 * DAY).toISOString();
  await seedUsage(ctx, instanceId, 'w', warm, usageAt);
  await seedUsage(ctx, instanceId, 't', n, usageAt);
  await runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() });
}

/** Releases the held jobs (those originally due before `until`, or all), then waits until none is due. */
async function release(db: Db, until: Date | null): Promise<void> {
  await db.execute(
    until
      ? sql`update jobs set run_at = run_at - interval '100 years' where status = 'pending' and run_at > now() + interval '50 years' and run_at - interval '100 years' < ${until.toISOString()}::timestamptz`
      : sql`update jobs set run_at = run_at - interval '100 years' where status = 'pending' and run_at > now() + interval '50 years'`,
  );
  // An index probe, not a count: polling must not cost the database what it is measuring.
  for (;;) {
    const [left] = await queryRows<{ due: boolean }>(db, sql`select exists (select 1 from jobs where status = 'pending' and run_at <= now()) or exists (select 1 from jobs where status = 'running') as due`);
    if (left?.due === false) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function benchPeriodClose(options: { subscriptions?: number; processes?: number; concurrency?: number } = {}): Promise<{ name: string; figures: Record<string, string | number> }> {
  const n = options.subscriptions ?? Number(process.env.BENCH_CLOSE_SUBS ?? 5000);
  const processes = options.processes ?? Number(process.env.BENCH_CLOSE_PROCESSES ?? 2);
  const concurrency = options.concurrency ?? Number(process.env.BENCH_CLOSE_CONCURRENCY ?? 2);
  const period = lastMonth(systemClock.now());
  const clock = new ManualClock(new Date(period.start.getTime() - DAY + 8 * 3_600_000));
  // BENCH_CLOSE_KEEP_SEED=1 keeps the seeded database (per size and month) and copies it on later runs:
  // seeding 100,000 subscriptions through the services takes about 10 minutes, the copy seconds.
  const seedName = process.env.BENCH_CLOSE_KEEP_SEED === '1' ? `tally_bench_seed_${n}_${period.start.toISOString().slice(0, 7).replace('-', '')}` : null;
  const t0 = performance.now();
  let fresh = seedName && (await pgDatabaseExists(seedName)) ? await freshPgDatabase(clock, { template: seedName }) : null;
  if (!fresh) {
    fresh = await freshPgDatabase(clock);
    await seedMonth({ db: fresh.database.db, clock, actor: systemActor('bench') }, n, period);
    if (seedName) {
      await fresh.database.close();
      await copyPgDatabase(fresh.name, seedName);
      await fresh.drop();
      fresh = await freshPgDatabase(clock, { template: seedName });
    }
  }
  const { database, url, drop } = fresh;
  const workers: ChildProcess[] = [];
  try {
    const ctx = { db: database.db, clock, actor: systemActor('bench') };
    // The month has ended (in real time): hold its due jobs until every worker process is up, so their
    // start-up is not timed; release the warm-up month, wait for it, then release the timed month at once.
    await ctx.db.execute(sql`update jobs set run_at = run_at + interval '100 years' where status = 'pending'`);
    // A deployment reaches its month end with its tables vacuumed and analyzed and the month's writes
    // checkpointed long ago; this server runs with autovacuum off, so the bench does that itself.
    await ctx.db.execute(sql`vacuum analyze`);
    await ctx.db.execute(sql`checkpoint`);
    const seedSec = (performance.now() - t0) / 1000;
    if (process.env.BENCH_AUTO_EXPLAIN) {
      const name = new URL(url).pathname.slice(1);
      for (const setting of [`session_preload_libraries = 'auto_explain'`, `auto_explain.log_min_duration = ${process.env.BENCH_AUTO_EXPLAIN}`, 'auto_explain.log_analyze = on', 'auto_explain.log_buffers = on', 'auto_explain.log_nested_statements = on'])
        await ctx.db.execute(sql.raw(`alter database "${name}" set ${setting}`));
    }
    for (let p = 0; p < processes; p++) workers.push(await startWorkerProcess(url, concurrency));
    await release(ctx.db, period.end);
    const [before] = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from invoices where subscription_id is not null`);
    const stats = await pgStats(ctx.db);
    const [wal0] = await queryRows<{ lsn: string }>(ctx.db, sql`select pg_current_wal_lsn()::text as lsn`);
    const cpu0 = machineCpu();
    const own0 = workers.map((w) => processCpuSeconds(w.pid));
    const t1 = performance.now();
    await release(ctx.db, null);
    const closeSec = (performance.now() - t1) / 1000;
    const cpu1 = machineCpu();
    const [wal] = await queryRows<{ bytes: string }>(ctx.db, sql`select pg_wal_lsn_diff(pg_current_wal_lsn(), ${wal0?.lsn ?? '0/0'}::pg_lsn)::text as bytes`);
    await stats.print();
    const workerCpu = workers.reduce((sum, w, i) => sum + processCpuSeconds(w.pid) - (own0[i] ?? 0), 0);
    const [count] = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from invoices where subscription_id is not null`);
    const [failed] = await queryRows<{ n: number }>(ctx.db, sql`select count(*)::int as n from jobs where status = 'failed'`);
    const invoices = (count?.n ?? 0) - (before?.n ?? 0);
    const rate = invoices / closeSec;
    return {
      name: 'period close (postgres)',
      figures: {
        subscriptions: n,
        itemsPerSubscription: 3,
        'worker processes × slots': `${processes} × ${concurrency}`,
        seedSeconds: Number(seedSec.toFixed(1)),
        'warm-up closes (not timed)': before?.n ?? 0,
        invoices,
        'failed jobs': failed?.n ?? 0,
        closeSeconds: Number(closeSec.toFixed(2)),
        invoicesPerSecond: Math.round(rate),
        projectedSecondsFor100k: Math.round(100_000 / rate),
        'goal: 100,000 in under 60 s': 100_000 / rate < 60 ? 'met' : 'NOT met',
        'machine CPU busy during close (%)': busyPercent(cpu0, cpu1),
        'CPU stolen by the host during close (%)': stealPercent(cpu0, cpu1),
        'worker processes CPU µs per invoice': Math.round((workerCpu * 1e6) / Math.max(1, invoices)),
        'WAL bytes per invoice': Math.round(Number(wal?.bytes ?? 0) / Math.max(1, invoices)),
      },
    };
  } finally {
    await Promise.all(workers.map(stopProcess));
    await drop();
  }
}

const entry = process.argv[1];
if (entry && import.meta.url.endsWith(entry.split('/').pop() ?? '')) {
  const r = await benchPeriodClose();
  console.log(r.name, r.figures);
}
