/**
 * The database drops the app's connections mid-request (pg_terminate_backend during a burst of requests to
 * a real `tally serve`). Every request either succeeds or fails cleanly — 503 in the one error shape, its
 * Idempotency-Key released so the retry runs — and nothing is half-applied; the pool recovers by itself.
 */
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, expect, it } from 'vitest';
import { call, cluster, type Cluster } from '../support/cluster.js';
import { describeDb } from '../support/db.js';
import type { Rows } from './support.js';

const config = `
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
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
`;

const CUSTOMERS = 80;
const BATCHES = 40;
const PER_BATCH = 25;

describeDb('database connections dropped mid-request', (database, kind) => {
  if (kind !== 'postgres') {
    it('is a PostgreSQL-only suite (PGlite has no connections to drop)', () => expect(kind).toBe('pglite'));
    return;
  }
  let c: Cluster | undefined;
  afterAll(async () => c?.stop());

  it('each request succeeds or fails with a retryable 503; retries with the same key apply it exactly once; the pool recovers', async () => {
    c = cluster(database().where, config, '2026-03-10T12:00:00Z');
    const node = await c.serve({}, true);
    const key = node.instanceKey!;

    type Req = { idem: string; path: string; body: unknown; kind: 'customer' | 'usage' };
    const requests: Req[] = [];
    for (let i = 0; i < CUSTOMERS; i++) requests.push({ kind: 'customer', idem: `cus-${i}`, path: '/v1/customers', body: { external_id: `team_${i}`, currency: 'usd' } });
    for (let b = 0; b < BATCHES; b++) {
      const events = Array.from({ length: PER_BATCH }, (_, j) => ({ id: `b${b}-e${j}`, customer: `team_${(b * PER_BATCH + j) % 10}`, metric: 'calls', value: 2, timestamp: '2026-03-10T11:00:00Z' }));
      requests.push({ kind: 'usage', idem: `usage-${b}`, path: '/v1/usage', body: { events } });
    }
    // Usage for the first ten customers only: they must exist before their events are sent.
    for (let i = 0; i < 10; i++) expect((await call(node.url, key, 'POST', '/v1/customers', requests[i]!.body, { 'idempotency-key': requests[i]!.idem })).status).toBe(201);

    // Terminate every other session on the database every 400 ms while the burst runs.
    const killer = new pg.Client({ connectionString: database().where, application_name: 'tally-test-killer' });
    await killer.connect();
    let bursting = true;
    let terminated = 0;
    const killing = (async () => {
      while (bursting) {
        const r = await killer.query("select count(pg_terminate_backend(pid))::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend'");
        terminated += (r.rows[0] as { n: number }).n;
        await new Promise((res) => setTimeout(res, 400));
      }
    })();

    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const outcomes = new Map<string, { status: number; body: any }>();
    let next = 0;
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (next < requests.length) {
          const r = requests[next++]!;
          outcomes.set(r.idem, await call(node.url, key, 'POST', r.path, r.body, { 'idempotency-key': r.idem }));
        }
      }),
    );
    bursting = false;
    await killing;
    await killer.end();
    expect(terminated).toBeGreaterThan(0);

    const failed = [...outcomes.entries()].filter(([, o]) => o.status >= 300);
    expect(failed.length).toBeGreaterThan(0); // the faults did hit requests
    for (const [idem, o] of failed) {
      // Clean failures only: 503, the error shape, marked as the database being unavailable.
      expect(o.status, `${idem}: ${JSON.stringify(o.body)}`).toBe(503);
      expect(o.body.error).toMatchObject({ type: 'unavailable', code: 'database_unavailable', param: null });
      expect(o.body.error.request_id).toMatch(/^req_/);
    }
    for (const [idem, o] of outcomes) if (o.status < 300) expect([200, 201], idem).toContain(o.status);

    // The pool has recovered: the node is ready and every failed request goes through on retry with its
    // own key (the key was released, not left blocking the retry).
    expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    for (const [idem] of failed) {
      const r = requests.find((x) => x.idem === idem)!;
      const retry = await call(node.url, key, 'POST', r.path, r.body, { 'idempotency-key': idem });
      // A connection cut exactly during COMMIT may have kept the customer: then it exists once, and says so.
      if (retry.status === 409) expect(retry.body.error.code).toBe('customer_exists');
      else expect([200, 201], `${idem}: ${JSON.stringify(retry.body)}`).toContain(retry.status);
    }
    // A repeat of a request that succeeded is replayed, not run again.
    const ok = [...outcomes.entries()].find(([idem, o]) => o.status === 201 && idem.startsWith('cus-'));
    if (ok) {
      const replay = await fetch(`${node.url}/v1/customers`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'idempotency-key': ok[0] }, body: JSON.stringify(requests.find((x) => x.idem === ok[0])!.body) });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replay.json()) as { id: string }).id).toBe(ok[1].body.id);
    }

    // Nothing half-applied: each customer exactly once, each event exactly once.
    const q = async <T>(text: ReturnType<typeof sql>) => ((await database().db.execute(text)) as unknown as Rows<T>).rows;
    expect((await q<{ n: number; d: number }>(sql`select count(*)::int as n, count(distinct external_id)::int as d from customers where external_id like 'team_%'`))[0]).toEqual({ n: CUSTOMERS, d: CUSTOMERS });
    // 40 batches × 25 events × 2 calls.
    expect((await q<{ n: number; s: string }>(sql`select count(*)::int as n, sum(value)::bigint::text as s from usage_events`))[0]).toEqual({ n: BATCHES * PER_BATCH, s: '2000' });
    expect((await q<{ n: number }>(sql`select count(*)::int as n from idempotency_keys where state = 'in_progress'`))[0]?.n).toBe(0);
  }, 180_000);
});
