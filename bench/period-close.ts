/**
 * Period close on PostgreSQL: N subscriptions with 3 metered items each and usage on all three, then the
 * month ends and worker loops close every period (one invoice each). Prints invoices/s and the time the
 * issue's 100,000 subscriptions would take at that rate. BENCH_CLOSE_SUBS sets N (default 1,000);
 * BENCH_CPU_PROFILE=FILE writes a CPU profile of the close.
 */
import { activateCatalogConfig } from '../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../src/billing/context.js';
import { createCustomer } from '../src/billing/customers/customers.js';
import { createInstance } from '../src/billing/instances/instances.js';
import { subscribe } from '../src/billing/subscriptions/index.js';
import { ingestUsage } from '../src/billing/usage/ingest-usage.js';
import { claimJobs, executeJobs, runDueJobs } from '../src/jobs/index.js';
import { buildJobRegistry } from '../src/jobs/registry-default.js';
import { ManualClock } from '../src/shared/clock.js';
import { busyPercent, freshPgDatabase, machineCpu, startProfile } from './support.js';

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

export async function benchPeriodClose(options: { subscriptions?: number; workers?: number } = {}): Promise<{ name: string; figures: Record<string, string | number> }> {
  const n = options.subscriptions ?? Number(process.env.BENCH_CLOSE_SUBS ?? 1000);
  const workers = options.workers ?? Number(process.env.BENCH_CLOSE_WORKERS ?? 2);
  const claimLimit = Number(process.env.BENCH_CLOSE_CLAIM ?? 500);
  const clock = new ManualClock('2026-01-01T08:00:00Z');
  const { database, drop } = await freshPgDatabase(clock);
  try {
    const ctx = { db: database.db, clock, actor: systemActor('bench') };
    await activateCatalogConfig(ctx.db, clock, config, 'bench.yaml');
    const instanceId = (await createInstance(ctx, { slug: 'bench' })).id;
    const t0 = performance.now();
    // Seeded 8 at a time (not timed).
    let nextSeed = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (nextSeed < n) {
          const i = nextSeed++;
          const id = (await createCustomer(ctx, { instanceId, externalId: `t${i}`, currency: 'usd' })).id;
          await subscribe(ctx, id, { items: [0, 1, 2].map((p) => ({ product: `product_${p}` })), anchor: new Date('2026-01-01T00:00:00Z') });
        }
      }),
    );
    clock.set('2026-01-31T12:00:00Z');
    const metrics = ['events', 'recordings', 'requests'];
    for (let i = 0; i < n; i += 300) {
      const events = [];
      for (let c = i; c < Math.min(n, i + 300); c++) for (const [m, metric] of metrics.entries()) events.push({ id: `${c}-${m}`, customer: `t${c}`, metric, value: 500 + ((c * 7919 + m * 104729) % 200_000), timestamp: '2026-01-20T00:00:00Z' });
      await ingestUsage(ctx, instanceId, events);
    }
    await runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() });
    const seedSec = (performance.now() - t0) / 1000;

    // Period end + grace: the roll-overs run, then every close job; `workers` loops claim in parallel.
    clock.set('2026-02-01T01:00:01Z');
    const registry = buildJobRegistry();
    const profile = await startProfile(process.env.BENCH_CPU_PROFILE);
    const cpu0 = machineCpu();
    const own0 = process.cpuUsage();
    const t1 = performance.now();
    let closed = 0;
    // Each loop claims like a worker slot: batchable kinds (roll-overs, closes) a batch at a time.
    await Promise.all(
      Array.from({ length: workers }, async (_, w) => {
        for (;;) {
          const claimed = await claimJobs(ctx.db, clock, { workerId: `bench-${w}`, limit: claimLimit });
          if (claimed.length === 0) return;
          const outcomes = await executeJobs({ db: ctx.db, clock, registry }, claimed);
          for (const job of claimed) if (job.kind === 'invoice.close_period' && outcomes.get(job.id)?.outcome === 'succeeded') closed++;
        }
      }),
    );
    // Roll-overs enqueue the close jobs, which may become claimable after a loop saw none: finish them.
    await runDueJobs({ db: ctx.db, clock, registry });
    const closeSec = (performance.now() - t1) / 1000;
    const own = process.cpuUsage(own0);
    const cpu1 = machineCpu();
    await profile.stop();
    const count = await ctx.db.execute(`select count(*)::int as n from invoices where subscription_id is not null`);
    const invoices = Number((count as unknown as { rows: { n: number }[] }).rows[0]?.n ?? 0);
    const rate = invoices / closeSec;
    return {
      name: 'period close (postgres)',
      figures: {
        subscriptions: n,
        itemsPerSubscription: 3,
        workers,
        claimPerRound: claimLimit,
        seedSeconds: Number(seedSec.toFixed(1)),
        invoices,
        closedByWorkerLoops: closed,
        closeSeconds: Number(closeSec.toFixed(2)),
        invoicesPerSecond: Math.round(rate),
        projectedSecondsFor100k: Math.round(100_000 / rate),
        'machine CPU busy during close (%)': busyPercent(cpu0, cpu1),
        'this process CPU µs per invoice': Math.round((own.user + own.system) / Math.max(1, invoices)),
      },
    };
  } finally {
    await drop();
  }
}

const entry = process.argv[1];
if (entry && import.meta.url.endsWith(entry.split('/').pop() ?? '')) {
  const r = await benchPeriodClose();
  console.log(r.name, r.figures);
}
