/**
 * Scale-out: two `tally serve` processes and one `tally worker` on one PostgreSQL database, with one test
 * clock file driving a month of billing through all three. Usage goes in through both API nodes (with
 * retries sent to the other node); the period closes on whichever worker claims it. Every invoice must
 * exist exactly once with the right amount, every event must be counted once, and a change made through
 * one node must be seen by the others at once (entitlement cache, invoice grace setting).
 */
import { sql } from 'drizzle-orm';
import { afterAll, expect, it } from 'vitest';
import { describeDb } from '../support/db.js';
import { call, cluster, until, type Cluster } from '../support/cluster.js';

const CUSTOMERS = 12;
const UNIT_CENTS = 3;
export const CONFIG = `
version: 1
products:
  - key: api
    name: API
    metric: calls
    unit: call
    default_plan: free
    plans:
      free:
        name: Free
        features: [{ key: projects, name: Projects, limit: 1 }]
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
      pro:
        name: Pro
        features: [{ key: projects, name: Projects, limit: 10 }]
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: ${UNIT_CENTS} }, metered: { aggregation: sum } }]
`;

type Rows<T> = { rows: T[] };

describeDb('several processes on one PostgreSQL', (database, kind) => {
  if (kind !== 'postgres') {
    it('is a PostgreSQL-only suite (PGlite is one process by design)', () => expect(kind).toBe('pglite'));
    return;
  }
  let c: Cluster | undefined;
  afterAll(async () => c?.stop());

  const q = async <T>(text: ReturnType<typeof sql>) => ((await database().db.execute(text)) as unknown as Rows<T>).rows;

  it('2 × serve + 1 × worker: a month of usage, one invoice per subscription with the right total, each event once', async () => {
    c = cluster(database().where, CONFIG, '2026-01-01T00:00:00Z');
    // A is API-only and sets the grace period; B serves and works; C only works. Neither B nor C sets the grace.
    const a = await c.serve({ TALLY_WORKER: 'off', TALLY_INVOICE_GRACE_MINUTES: '30' }, true);
    expect(a.instanceKey).toMatch(/^tally_ik_/);
    const key = a.instanceKey!;
    const [b] = await Promise.all([c.serve(), c.worker()]);
    const nodes = [a.url, b.url];

    // Customers created and subscribed through alternating nodes.
    const ids: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) {
      const node = nodes[i % 2]!;
      const cus = await call(node, key, 'POST', '/v1/customers', { external_id: `team_${i}`, currency: 'usd' });
      expect(cus.status, JSON.stringify(cus.body)).toBe(201);
      ids.push(cus.body.id);
      const sub = await call(nodes[(i + 1) % 2]!, key, 'POST', `/v1/customers/${cus.body.id}/subscription`, { items: [{ product: 'api', plan: 'pro' }] });
      expect(sub.status, JSON.stringify(sub.body)).toBe(201);
    }

    // Each day of January: customer i reports i + 1 calls through one node; the same batch is retried
    // through the other node (as a client whose first attempt timed out would), and must count once.
    for (let day = 1; day <= 31; day++) {
      const at = `2026-01-${String(day).padStart(2, '0')}T12:00:00.000Z`;
      c.setTime(at);
      const events = ids.map((id, i) => ({ id: `d${day}-c${i}`, customer: id, metric: 'calls', value: i + 1, timestamp: at }));
      const first = await call(nodes[day % 2]!, key, 'POST', '/v1/usage', { events });
      expect(first.status).toBe(200);
      expect(first.body).toMatchObject({ accepted: CUSTOMERS, duplicates: 0, rejected: 0 });
      const retry = await call(nodes[(day + 1) % 2]!, key, 'POST', '/v1/usage', { events });
      expect(retry.body).toMatchObject({ accepted: 0, duplicates: CUSTOMERS, rejected: 0 });

      if (day === 15) {
        // Entitlements are cached per process: warm A's cache, change the plan through B, read through A.
        const before = await call(a.url, key, 'GET', `/v1/customers/${ids[0]}/entitlements/projects`);
        expect(before.body).toMatchObject({ enabled: true, limit: 10 });
        await call(a.url, key, 'GET', `/v1/customers/${ids[0]}/entitlements/projects`);
        const change = await call(b.url, key, 'POST', `/v1/customers/${ids[0]}/subscription/change`, { product: 'api', plan: 'free' });
        expect(change.status, JSON.stringify(change.body)).toBe(200);
        const after = await call(a.url, key, 'GET', `/v1/customers/${ids[0]}/entitlements/projects`);
        expect(after.body).toMatchObject({ enabled: true, limit: 1 });
        const back = await call(a.url, key, 'POST', `/v1/customers/${ids[0]}/subscription/change`, { product: 'api', plan: 'pro' });
        expect(back.status).toBe(200);
        expect((await call(b.url, key, 'GET', `/v1/customers/${ids[0]}/entitlements/projects`)).body).toMatchObject({ limit: 10 });
      }
    }

    // The period ends at Feb 1 00:00. Whichever worker (B or C) rolls it over must wait the 30 minutes
    // A stored, not a default of its own.
    c.setTime('2026-02-01T00:00:05Z');
    const closeJobs = await until('the close-period jobs of every subscription', async () => {
      const rows = await q<{ run_at: Date | string }>(sql`select run_at from jobs where kind = 'invoice.close_period'`);
      return rows.length === CUSTOMERS ? rows : undefined;
    });
    expect(new Set(closeJobs.map((r) => new Date(r.run_at).toISOString()))).toEqual(new Set(['2026-02-01T00:30:00.000Z']));

    // Late usage for January within the grace period, through B: still on January's invoice (R17).
    c.setTime('2026-02-01T00:10:00Z');
    const late = await call(b.url, key, 'POST', '/v1/usage', { events: ids.map((id, i) => ({ id: `late-c${i}`, customer: id, metric: 'calls', value: 5, timestamp: '2026-01-31T23:00:00Z' })) });
    expect(late.body).toMatchObject({ accepted: CUSTOMERS, rejected: 0 });
    const noInvoicesYet = await q<{ n: number }>(sql`select count(*)::int as n from invoices where subscription_id is not null and total > 0`);
    expect(noInvoicesYet[0]?.n).toBe(0);

    c.setTime('2026-02-01T00:31:00Z');
    const invoices = await until('one invoice per subscription period', async () => {
      const rows = await q<{ customer_id: string; n: number; total: string; status: string }>(
        sql`select customer_id, count(*)::int as n, min(total)::text as total, min(status) as status from invoices where subscription_id is not null and period_start = '2026-01-01T00:00:00Z' group by customer_id`,
      );
      return rows.length === CUSTOMERS ? rows : undefined;
    }, 90_000);
    // Customer i: 31 days × (i + 1) calls + 5 late calls, at 3¢ each. Customer 0: (31 + 5) × 3 = 108¢;
    // customer 11: (31 × 12 + 5) × 3 = 1131¢.
    const expected = new Map(ids.map((id, i) => [id, String((31 * (i + 1) + 5) * UNIT_CENTS)]));
    expect(expected.get(ids[0]!)).toBe('108');
    expect(expected.get(ids[11]!)).toBe('1131');
    for (const row of invoices) {
      expect(row.n).toBe(1);
      expect(row.total).toBe(expected.get(row.customer_id));
    }

    // Let the workers settle, then: nothing left running, nothing failed, each event stored once.
    await until('no job running or due', async () => {
      const rows = await q<{ n: number }>(sql`select count(*)::int as n from jobs where status = 'running' or (status = 'pending' and run_at <= '2026-02-01T00:31:00Z')`);
      return rows[0]?.n === 0 ? true : undefined;
    });
    expect(await q(sql`select kind, last_error from jobs where status = 'failed'`)).toEqual([]);
    const events = await q<{ n: number; distinct_ids: number; sum: string }>(sql`select count(*)::int as n, count(distinct (customer_id, event_id))::int as distinct_ids, sum(value)::bigint::text as sum from usage_events`);
    expect(events[0]).toEqual({ n: CUSTOMERS * 32, distinct_ids: CUSTOMERS * 32, sum: String(31 * ((CUSTOMERS * (CUSTOMERS + 1)) / 2) + 5 * CUSTOMERS) });
    // Gapless numbering across processes: invoice numbers are unique.
    const numbers = await q<{ n: number; d: number }>(sql`select count(number)::int as n, count(distinct number)::int as d from invoices`);
    expect(numbers[0]?.n).toBe(numbers[0]?.d);
  }, 300_000);
});
