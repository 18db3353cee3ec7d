import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TallyApiError, TallyClient, TallyConnectionError, TallyQueueFullError, type TallyClientOptions, type UsageEventResult } from '../../packages/sdk/src/index.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, type SeededInstance } from '../support/accounts.js';
import { describeDb } from '../support/db.js';
import { listeningTally, recordingFetch } from './helpers.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('SDK against a real Tally', (database) => {
  // Customers subscribe on Mar 10 12:00: their period is Mar 10 – Apr 10.
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  let app: FastifyInstance;
  let url: string;
  let us: SeededInstance;

  const client = (extra: Partial<TallyClientOptions> = {}) =>
    new TallyClient({ baseUrl: url, apiKey: us.secret, now: () => clock.now().getTime(), retryBaseDelayMs: 5, ...extra });
  /** Tally's own count of a customer's current-period events, read past the SDK. */
  const eventsSum = async (customer: string) => {
    const r = await app.inject({ url: `/v1/customers/${customer}/usage?metric=events`, headers: us.headers });
    return r.json().data[0].sum as string;
  };
  let seq = 0;
  const newCustomer = async (c: TallyClient, plan?: string) => {
    const customer = await c.customers.create({ external_id: `team_${++seq}`, currency: 'usd' });
    if (plan) await c.subscriptions.create(customer.id, { items: [{ product: 'product_analytics', plan }] });
    return customer.id;
  };

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    ({ app, url } = await listeningTally(database(), clock));
    us = await seedInstance(database(), clock, 'us');
  });
  afterAll(async () => app.close());

  describe('calls and errors', () => {
    it('creates and reads customers, and sends an Idempotency-Key on every POST only', async () => {
      const rec = recordingFetch();
      const c = client({ fetch: rec.fetch });
      const created = await c.customers.create({ external_id: 'team_calls', currency: 'usd', name: 'Calls Inc' });
      expect(created).toMatchObject({ object: 'customer', external_id: 'team_calls', currency: 'usd', name: 'Calls Inc', instance: us.instance.id });
      expect((await c.customers.get(created.id)).id).toBe(created.id);
      expect((await c.customers.getByExternalId('team_calls')).id).toBe(created.id);
      expect((await c.customers.update(created.id, { name: 'Calls Ltd' })).name).toBe('Calls Ltd');

      const posts = rec.seen.filter((r) => r.method === 'POST');
      const gets = rec.seen.filter((r) => r.method === 'GET');
      expect(posts).toHaveLength(2);
      expect(gets).toHaveLength(2);
      for (const p of posts) expect(p.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(new Set(posts.map((p) => p.headers['idempotency-key'])).size).toBe(2);
      for (const g of gets) expect(g.headers['idempotency-key']).toBeUndefined();
      expect(rec.seen.every((r) => r.headers.authorization === `Bearer ${us.secret}`)).toBe(true);
    });

    it("throws TallyApiError with Tally's error shape: code, message, param, request_id", async () => {
      const c = client();
      const bad = await c.customers.create({ external_id: 'team_bad', currency: 'dollars' }).catch((e: unknown) => e);
      expect(bad).toBeInstanceOf(TallyApiError);
      const e = bad as TallyApiError;
      expect(e).toMatchObject({ status: 400, type: 'invalid_request', code: 'parameter_invalid', param: 'currency' });
      expect(e.requestId).toMatch(/^req_/);
      expect(e.message).toContain('currency');

      const missing = (await c.billing.state('cus_doesnotexist').catch((x: unknown) => x)) as TallyApiError;
      expect(missing).toBeInstanceOf(TallyApiError);
      expect(missing).toMatchObject({ status: 404, type: 'not_found' });

      const wrongKey = new TallyClient({ baseUrl: url, apiKey: 'tally_ik_not_a_key' });
      const auth = (await wrongKey.customers.get('cus_x').catch((x: unknown) => x)) as TallyApiError;
      expect(auth).toMatchObject({ status: 401, type: 'authentication', code: 'api_key_invalid' });
    });

    it('replays a POST whose answer was lost: the retry carries the same Idempotency-Key and nothing runs twice', async () => {
      const rec = recordingFetch(async (req, real, n) => {
        const res = await real();
        if (req.method === 'POST' && n === 1) throw new TypeError('fetch failed: socket hang up'); // processed, answer lost
        return res;
      });
      const c = client({ fetch: rec.fetch });
      const created = await c.customers.create({ external_id: 'team_lost_answer', currency: 'usd' });
      expect(rec.seen).toHaveLength(2);
      expect(rec.seen[1]?.headers['idempotency-key']).toBe(rec.seen[0]?.headers['idempotency-key']);
      // Without replay the retry would have been refused as a duplicate external_id (409).
      expect((await c.customers.getByExternalId('team_lost_answer')).id).toBe(created.id);
    });
  });

  describe('usage reporting', () => {
    it('batches up to maxBatchSize, sends full batches at once and the rest on flush, with per-event results', async () => {
      const c0 = client();
      const customer = await newCustomer(c0);
      const rec = recordingFetch();
      const c = client({ fetch: rec.fetch, usage: { maxBatchSize: 3, flushIntervalMs: 60_000 } });
      const receipts = [1, 2, 3, 4, 5, 6, 7].map((v) => c.usage.report({ customer, metric: 'events', value: v * 10 }));
      receipts.push(c.usage.report({ customer, metric: 'no_such_metric', value: 1 }));
      const summary = await c.usage.flush();

      const usagePosts = rec.seen.filter((r) => r.path === '/v1/usage');
      expect(usagePosts.map((r) => (r.body as { events: unknown[] }).events.length)).toEqual([3, 3, 2]);
      expect(summary).toMatchObject({ accepted: 7, duplicates: 0, rejected: 1, failed: 0 });
      const results = await Promise.all(receipts.map((r) => r.result));
      expect(results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'accepted', 'rejected']);
      expect(results[7]).toMatchObject({ id: receipts[7]?.id, status: 'rejected', param: 'metric' });
      expect(results.map((r) => r.id)).toEqual(receipts.map((r) => r.id));
      // Default timestamps come from the injected clock.
      expect((usagePosts[0]?.body as { events: { timestamp: string }[] }).events[0]?.timestamp).toBe('2026-03-10T12:00:00.000Z');
      expect(await eventsSum(customer)).toBe('280'); // 10 + 20 + … + 70
    });

    it('flushes a partial batch after flushIntervalMs without being asked', async () => {
      const customer = await newCustomer(client());
      const rec = recordingFetch();
      const c = client({ fetch: rec.fetch, usage: { flushIntervalMs: 30 } });
      const a = c.usage.report({ customer, metric: 'events', value: 5 });
      const b = c.usage.report({ customer, metric: 'events', value: 6 });
      expect(rec.seen).toHaveLength(0);
      expect((await a.result).status).toBe('accepted');
      expect((await b.result).status).toBe('accepted');
      expect(rec.seen.filter((r) => r.path === '/v1/usage')).toHaveLength(1);
      expect(await eventsSum(customer)).toBe('11');
    });

    it('retries a batch whose answer was lost after Tally counted it, with the same ids: counted once', async () => {
      const customer = await newCustomer(client());
      let dropped = 0;
      const rec = recordingFetch(async (req, real) => {
        const res = await real();
        if (req.path === '/v1/usage' && dropped === 0) {
          dropped++;
          expect(res.status).toBe(200); // Tally processed the batch…
          throw new TypeError('fetch failed: connection reset'); // …and the SDK never heard
        }
        return res;
      });
      const c = client({ fetch: rec.fetch });
      c.usage.report({ id: 'evt-a', customer, metric: 'events', value: 100 });
      c.usage.report({ id: 'evt-b', customer, metric: 'events', value: 200 });
      const summary = await c.usage.flush();
      expect(summary).toMatchObject({ accepted: 2, failed: 0 });

      const sends = rec.seen.filter((r) => r.path === '/v1/usage');
      expect(sends).toHaveLength(2);
      expect(sends[1]?.body).toEqual(sends[0]?.body); // the same events, the same ids
      expect(sends[1]?.headers['idempotency-key']).toBe(sends[0]?.headers['idempotency-key']);
      expect(await eventsSum(customer)).toBe('300');
    });

    it('retries after a 503 that came after Tally counted the batch, and a later resend of the same ids is a duplicate', async () => {
      const customer = await newCustomer(client());
      let first = true;
      const rec = recordingFetch(async (req, real) => {
        const res = await real();
        if (req.path === '/v1/usage' && first) {
          first = false;
          return new Response(JSON.stringify({ error: { type: 'unavailable', code: 'upstream_timeout', message: 'proxy timeout', param: null, request_id: 'req_proxy' } }), { status: 503 });
        }
        return res;
      });
      const c = client({ fetch: rec.fetch });
      const receipt = c.usage.report({ id: 'evt-503', customer, metric: 'events', value: 42 });
      await c.usage.flush();
      expect(await receipt.result).toMatchObject({ id: 'evt-503', status: 'accepted' });
      expect(rec.seen.filter((r) => r.path === '/v1/usage')).toHaveLength(2);

      // Another process (new reporter, new Idempotency-Key) sends the same event again: Tally dedups by id.
      const again = client();
      const r2 = again.usage.report({ id: 'evt-503', customer, metric: 'events', value: 42 });
      await again.usage.flush();
      expect(await r2.result).toMatchObject({ id: 'evt-503', status: 'duplicate' });
      expect(await eventsSum(customer)).toBe('42');
    });

    it('surfaces a batch that never got an answer as failed per event; resending those ids later counts them once', async () => {
      const customer = await newCustomer(client());
      const attempts: number[] = [];
      const down = recordingFetch(async (_req, _real, n) => {
        attempts.push(n);
        throw new TypeError('fetch failed: ECONNREFUSED');
      });
      const seen: UsageEventResult[] = [];
      const c = client({ fetch: down.fetch, maxRetries: 2, usage: { onResults: (r) => seen.push(...r) } });
      const r = c.usage.report({ id: 'evt-down', customer, metric: 'events', value: 7 });
      const summary = await c.usage.flush();
      expect(summary.failed).toBe(1);
      const result = await r.result;
      expect(result.status).toBe('failed');
      expect(result.status === 'failed' && result.error).toBeInstanceOf(TallyConnectionError);
      expect(attempts).toHaveLength(3); // the first attempt and 2 retries
      expect(seen.map((x) => x.status)).toEqual(['failed']);

      const up = client();
      const resend = up.usage.report({ id: 'evt-down', customer, metric: 'events', value: 7 });
      await up.usage.flush();
      expect((await resend.result).status).toBe('accepted');
      expect(await eventsSum(customer)).toBe('7');
    });

    it('bounds the queue: report throws TallyQueueFullError when full, reportWhenRoom waits for room', async () => {
      const customer = await newCustomer(client());
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const rec = recordingFetch(async (req, real) => {
        if (req.path === '/v1/usage') await gate;
        return real();
      });
      const c = client({ fetch: rec.fetch, usage: { maxBatchSize: 2, maxQueueSize: 4, flushIntervalMs: 60_000 } });
      const first = [1, 2, 3, 4].map((v) => c.usage.report({ customer, metric: 'events', value: v }));
      expect(c.usage.pending).toBe(4);
      expect(() => c.usage.report({ customer, metric: 'events', value: 5 })).toThrow(TallyQueueFullError);

      let waited = false;
      const later = c.usage.reportWhenRoom({ customer, metric: 'events', value: 5 }).then((r) => ((waited = true), r));
      await new Promise((r) => setTimeout(r, 30));
      expect(waited).toBe(false); // still full: the first batch is held at the gate
      release();
      const fifth = await later;
      const summary = await c.usage.close();
      expect((await fifth.result).status).toBe('accepted');
      expect((await Promise.all(first.map((r) => r.result))).every((r) => r.status === 'accepted')).toBe(true);
      expect(summary.failed).toBe(0);
      expect(await eventsSum(customer)).toBe('15');
      expect(() => c.usage.report({ customer, metric: 'events', value: 1 })).toThrow(/closed/);
    });

    it('send() posts one batch directly and returns the ingest result', async () => {
      const customer = await newCustomer(client());
      const r = await client().usage.send([
        { id: 's1', customer, metric: 'events', value: '2.5' },
        { id: 's1', customer, metric: 'events', value: '2.5' },
      ]);
      expect(r).toMatchObject({ object: 'usage_ingest_result', accepted: 1, duplicates: 1, rejected: 0 });
      expect(await eventsSum(customer)).toBe('2.5');
    });
  });

  describe('billing', () => {
    it('reads the billing state (1,500,000 events on the paid plan: 1M free + 500,000 × 0.005¢ = 2,500¢)', async () => {
      const c = client();
      const customer = await newCustomer(c, 'paid');
      await c.usage.send([{ customer, metric: 'events', value: 1_500_000 }]);
      const s = await c.billing.state(customer);
      expect(s).toMatchObject({ object: 'billing_state', customer, currency: 'usd', period_start: '2026-03-10T00:00:00.000Z', period_end: '2026-04-10T00:00:00.000Z' });
      const pa = s.products.find((p) => p.product === 'product_analytics');
      expect(pa).toMatchObject({ plan: 'paid', usage: '1500000', amount: 2500, quota_limited: false });
      expect(s.totals.amount).toBe(2500);
      expect(await c.billing.quotaLimitedProducts(customer)).toEqual([]);
    });

    it('sets, lists and removes a billing limit, and reports quota-limited once usage reaches what it buys', async () => {
      const c = client();
      const customer = await newCustomer(c, 'paid');
      // $10 = 1,000¢ buys 1M free + n events with round(n × 0.005) ≤ 1,000 → n = 200,099.
      const set = await c.limits.set(customer, { product: 'product_analytics', amount: 1_000 });
      expect(set).toMatchObject({ object: 'billing_limit', product: 'product_analytics', amount: 1_000, currency: 'usd', unit_limit: '1200099', quota_limited: false });
      expect((await c.limits.list(customer)).map((l) => l.amount)).toEqual([1_000]);

      await c.usage.send([{ customer, metric: 'events', value: 1_200_098 }]);
      expect(await c.billing.quotaLimitedProducts(customer)).toEqual([]);
      await c.usage.send([{ customer, metric: 'events', value: 1 }]);
      expect(await c.billing.quotaLimitedProducts(customer)).toEqual(['product_analytics']);
      expect((await c.limits.list(customer))[0]).toMatchObject({ usage: '1200099', quota_limited: true });

      const removed = await c.limits.remove(customer, 'product_analytics');
      expect(removed).toMatchObject({ amount: null, quota_limited: false });
      expect(await c.billing.quotaLimitedProducts(customer)).toEqual([]);
    });

    it('starts and cancels a trial, and changes plan', async () => {
      const c = client();
      const customer = await newCustomer(c, 'free');
      const started = await c.trials.start(customer, new Date('2026-03-24T00:00:00Z'));
      expect(started).toEqual({ customer, free_trial_until: '2026-03-24T00:00:00.000Z' });
      expect(await c.entitlements.check(customer, 'correlation_analysis')).toMatchObject({ enabled: true, source: 'trial' });
      expect((await c.trials.cancel(customer)).free_trial_until).toBeNull();
      // The client's own change drops its cached answer, so the next check is fresh.
      expect(await c.entitlements.check(customer, 'correlation_analysis')).toMatchObject({ enabled: false });

      const changed = await c.subscriptions.changePlan(customer, { product: 'product_analytics', plan: 'paid' });
      expect(changed.items.find((i) => i.product === 'product_analytics')?.plan).toBe('paid');
      expect(await c.entitlements.check(customer, 'correlation_analysis')).toMatchObject({ enabled: true, source: 'plan' });
      expect((await c.subscriptions.get(customer)).id).toBe(changed.id);
    });

    it('reads invoices and the upcoming invoice', async () => {
      const c = client();
      const customer = await newCustomer(c, 'paid');
      await c.usage.send([{ customer, metric: 'events', value: 1_200_000 }]);
      const up = await c.invoices.upcoming(customer);
      // 200,000 × 0.005¢ = 1,000¢
      expect(up).toMatchObject({ object: 'upcoming_invoice', customer, currency: 'usd', subtotal: 1000, total: 1000, amount_due: 1000 });
      const list = await c.invoices.list(customer, { limit: 10 });
      expect(list).toEqual({ object: 'list', data: [], has_more: false });
    });
  });

  describe('billing setup and license keys', () => {
    it('gets the billing setup link (the manual provider sends the customer back with a note) and the license keys', async () => {
      const c = client();
      const customer = await newCustomer(c);
      const link = await c.billing.setupLink(customer, 'https://app.example/billing');
      expect(link.provider).toBe('manual');
      expect(new URL(link.url).searchParams.get('billing_setup')).toBe('manual');
      expect(link.url.startsWith('https://app.example/billing')).toBe(true);
      const keys = await c.licenses.keys();
      expect(Array.isArray(keys.keys)).toBe(true);
    });
  });

  describe('entitlement cache', () => {
    it('answers from the cache within maxStalenessMs and asks Tally again past it (injected clock)', async () => {
      const setup = client();
      const customer = await newCustomer(setup, 'free');
      const rec = recordingFetch();
      const c = client({ fetch: rec.fetch, entitlements: { maxStalenessMs: 30_000 } });
      const asked = () => rec.seen.filter((r) => r.path.includes('/entitlements/')).length;

      expect((await c.entitlements.check(customer, 'correlation_analysis')).enabled).toBe(false);
      expect(asked()).toBe(1);
      // The plan changes elsewhere (another process): within the bound this client may still say no…
      await setup.subscriptions.changePlan(customer, { product: 'product_analytics', plan: 'paid' });
      clock.advance(30_000);
      expect((await c.entitlements.check(customer, 'correlation_analysis')).enabled).toBe(false);
      expect(asked()).toBe(1);
      // …but never past it: 30,001 ms after the request was sent, the answer is fetched again.
      clock.advance(1);
      expect((await c.entitlements.check(customer, 'correlation_analysis')).enabled).toBe(true);
      expect(asked()).toBe(2);

      // A tighter bound per call, and concurrent checks sharing one request.
      clock.advance(1_000);
      await Promise.all([c.entitlements.check(customer, 'correlation_analysis', { maxStalenessMs: 500 }), c.entitlements.check(customer, 'correlation_analysis', { maxStalenessMs: 500 })]);
      expect(asked()).toBe(3);
      c.entitlements.invalidate(customer);
      await c.entitlements.check(customer, 'correlation_analysis');
      expect(asked()).toBe(4);
    });
  });
});
