/**
 * Current-period usage read for one customer with millions of raw events in the table (PostgreSQL):
 * `usageForPeriod` reads only the daily aggregates, so its latency must not grow with the raw table.
 * Loads BENCH_USAGE_ROWS raw events (default 10 million) for ~1,000 customers with COPY, builds their
 * daily aggregates with one INSERT … SELECT … GROUP BY, then times 2,000 reads: p50/p99 (goal p99 < 5 ms).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { systemActor } from '../src/billing/context.js';
import { usageForPeriod } from '../src/billing/usage/read-usage.js';
import { systemClock } from '../src/shared/clock.js';
import { BENCH_PG_URL, freshPgDatabase, percentile } from './support.js';

const DAY = 86_400_000;

/** True when the benchmark PostgreSQL answers within a couple of seconds. */
export async function postgresAnswers(url = BENCH_PG_URL): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The raw events as COPY text, generated in chunks so 10 million rows never sit in memory at once. */
function copyRows(rows: number, customers: number, periodStart: number, days: number): Readable {
  let i = 0;
  const received = new Date(periodStart + days * DAY).toISOString();
  const span = days * DAY;
  const perCustomer = Math.ceil(rows / customers);
  return new Readable({
    read() {
      if (i >= rows) {
        this.push(null);
        return;
      }
      const end = Math.min(rows, i + 20_000);
      let chunk = '';
      for (; i < end; i++) {
        // Customer after customer, each one's events in time order spread evenly over the span: COPY then
        // appends to a narrow region of each index instead of scattering writes over all of it.
        const c = Math.floor(i / perCustomer);
        const k = i % perCustomer;
        const t = new Date(periodStart + Math.floor(((k + 0.5) * span) / perCustomer) + ((c * 13) % 1_000)).toISOString();
        chunk += `cus_bench_${String(c).padStart(4, '0')}\tev_${i}\tevents\t${1 + (i % 10)}\t${t}\t\\N\t${received}\n`;
      }
      this.push(chunk);
    },
  });
}

export async function benchUsageRead(options: { rows?: number; customers?: number; reads?: number } = {}): Promise<{ name: string; figures: Record<string, string | number> }> {
  const rows = options.rows ?? Number(process.env.BENCH_USAGE_ROWS ?? 10_000_000);
  const customers = options.customers ?? 1_000;
  const reads = options.reads ?? 2_000;
  if (!(await postgresAnswers())) {
    const note = `skipped: no PostgreSQL at ${new URL(BENCH_PG_URL).host} (set BENCH_DATABASE_URL or TEST_DATABASE_URL)`;
    process.stderr.write(`usage-read ${note}\n`);
    return { name: 'usage-read', figures: { status: note } };
  }
  const { database, url, drop } = await freshPgDatabase(systemClock);
  try {
    // Two months of events, so the read covers one 31-day period among other days.
    const periodStart = Date.UTC(2026, 0, 1);
    const days = 59;
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    let loadMs: number;
    let aggregateMs: number;
    try {
      const t0 = performance.now();
      await pipeline(copyRows(rows, customers, periodStart, days), client.query(copyFrom('copy usage_events (customer_id, event_id, metric, value, timestamp, properties, received_at) from stdin')));
      loadMs = performance.now() - t0;
      const t1 = performance.now();
      await client.query(`
        insert into usage_daily (customer_id, metric, day, shard, sum, count, max, last_value, last_at)
        select customer_id, metric, (timestamp at time zone 'UTC')::date, 0, sum(value), count(*), max(value),
               (array_agg(value order by timestamp desc, event_id desc))[1], max(timestamp)
        from usage_events group by 1, 2, 3`);
      aggregateMs = performance.now() - t1;
      await client.query('vacuum analyze usage_events');
      await client.query('vacuum analyze usage_daily');
      // Flush the load's dirty pages now, so a background checkpoint does not land among the timed reads.
      await client.query('checkpoint').catch(() => undefined);
    } finally {
      await client.end();
    }

    const ctx = { db: database.db, clock: systemClock, actor: systemActor('bench') };
    const start = new Date(Date.UTC(2026, 0, 15));
    const end = new Date(Date.UTC(2026, 1, 15));
    const customer = 'cus_bench_0042';
    const expected = await usageForPeriod(ctx, customer, 'events', 'count', start, end);
    for (let i = 0; i < 100; i++) await usageForPeriod(ctx, customer, 'events', 'sum', start, end); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < reads; i++) {
      const t = performance.now();
      await usageForPeriod(ctx, customer, 'events', 'sum', start, end);
      samples.push(performance.now() - t);
    }
    samples.sort((a, b) => a - b);
    const p99 = percentile(samples, 99);
    return {
      name: 'usage-read',
      figures: {
        'raw events': rows,
        customers,
        'COPY load (s)': loadMs / 1000,
        'COPY rows/s': Math.round(rows / (loadMs / 1000)),
        'aggregate build (s)': aggregateMs / 1000,
        'events in the read period': Number(expected.toString()),
        reads,
        'p50 (ms)': percentile(samples, 50),
        'p90 (ms)': percentile(samples, 90),
        'p99 (ms)': p99,
        'max (ms)': samples[samples.length - 1] ?? NaN,
        'goal p99 < 5 ms': p99 < 5 ? 'met' : 'NOT met',
        // Tail latencies on a small machine follow whatever else runs on it.
        'load average (1 min)': loadavg()[0] ?? NaN,
      },
    };
  } finally {
    await drop();
  }
}
