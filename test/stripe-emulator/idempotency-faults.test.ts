import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { useEmulator } from './helpers.js';

const clock = new ManualClock('2031-06-01T00:00:00Z');
const t = useEmulator({ clock });

/** Waits until the emulator's log shows `done` for some request (instead of guessing with sleeps). */
async function until(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(done()).toBe(true);
}

async function rawPost(path: string, body: string, key: string): Promise<Response> {
  return fetch(`${t.emulator.url}${path}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${t.emulator.apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Idempotency-Key': key },
    body,
  });
}

describe('idempotency', () => {
  it('replays the stored response for the same key and parameters', async () => {
    const first = await t.stripe.customers.create({ email: 'once@x.test' }, { idempotencyKey: 'tally-cus_1-create' });
    const second = await t.stripe.customers.create({ email: 'once@x.test' }, { idempotencyKey: 'tally-cus_1-create' });
    expect(second.id).toBe(first.id);
    expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(second.lastResponse.requestId).toBe(first.lastResponse.requestId);
    expect(t.emulator.objects.customers).toHaveLength(1);
    expect(t.emulator.requests.map((r) => r.replayed)).toEqual([false, true]);
    expect(t.emulator.events.filter((e) => e.type === 'customer.created')).toHaveLength(1);
  });

  it('compares parameters, not their order on the wire', async () => {
    const a = await rawPost('/v1/customers', 'email=a%40x.test&name=A', 'k-order');
    const b = await rawPost('/v1/customers', 'name=A&email=a%40x.test', 'k-order');
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(((await b.json()) as Stripe.Customer).id).toBe(((await a.json()) as Stripe.Customer).id);
  });

  it('rejects a different request under a used key with an idempotency_error', async () => {
    await t.stripe.customers.create({ email: 'a@x.test' }, { idempotencyKey: 'reused' });
    const error = await t.stripe.customers.create({ email: 'b@x.test' }, { idempotencyKey: 'reused' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
    expect(error).toMatchObject({ statusCode: 400, type: 'StripeIdempotencyError', message: expect.stringContaining("'reused'") });
    const otherEndpoint = await t.stripe.products.create({ name: 'x' }, { idempotencyKey: 'reused' }).catch((e: unknown) => e);
    expect(otherEndpoint).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('stores errors from endpoints that ran, but not validation failures', async () => {
    const missing = () => t.stripe.invoices.finalizeInvoice('in_missing', undefined, { idempotencyKey: 'fin-missing' });
    await expect(missing()).rejects.toMatchObject({ statusCode: 404 });
    await expect(missing()).rejects.toMatchObject({ statusCode: 404 });
    expect(t.emulator.requests.at(-1)?.replayed).toBe(true);
    const raw = t.stripe.customers.create as unknown as (p: Record<string, unknown>, o: Stripe.RequestOptions) => Promise<Stripe.Customer>;
    await expect(raw.call(t.stripe.customers, { emial: 'x' }, { idempotencyKey: 'fix-typo' })).rejects.toMatchObject({ code: 'parameter_unknown' });
    // The key was not consumed, so the corrected request can use it.
    const fixed = await raw.call(t.stripe.customers, { email: 'x@x.test' }, { idempotencyKey: 'fix-typo' });
    expect(fixed.email).toBe('x@x.test');
  });

  it('forgets keys after 24 hours of emulator time', async () => {
    const first = await t.stripe.customers.create({}, { idempotencyKey: 'daily' });
    clock.advance(23 * 3600_000);
    expect((await t.stripe.customers.create({}, { idempotencyKey: 'daily' })).id).toBe(first.id);
    clock.advance(2 * 3600_000);
    expect((await t.stripe.customers.create({}, { idempotencyKey: 'daily' })).id).not.toBe(first.id);
  });

  it('answers 409 idempotency_key_in_use while the first request is still executing', async () => {
    t.emulator.faults.delay(300, { path: '/v1/customers', times: 1, when: 'beforeCommit' });
    const body = 'email=slow%40x.test';
    const slow = rawPost('/v1/customers', body, 'in-flight');
    await until(() => (t.emulator.requests[0]?.delayedMs ?? 0) > 0); // holding its key, not yet committed
    const conflict = await rawPost('/v1/customers', body, 'in-flight');
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'idempotency_key_in_use' } });
    expect((await slow).status).toBe(200);
    const after = await rawPost('/v1/customers', body, 'in-flight');
    expect(after.headers.get('idempotent-replayed')).toBe('true');
    expect(t.emulator.objects.customers).toHaveLength(1);
  });

  it('replays to a retry that arrives while a committed response is still on its way', async () => {
    t.emulator.faults.delay(300, { path: '/v1/customers', times: 1 });
    const body = 'email=late%40x.test';
    const slow = rawPost('/v1/customers', body, 'late-answer');
    await until(() => (t.emulator.requests[0]?.status ?? 0) === 200); // committed, answer still held back
    const meanwhile = await rawPost('/v1/customers', body, 'late-answer');
    expect(meanwhile.headers.get('idempotent-replayed')).toBe('true');
    expect((await slow).status).toBe(200);
    expect(t.emulator.objects.customers).toHaveLength(1);
  });
});

describe('fault injection', () => {
  it('a 500 followed by success, with SDK retries and an idempotency key, creates exactly one object', async () => {
    const retrying = t.emulator.client({ maxNetworkRetries: 2 });
    t.emulator.faults.next({ status: 500, path: '/v1/invoices' });
    const customer = await retrying.customers.create({});
    const invoice = await retrying.invoices.create({ customer: customer.id }, { idempotencyKey: 'tally-inv_1-create' });
    expect(invoice.id).toMatch(/^in_/);
    expect(t.emulator.objects.invoices).toHaveLength(1);
    const attempts = t.emulator.requests.filter((r) => r.path === '/v1/invoices');
    expect(attempts.map((r) => [r.status, r.fault, r.idempotencyKey])).toEqual([
      [500, 'status', 'tally-inv_1-create'],
      [200, null, 'tally-inv_1-create'],
    ]);
  });

  it('a create dropped after commit and retried with the same key returns the same object', async () => {
    t.emulator.faults.dropAfterCommit({ path: '/v1/customers', times: 2 });
    const key = 'tally-cus_9-create';
    // The SDK retries a reset connection once on its own; both attempts are dropped.
    const error = await t.stripe.customers.create({ email: 'dropped@x.test' }, { idempotencyKey: key }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    expect(t.emulator.objects.customers).toHaveLength(1); // it exists although the client never heard back
    const retried = await t.stripe.customers.create({ email: 'dropped@x.test' }, { idempotencyKey: key });
    expect(retried.id).toBe(t.emulator.objects.customers[0]?.id);
    expect(retried.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(t.emulator.objects.customers).toHaveLength(1);
    expect(t.emulator.requests.map((r) => r.fault)).toEqual(['drop', 'drop', null]);
  });

  it('even without an explicit key, the SDK retries a dropped POST under its own key without duplicating', async () => {
    t.emulator.faults.dropAfterCommit({ path: '/v1/customers' });
    const customer = await t.stripe.customers.create({ email: 'auto-key@x.test' });
    expect(t.emulator.objects.customers.map((c) => c.id)).toEqual([customer.id]);
    const [first, second] = t.emulator.requests;
    expect(first?.idempotencyKey).toMatch(/^stripe-node-retry-/);
    expect(second).toMatchObject({ idempotencyKey: first?.idempotencyKey, replayed: true });
  });

  it('surfaces 429 as StripeRateLimitError (not retried by the SDK)', async () => {
    t.emulator.faults.next({ status: 429, times: 5 });
    const error = await t.emulator.client({ maxNetworkRetries: 2 }).customers.list().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(error).toMatchObject({ statusCode: 429, code: 'rate_limit' });
    expect(t.emulator.requests).toHaveLength(1);
    t.emulator.faults.clear();
    expect(t.emulator.faults.pending).toBe(0);
  });

  it('matches faults by path and method, and counts them down', async () => {
    t.emulator.faults.next({ status: 503, path: /^\/v1\/prices/, method: 'POST', times: 2 });
    const product = await t.stripe.products.create({ name: 'unaffected' });
    await expect(t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 1 })).rejects.toBeInstanceOf(Stripe.errors.StripeAPIError);
    await expect(t.stripe.prices.list()).resolves.toMatchObject({ object: 'list' });
    await expect(t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 1 })).rejects.toMatchObject({ statusCode: 503 });
    await expect(t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 1 })).resolves.toMatchObject({ object: 'price' });
    expect(t.emulator.objects.prices).toHaveLength(1);
  });

  it('an SDK timeout while the server is still working is retried safely (replayed, no duplicate)', async () => {
    t.emulator.faults.delay(250, { path: '/v1/customers', times: 1, when: 'beforeCommit' });
    const client = t.emulator.client({ timeout: 100, maxNetworkRetries: 2 });
    const customer = await client.customers.create({ email: 'patient@x.test' }, { idempotencyKey: 'timeout-1' });
    expect(t.emulator.objects.customers.map((c) => c.id)).toEqual([customer.id]);
    expect(t.emulator.requests.filter((r) => r.replayed)).toHaveLength(1);
  });

  it('slow responses time out in the client although the write happened', async () => {
    t.emulator.faults.delay(400, { path: '/v1/customers' });
    const impatient = t.emulator.client({ timeout: 100 });
    const error = await impatient.customers.create({ email: 'slow@x.test' }, { idempotencyKey: 'slow-1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    t.emulator.faults.clear();
    const again = await t.stripe.customers.create({ email: 'slow@x.test' }, { idempotencyKey: 'slow-1' });
    expect(again.lastResponse.headers['idempotent-replayed']).toBe('true');
    expect(t.emulator.objects.customers).toHaveLength(1);
  });
});

describe('request log', () => {
  it('records method, path, parsed params, key and status', async () => {
    const customer = await t.stripe.customers.create({ metadata: { team: 't1' } }, { idempotencyKey: 'log-1' });
    await t.stripe.customers.list({ email: 'nobody@x.test', limit: 3 });
    expect(t.emulator.requests).toMatchObject([
      { method: 'POST', path: '/v1/customers', params: { metadata: { team: 't1' } }, idempotencyKey: 'log-1', status: 200 },
      { method: 'GET', path: '/v1/customers', params: { email: 'nobody@x.test', limit: '3' }, idempotencyKey: null, status: 200 },
    ]);
    expect(t.emulator.requests[0]?.stripeVersion).toBe(Stripe.API_VERSION);
    expect(customer.lastResponse.requestId).toBe(t.emulator.requests[0]?.requestId);
    t.emulator.reset();
    expect(t.emulator.requests).toHaveLength(0);
    expect(t.emulator.objects.customers).toHaveLength(0);
  });
});
