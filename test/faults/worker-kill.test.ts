/**
 * kill -9 of a real `tally worker` in the middle of closing periods. After restarts, every invoice exists
 * exactly once with its amount, and a job the dead worker held is reclaimed once its lease expires.
 */
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { subscribe } from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { runDueJobs } from '../../src/jobs/index.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { ManualClock } from '../../src/shared/clock.js';
import { setFileClock } from '../../src/shared/file-clock.js';
import type { Database } from '../../src/store/database.js';
import { backends } from '../support/db.js';
import { runTally, type Proc } from '../support/processes.js';
import { processDb, type ProcessDb, type Rows } from './support.js';

const config = `
version: 1
products:
  - key: analytics
    name: Analytics
    metric: events
    unit: event
    default_plan: paid
    plans:
      paid:
        name: Paid
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 2 }, metered: { aggregation: sum } }]
`;

async function seed(database: Database, CUSTOMERS: number): Promise<void> {
  const clock = new ManualClock('2026-01-01T08:00:00Z');
  const ctx = { db: database.db, clock, actor: systemActor('test') };
  await activateCatalogConfig(ctx.db, clock, config, 'faults.yaml');
  const instanceId = (await createInstance(ctx, { slug: 'us' })).id;
  for (let i = 0; i < CUSTOMERS; i++) {
    const id = (await createCustomer(ctx, { instanceId, externalId: `team_${i}`, currency: 'usd' })).id;
    await subscribe(ctx, id, { items: [{ product: 'analytics' }], anchor: new Date('2026-01-01T00:00:00Z') });
  }
  clock.set('2026-01-31T12:00:00Z');
  await ingestUsage(ctx, instanceId, Array.from({ length: CUSTOMERS }, (_, i) => ({ id: `e${i}`, customer: `team_${i}`, metric: 'events', value: i + 1, timestamp: '2026-01-15T00:00:00Z' })));
  await runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() });
}

const CLOSED = /job invoice\.close_period succeeded/g;
/** Period closes due at one instant run as one batch (one transaction): killed as it starts, none or all commit. */
const CLOSE_BATCH_STARTED = /job batch invoice\.close_period of \d+ started/;
const closedCount = (p: Proc) => (p.output().match(CLOSED) ?? []).length;

/** Resolves once the process has logged no finished job for `quietMs` (nothing left that is due). */
async function quiet(p: Proc, quietMs = 3_000, maxMs = 120_000): Promise<void> {
  const start = performance.now();
  let seen = -1;
  let since = performance.now();
  for (;;) {
    const n = (p.output().match(/succeeded/g) ?? []).length;
    if (n !== seen) {
      seen = n;
      since = performance.now();
    } else if (performance.now() - since >= quietMs) return;
    if (performance.now() - start > maxMs) throw new Error(`worker never went quiet:\n${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function stopGracefully(p: Proc): Promise<void> {
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
}

describe('kill -9 of a worker during period close (real processes)', () => {
  const dbs: ProcessDb[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  for (const kind of backends()) {
    it(`every invoice exactly once, and the dead worker's job is reclaimed after its lease [${kind}]`, async () => {
      // PGlite closes periods more slowly in one process: fewer subscriptions still leave time to kill midway.
      const CUSTOMERS = kind === 'pglite' ? 24 : 40;
      const pdb = await processDb(kind);
      dbs.push(pdb);
      await pdb.use((d) => seed(d, CUSTOMERS));
      const clockFile = `${pdb.dir}/clock`;
      const env = { ...pdb.env, TALLY_TEST_CLOCK_FILE: clockFile, LOG_LEVEL: 'debug' };
      // Periods end Feb 1 00:00; invoices are due an hour later.
      setFileClock(clockFile, '2026-02-01T01:00:01Z');

      const victim = runTally(['worker'], env);
      // Killed from the output handler itself, the moment the batch of period closes starts.
      const killAtBatch = () => {
        if (CLOSE_BATCH_STARTED.test(victim.output())) victim.child.kill('SIGKILL');
      };
      victim.child.stdout?.on('data', killAtBatch);
      victim.child.stderr?.on('data', killAtBatch);
      await victim.exited;
      expect(victim.child.signalCode).toBe('SIGKILL');
      // The batch is one transaction: the kill left none of its invoices or all of them, never some.
      const invoicedAtKill = await pdb.use(async (d) => ((await d.db.execute(sql`select count(*)::int as n from invoices where subscription_id is not null`)) as unknown as Rows<{ n: number }>).rows[0]?.n);
      expect([0, CUSTOMERS]).toContain(invoicedAtKill);
      if (closedCount(victim) > 0) expect(invoicedAtKill).toBe(CUSTOMERS);

      // What the dead worker held: its batch of period closes (one slot), nothing else.
      const running = await pdb.use(async (d) => ((await d.db.execute(sql`select id, kind from jobs where status = 'running' order by id`)) as unknown as Rows<{ id: string; kind: string }>).rows);
      expect(running.every((j) => j.kind === 'invoice.close_period')).toBe(true);

      // A new worker at the same instant does everything else, but not a job still leased to the dead one.
      const second = runTally(['worker'], env);
      await second.waitFor(/Tally worker \S+ is running/, 60_000);
      await quiet(second);
      await stopGracefully(second);
      const afterSecond = await pdb.use(async (d) => ((await d.db.execute(sql`select id, status from jobs where status <> 'succeeded'`)) as unknown as Rows<{ id: string; status: string }>).rows);
      expect(afterSecond.filter((j) => j.status === 'running').map((j) => j.id).sort()).toEqual(running.map((j) => j.id).sort());
      expect(afterSecond.filter((j) => j.status === 'failed')).toEqual([]);

      // Past the 5-minute lease, the held job is reclaimed and finished.
      setFileClock(clockFile, '2026-02-01T01:06:00Z');
      const third = runTally(['worker'], env);
      await third.waitFor(/Tally worker \S+ is running/, 60_000);
      await quiet(third);
      await stopGracefully(third);

      await pdb.use(async (d) => {
        const invoices = ((await d.db.execute(
          sql`select subscription_id, count(*)::int as n, min(total)::text as total from invoices where subscription_id is not null group by subscription_id, period_start`,
        )) as unknown as Rows<{ n: number; total: string }>).rows;
        expect(invoices).toHaveLength(CUSTOMERS);
        expect(invoices.every((r) => r.n === 1)).toBe(true);
        // Customer i used i + 1 events at 2¢.
        expect(invoices.map((r) => Number(r.total)).sort((a, b) => a - b)).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => 2 * (i + 1)));
        const left = ((await d.db.execute(sql`select id, kind, status from jobs where status in ('running', 'failed') or (status = 'pending' and run_at <= '2026-02-01T01:06:00Z')`)) as unknown as Rows<unknown>).rows;
        expect(left).toEqual([]);
      });
    }, 300_000);
  }
});
