import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, sql } from 'drizzle-orm';
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
import { openDatabase, type Database } from '../../src/store/database.js';
import { runMigrations } from '../../src/store/migrate.js';
import { jobs } from '../../src/store/schema.js';
import { backends, freshDatabase } from '../support/db.js';
import { ROOT } from '../support/processes.js';

const CUSTOMERS = 24;
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

async function seed(database: Database): Promise<void> {
  const clock = new ManualClock('2026-01-01T08:00:00Z');
  const ctx = { db: database.db, clock, actor: systemActor('test') };
  await activateCatalogConfig(ctx.db, clock, config, 'crash.yaml');
  const instanceId = (await createInstance(ctx, { slug: 'us' })).id;
  for (let i = 0; i < CUSTOMERS; i++) {
    const id = (await createCustomer(ctx, { instanceId, externalId: `team_${i}`, currency: 'usd' })).id;
    await subscribe(ctx, id, { items: [{ product: 'analytics' }], anchor: new Date('2026-01-01T00:00:00Z') });
  }
  clock.set('2026-01-31T12:00:00Z');
  const events = Array.from({ length: CUSTOMERS }, (_, i) => ({ id: `e${i}`, customer: `team_${i}`, metric: 'events', value: i + 1, timestamp: '2026-01-15T00:00:00Z' }));
  await ingestUsage(ctx, instanceId, events);
  await runDueJobs({ db: ctx.db, clock, registry: buildJobRegistry() }); // opening jobs; nothing to bill up front
}

/** Runs the due jobs in a separate process; with `killAfter`, kill -9 it after that many period closes. */
function runJobsProcess(target: string, at: string, killAfter?: number): Promise<{ code: number | null; signal: string | null; closed: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'test/support/scripts/run-due-jobs.ts', target, at], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let closed = 0;
    let buf = '';
    child.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const l of lines) {
        if (l === 'done invoice.close_period') closed++;
        if (killAfter !== undefined && closed >= killAfter) child.kill('SIGKILL');
      }
    });
    child.on('exit', (code, signal) => resolve({ code, signal, closed }));
  });
}

describe('period close killed midway (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const kind of backends()) {
    it(`still yields exactly one invoice per subscription period [${kind}]`, async () => {
      let target: string;
      let database: Database;
      if (kind === 'pglite') {
        target = join(dir, 'data');
        database = await openDatabase({ kind: 'pglite', dataDir: target }, new ManualClock('2026-01-01T00:00:00Z'));
        await runMigrations(database);
      } else {
        database = await freshDatabase('postgres');
        target = database.where; // trust auth: the URL has no password to redact
      }
      await seed(database);
      if (kind === 'pglite') await database.close(); // the children need the data directory's lock

      // The period ends Feb 1; invoices wait an hour. The first worker dies after a few invoices ...
      const first = await runJobsProcess(target, '2026-02-01T01:00:01Z', 5);
      expect(first.signal).toBe('SIGKILL');
      expect(first.closed).toBeGreaterThanOrEqual(5);
      expect(first.closed).toBeLessThan(CUSTOMERS);
      // ... and a restarted one, once the dead worker's leases have expired, finishes the job.
      const second = await runJobsProcess(target, '2026-02-01T01:10:00Z');
      expect(second.code).toBe(0);

      if (kind === 'pglite') database = await openDatabase({ kind: 'pglite', dataDir: target }, new ManualClock('2026-02-02T00:00:00Z'));
      try {
        const r = (await database.db.execute(
          sql`select subscription_id, period_start, count(*)::int as n, min(total)::text as total from invoices where subscription_id is not null group by 1, 2`,
        )) as unknown as { rows: { n: number; total: string }[] };
        expect(r.rows).toHaveLength(CUSTOMERS);
        expect(r.rows.every((row) => row.n === 1)).toBe(true);
        // Customer i used i + 1 events at 2¢: every invoice is there with its own amount.
        expect(r.rows.map((row) => Number(row.total)).sort((a, b) => a - b)).toEqual(Array.from({ length: CUSTOMERS }, (_, i) => 2 * (i + 1)));
        const stuck = await database.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.status, 'running'));
        expect(stuck).toEqual([]);
      } finally {
        await database.close();
      }
    }, 180_000);
  }
});
