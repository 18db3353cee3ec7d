/**
 * kill -9 of a real `tally usage import` midway. The resumed import, and an import of the whole file again,
 * leave every event counted exactly once: in the stored events and in the daily aggregates invoices read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { usageForPeriod } from '../../src/billing/usage/read-usage.js';
import { ManualClock } from '../../src/shared/clock.js';
import { setFileClock } from '../../src/shared/file-clock.js';
import { backends } from '../support/db.js';
import { runTally } from '../support/processes.js';
import { processDb, type ProcessDb, type Rows } from './support.js';

const CUSTOMERS = 20;
const EVENTS = 12_000;
const config = `
version: 1
products:
  - key: analytics
    name: Analytics
    metric: events
    unit: event
    default_plan: free
    plans:
      free:
        name: Free
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
`;

describe('kill -9 during tally usage import (real processes)', () => {
  const dbs: ProcessDb[] = [];
  afterAll(async () => {
    for (const d of dbs) await d.drop();
  });

  for (const kind of backends()) {
    it(`a resumed import counts every event exactly once [${kind}]`, async () => {
      const pdb = await processDb(kind);
      dbs.push(pdb);
      const clock = new ManualClock('2026-01-20T00:00:00Z');
      const customerIds = await pdb.use(async (d) => {
        const ctx = { db: d.db, clock, actor: systemActor('test') };
        await activateCatalogConfig(d.db, clock, config, 'import.yaml');
        const instanceId = (await createInstance(ctx, { slug: 'us' })).id;
        const ids: string[] = [];
        for (let i = 0; i < CUSTOMERS; i++) ids.push((await createCustomer(ctx, { instanceId, externalId: `team_${i}`, currency: 'usd' })).id);
        return ids;
      });
      // Event n: customer n mod 20, value (n mod 5) + 1, on day (n mod 19) + 1 of January. Every 100th line
      // repeats the id of the line 50 before it (a duplicate within the file).
      const lines: string[] = [];
      for (let n = 0; n < EVENTS; n++) {
        const id = n % 100 === 99 ? n - 50 : n;
        lines.push(JSON.stringify({ id: `ev${id}`, customer: `team_${id % CUSTOMERS}`, metric: 'events', value: (id % 5) + 1, timestamp: `2026-01-${String((id % 19) + 1).padStart(2, '0')}T10:00:00Z` }));
      }
      const file = join(pdb.dir, 'usage.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n`);
      const clockFile = join(pdb.dir, 'clock');
      setFileClock(clockFile, '2026-01-20T00:00:00Z');
      const env = { ...pdb.env, TALLY_TEST_CLOCK_FILE: clockFile, LOG_LEVEL: 'debug' };

      const victim = runTally(['usage', 'import', file, '--instance', 'us', '--batch', '200'], env);
      const killAt = () => {
        if ((victim.output().match(/batch committed/g) ?? []).length >= 5) victim.child.kill('SIGKILL');
      };
      victim.child.stdout?.on('data', killAt);
      victim.child.stderr?.on('data', killAt);
      await victim.exited;
      expect(victim.child.signalCode).toBe('SIGKILL');
      const partial = await pdb.use(async (d) => ((await d.db.execute(sql`select count(*)::int as n from usage_events`)) as unknown as Rows<{ n: number }>).rows[0]!.n);
      expect(partial).toBeGreaterThanOrEqual(5 * 198);
      expect(partial).toBeLessThan(11_880); // the distinct events of the file (see below)

      const resumed = runTally(['usage', 'import', file, '--instance', 'us', '--batch', '200', '--resume'], env);
      expect(await resumed.exited).toBe(0);
      expect(resumed.output()).toMatch(/resumed after line/);
      // Importing the whole file again from the start finds only duplicates.
      const again = runTally(['usage', 'import', file, '--instance', 'us', '--batch', '500'], env);
      expect(await again.exited).toBe(0);
      expect(again.output()).toMatch(/: 0 accepted, 12,000 duplicates, 0 rejected/);

      await pdb.use(async (d) => {
        // 12,000 lines, of which 120 repeat an earlier id: 11,880 distinct events. Each group of 100 lines
        // (ids 100k … 100k+98, plus a repeat) has values 1‥5 repeating: 99 ids sum to 19 × 15 + 1 + 2 + 3 + 4 = 295;
        // 120 groups: 35,400.
        const stored = ((await d.db.execute(sql`select count(*)::int as n, sum(value)::bigint::text as total from usage_events`)) as unknown as Rows<{ n: number; total: string }>).rows[0];
        expect(stored).toEqual({ n: 11_880, total: '35400' });
        // The aggregates invoices are priced from agree with the events, per customer.
        const ctx = { db: d.db, clock, actor: systemActor('test') };
        let aggregated = 0n;
        for (const [i, id] of customerIds.entries()) {
          const fromEvents = ((await d.db.execute(sql`select coalesce(sum(value), 0)::bigint::text as s from usage_events where customer_id = ${id}`)) as unknown as Rows<{ s: string }>).rows[0]!.s;
          const agg = await usageForPeriod(ctx, id, 'events', 'sum', new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
          expect(agg.toString(), `customer ${i}`).toBe(fromEvents);
          aggregated += BigInt(agg.toString());
        }
        expect(aggregated).toBe(35_400n);
      });
    }, 300_000);
  }
});
