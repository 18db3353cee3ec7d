import { eq } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { webhookDeliveries } from '../../src/store/schema.js';
import { claimJobs, DEFAULT_LEASE_MS } from '../../src/jobs/claim.js';
import { executeJob } from '../../src/jobs/execute.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { deliverOnce, postWebhook, prepareAttempt } from '../../src/billing/webhooks/dispatch.js';
import { WEBHOOK_DELIVER_JOB, WEBHOOK_FAN_OUT_JOB } from '../../src/billing/webhooks/job-kinds.js';
import { nominalRetryDelayMs, RETRY_WINDOW_MS, retryDelayMs } from '../../src/billing/webhooks/retry-schedule.js';
import { pruneWebhookDeliveries } from '../../src/billing/webhooks/prune-deliveries.js';
import { parseSignatureHeader, verifySignature } from '../../src/billing/webhooks/signature.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { describeDb } from '../support/db.js';
import { scene, type Scene } from './support.js';

const registry = buildJobRegistry();

describeDb('webhook delivery', (database) => {
  let s: Scene | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('delivers a public event once, signed so that it verifies, with the documented body and headers', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    const cus = await s.w.customer();
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
    const [req] = s.receiver.requests;
    const body = JSON.parse(req!.body);
    expect(Object.keys(body)).toEqual(['id', 'type', 'created', 'instance', 'data']);
    expect(body).toMatchObject({
      type: 'customer.created',
      created: '2026-03-01T00:00:00.000Z',
      instance: s.w.instanceId,
      data: { object: 'customer', id: cus.id, customer: cus.id, customer_external_id: cus.externalId, external_id: cus.externalId },
    });
    expect(body.id).toMatch(/^evt_/);
    // Who did it (a staff member, a key) is internal.
    expect(req!.body).not.toContain('actor');
    expect(req!.headers['content-type']).toBe('application/json');
    expect(req!.headers['tally-event-id']).toBe(body.id);
    const sig = String(req!.headers['tally-signature']);
    expect(parseSignatureHeader(sig)).toEqual({ timestamp: Date.parse('2026-03-01T00:00:00Z') / 1000, v1: [expect.stringMatching(/^[0-9a-f]{64}$/)] });
    expect(verifySignature(req!.body, sig, ep.secret, { now: s.w.clock.now() })).toEqual({ valid: true, timestamp: 1772323200 });
    expect(verifySignature(req!.body, sig, 'whsec_wrong', { now: s.w.clock.now() }).valid).toBe(false);

    const [d] = await s.deliveries(ep.id);
    expect(d).toMatchObject({ eventId: body.id, eventType: 'customer.created', status: 'succeeded', attempts: 1, lastStatusCode: 200, jobId: null });
    expect(await s.attempts(d!.id)).toMatchObject([{ attempt: 1, statusCode: 200, error: null, responseExcerpt: 'ok' }]);
    // Running the jobs again sends nothing more.
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
  });

  it('sends only the enabled event types', async () => {
    s = await scene(database());
    const onlyTrials = await s.endpoint({ enabled_events: ['customer.trial_started'] });
    const cus = await s.w.customer();
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(0);
    expect(await s.deliveries(onlyTrials.id)).toEqual([]);
    const { startTrial } = await import('../../src/billing/customers/trials.js');
    await startTrial(s.w.ctx, cus.id, new Date('2026-03-15T00:00:00Z'));
    await s.w.runJobs();
    expect(s.receiver.requests.map((r) => JSON.parse(r.body).type)).toEqual(['customer.trial_started']);
    expect(JSON.parse(s.receiver.requests[0]!.body).data).toMatchObject({ object: 'customer', id: cus.id, free_trial_until: '2026-03-15T00:00:00.000Z', previous: null });
  });

  it("sends an instance only its own events", async () => {
    s = await scene(database());
    await s.endpoint();
    const other = await createInstance(s.w.system, { slug: `other-${Math.random().toString(36).slice(2, 8)}` });
    await createCustomer(s.w.system, { instanceId: other.id, externalId: 'elsewhere', currency: 'usd' });
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(0);
    const mine = await s.w.customer();
    await s.w.runJobs();
    expect(s.receiver.requests.map((r) => JSON.parse(r.body).data.id)).toEqual([mine.id]);
  });

  it('an endpoint gets the events recorded after it was created, and again once re-enabled', async () => {
    s = await scene(database());
    const early = await s.endpoint();
    await s.w.customer(); // recorded now; its fan-out has not run yet
    s.w.clock.advance(1_000);
    const { startReceiver } = await import('./receiver.js');
    const late = await startReceiver();
    try {
      const lateEp = await s.endpoint({ url: late.url });
      await s.w.runJobs();
      expect(s.receiver.requests).toHaveLength(1);
      expect(late.requests).toHaveLength(0);
      const off = await s.app.inject({ method: 'POST', url: `${s.base}/${lateEp.id}`, headers: s.owner, payload: { status: 'disabled', reason: 'maintenance' } });
      expect(off.statusCode).toBe(200);
      await s.w.customer();
      await s.w.runJobs();
      expect(late.requests).toHaveLength(0);
      const on = await s.app.inject({ method: 'POST', url: `${s.base}/${lateEp.id}`, headers: s.owner, payload: { status: 'enabled', reason: 'back' } });
      expect(on.json().status).toBe('enabled');
      const third = await s.w.customer();
      await s.w.runJobs();
      expect(late.requests.map((r) => JSON.parse(r.body).data.id)).toEqual([third.id]);
      expect(s.receiver.requests).toHaveLength(3);
      expect((await s.deliveries(early.id)).every((d) => d.status === 'succeeded')).toBe(true);
    } finally {
      await late.close();
    }
  });

  it('a disabled endpoint gets nothing, and disabling drops its pending retries', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    s.receiver.behave({ status: 503 });
    await s.w.customer();
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
    const disable = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}`, headers: s.owner, payload: { status: 'disabled', reason: 'receiver down' } });
    expect(disable.statusCode, disable.body).toBe(200);
    expect(disable.json()).toMatchObject({ id: ep.id, status: 'disabled' });
    const [d] = await s.deliveries(ep.id);
    expect(d).toMatchObject({ status: 'canceled', attempts: 1, jobId: null });
    await s.w.customer();
    await s.w.advanceTo('2026-03-02T00:00:00Z');
    expect(s.receiver.requests).toHaveLength(1);
    expect(await s.deliveries(ep.id)).toHaveLength(1);
  });

  it('retries a failing receiver with exponential backoff and jitter, with the same event id and body', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    s.receiver.behave({ status: 500, body: 'boom' }, { status: 502 }, { status: 204 });
    await s.w.customer();
    await s.w.runJobs();
    const [d1] = await s.deliveries(ep.id);
    expect(d1).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: 500, lastError: 'HTTP 500' });
    const t0 = s.w.clock.now().getTime();
    const wait1 = d1!.nextAttemptAt!.getTime() - t0;
    // 1 min nominal, less up to 20 % jitter.
    expect(wait1).toBeGreaterThan(0.8 * 60_000 - 1);
    expect(wait1).toBeLessThanOrEqual(60_000);
    // Not due yet: nothing is sent.
    s.w.clock.advance(wait1 - 1);
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
    s.w.clock.advance(1);
    await s.w.runJobs();
    const [d2] = await s.deliveries(ep.id);
    expect(d2).toMatchObject({ status: 'pending', attempts: 2, lastStatusCode: 502 });
    const wait2 = d2!.nextAttemptAt!.getTime() - s.w.clock.now().getTime();
    expect(wait2).toBeGreaterThan(0.8 * 120_000 - 1);
    expect(wait2).toBeLessThanOrEqual(120_000);
    await s.w.advanceTo(d2!.nextAttemptAt!);
    const [d3] = await s.deliveries(ep.id);
    expect(d3).toMatchObject({ status: 'succeeded', attempts: 3, lastStatusCode: 204, nextAttemptAt: null });
    expect((await s.attempts(d3!.id)).map((a) => [a.attempt, a.statusCode, a.responseExcerpt])).toEqual([
      [1, 500, 'boom'],
      [2, 502, ''],
      [3, 204, ''],
    ]);
    const ids = s.receiver.requests.map((r) => r.headers['tally-event-id']);
    expect(new Set(ids).size).toBe(1);
    expect(new Set(s.receiver.requests.map((r) => r.body)).size).toBe(1);
    // Each attempt is signed at its own time.
    expect(s.receiver.requests.map((r) => parseSignatureHeader(String(r.headers['tally-signature']))!.timestamp)).toEqual([t0 / 1000, (t0 + wait1) / 1000, (t0 + wait1 + wait2) / 1000].map(Math.floor));
  });

  it('gives up after about three days of failures and marks the delivery failed', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    s.receiver.behave({ status: 500 });
    await s.w.customer();
    await s.w.runJobs();
    const first = s.w.clock.now().getTime();
    for (let i = 0; i < 40; i++) {
      const [d] = await s.deliveries(ep.id);
      if (d!.status !== 'pending') break;
      await s.w.advanceTo(d!.nextAttemptAt!);
    }
    const [d] = await s.deliveries(ep.id);
    expect(d).toMatchObject({ status: 'failed', nextAttemptAt: null, jobId: null });
    const attempts = await s.attempts(d!.id);
    expect(attempts).toHaveLength(s.receiver.requests.length);
    // Nominal schedule: 1, 2, 4 … 512 min, then 12 h: the 15th attempt lands at 65 h; jitter only shortens waits.
    expect(attempts.length).toBeGreaterThanOrEqual(15);
    const times = attempts.map((a) => a.at.getTime());
    expect(times.at(-1)! - first).toBeLessThanOrEqual(RETRY_WINDOW_MS);
    for (let i = 1; i < times.length; i++) {
      const gap = times[i]! - times[i - 1]!;
      expect(gap).toBeLessThanOrEqual(nominalRetryDelayMs(i));
      expect(gap).toBeGreaterThanOrEqual(Math.floor(0.8 * nominalRetryDelayMs(i)));
    }
    // The wait that would follow the last attempt (its own jittered delay, which may be as short as 80% of
    // the nominal one) runs past the window counted from the delivery's first attempt.
    expect(times.at(-1)! + retryDelayMs(d!.id, times.length) - d!.retryFrom.getTime()).toBeGreaterThan(RETRY_WINDOW_MS);
  });

  it('does not send to a refused destination: the attempt fails with the reason and is retried like any failure', async () => {
    s = await scene(database());
    const ep = await s.endpoint(); // the test receiver, on 127.0.0.1
    await s.w.customer();
    const { db } = database();
    const clock = s.w.clock;
    const [fan] = await claimJobs(db, clock, { workerId: 'w1', limit: 1, kinds: [WEBHOOK_FAN_OUT_JOB] });
    expect((await executeJob({ db, clock, registry }, fan!)).outcome).toBe('succeeded');
    const [job] = await claimJobs(db, clock, { workerId: 'w1', limit: 1, kinds: [WEBHOOK_DELIVER_JOB] });
    const [d] = await s.deliveries(ep.id);
    expect(await deliverOnce({ db, clock, actor: { type: 'system', id: 'test' } }, d!.id, job!.id, { privateNetworks: 'deny' })).toBe('retry_scheduled');
    expect(s.receiver.requests).toHaveLength(0);
    expect((await s.deliveries(ep.id))[0]).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null, lastError: 'not sent: 127.0.0.1 is a loopback or private address (TALLY_WEBHOOK_PRIVATE_NETWORKS=deny)' });
    expect(await s.attempts(d!.id)).toMatchObject([{ attempt: 1, statusCode: null, responseExcerpt: null }]);
  });

  it('a receiver that does not answer in time counts as a failed attempt and is retried', async () => {
    const before = process.env.TALLY_WEBHOOK_TIMEOUT_MS;
    process.env.TALLY_WEBHOOK_TIMEOUT_MS = '300';
    try {
      s = await scene(database());
      const ep = await s.endpoint();
      s.receiver.behave('hang', { status: 200 });
      await s.w.customer();
      const started = performance.now();
      await s.w.runJobs();
      expect(performance.now() - started).toBeLessThan(5_000);
      const [d] = await s.deliveries(ep.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1, lastStatusCode: null, lastError: 'timed out after 300 ms' });
      await s.w.advanceTo(d!.nextAttemptAt!);
      expect((await s.deliveries(ep.id))[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
      expect(s.receiver.requests).toHaveLength(2);
    } finally {
      if (before === undefined) delete process.env.TALLY_WEBHOOK_TIMEOUT_MS;
      else process.env.TALLY_WEBHOOK_TIMEOUT_MS = before;
    }
  });

  it('at least once: a worker that dies between sending and recording leaves the event to be sent again, same id', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    await s.w.customer();
    const { db } = database();
    const clock = s.w.clock;
    const [fan] = await claimJobs(db, clock, { workerId: 'w1', limit: 1, kinds: [WEBHOOK_FAN_OUT_JOB] });
    expect(fan).toBeDefined();
    expect((await executeJob({ db, clock, registry }, fan!)).outcome).toBe('succeeded');
    const [job] = await claimJobs(db, clock, { workerId: 'doomed', limit: 1, kinds: [WEBHOOK_DELIVER_JOB] });
    const [d] = await s.deliveries(ep.id);
    expect(d!.jobId).toBe(job!.id);
    // The doomed worker sends…
    const prepared = await prepareAttempt(s.w.system, d!.id, job!.id);
    if (typeof prepared === 'string') throw new Error(`nothing to send: ${prepared}`);
    const sent = await postWebhook(prepared.endpoint.url, prepared.delivery.body, prepared.delivery.eventId, prepared.secrets, prepared.at, 5_000);
    expect(sent.ok).toBe(true);
    // …and dies before recording it. Nothing is due while its lease holds.
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
    expect((await s.deliveries(ep.id))[0]).toMatchObject({ status: 'pending', attempts: 0 });
    await s.w.advanceTo(new Date(clock.now().getTime() + DEFAULT_LEASE_MS + 1));
    expect(s.receiver.requests).toHaveLength(2);
    const [a, b] = s.receiver.requests;
    expect(b!.headers['tally-event-id']).toBe(a!.headers['tally-event-id']);
    expect(b!.body).toBe(a!.body);
    expect((await s.deliveries(ep.id))[0]).toMatchObject({ status: 'succeeded', attempts: 1 });
  });

  it('while a rotated-out secret is valid (24 h) both signatures are sent; afterwards only the new one', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    const rotated = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}/rotate-secret`, headers: s.owner, payload: { reason: 'yearly rotation' } });
    expect(rotated.statusCode, rotated.body).toBe(200);
    const fresh = rotated.json().secret as string;
    expect(fresh).toMatch(/^whsec_/);
    expect(fresh).not.toBe(ep.secret);
    expect(rotated.json().previous_secret_expires_at).toBe('2026-03-02T00:00:00.000Z');
    await s.w.customer();
    await s.w.runJobs();
    const during = s.receiver.requests[0]!;
    const header = String(during.headers['tally-signature']);
    expect(parseSignatureHeader(header)!.v1).toHaveLength(2);
    expect(verifySignature(during.body, header, fresh, { now: s.w.clock.now() }).valid).toBe(true);
    expect(verifySignature(during.body, header, ep.secret, { now: s.w.clock.now() }).valid).toBe(true);

    await s.w.advanceTo('2026-03-02T00:00:01Z');
    await s.w.customer();
    await s.w.runJobs();
    const after = s.receiver.requests.at(-1)!;
    const header2 = String(after.headers['tally-signature']);
    expect(parseSignatureHeader(header2)!.v1).toHaveLength(1);
    expect(verifySignature(after.body, header2, fresh, { now: s.w.clock.now() }).valid).toBe(true);
    expect(verifySignature(after.body, header2, ep.secret, { now: s.w.clock.now() }).valid).toBe(false);
    const got = await s.app.inject({ method: 'GET', url: `${s.base}/${ep.id}`, headers: s.owner });
    expect(got.json().previous_secret_expires_at).toBeNull();
  });

  it('keeps only the start of a large response body', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    s.receiver.behave({ status: 200, body: 'x'.repeat(3_000_000) });
    await s.w.customer();
    await s.w.runJobs();
    const [d] = await s.deliveries(ep.id);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 1 });
    expect((await s.attempts(d!.id))[0]!.responseExcerpt).toBe('x'.repeat(1_000));
  });

  it('computes no entitlements when no endpoint takes customer.entitlements_updated', async () => {
    s = await scene(database());
    await s.endpoint({ enabled_events: ['subscription.created'] });
    const { subscribe } = await import('../../src/billing/subscriptions/index.js');
    const cus = await s.w.customer();
    await subscribe(s.w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    await s.w.runJobs();
    expect(s.receiver.requests.map((r) => JSON.parse(r.body).type)).toEqual(['subscription.created']);
    expect(await s.w.events(cus.id, 'customer.entitlements_updated')).toEqual([]);
    const body = JSON.parse(s.receiver.requests[0]!.body);
    expect(body.data).toMatchObject({ object: 'subscription', customer: cus.id, interval: 'month', items: [{ product: 'product_analytics', plan: 'paid' }] });
    expect(s.receiver.requests[0]!.body).not.toContain('catalog_version');
  });

  it('announces customer.entitlements_updated when features change, not when they stay the same', async () => {
    s = await scene(database());
    await s.endpoint({ enabled_events: ['customer.entitlements_updated'] });
    const { subscribe, changePlan } = await import('../../src/billing/subscriptions/index.js');
    const cus = await s.w.customer();
    await subscribe(s.w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(1);
    const first = JSON.parse(s.receiver.requests[0]!.body);
    expect(first.type).toBe('customer.entitlements_updated');
    expect(first.data).toMatchObject({ object: 'customer', id: cus.id, previous_features: null });
    expect(first.data.features.find((f: { key: string }) => f.key === 'projects')).toEqual({ key: 'projects', name: 'Projects', limit: 6, source: 'plan', product: 'product_analytics' });
    expect(first.data).not.toHaveProperty('caused_by');

    await changePlan(s.w.ctx, cus.id, { product: 'group_analytics', plan: 'paid' });
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(2);
    const second = JSON.parse(s.receiver.requests[1]!.body);
    const keys = (fs: { key: string }[]) => fs.map((f) => f.key);
    expect(keys(second.data.features)).toContain('group_analytics');
    expect(keys(second.data.previous_features)).not.toContain('group_analytics');

    // A trial grants premium features; moving its end changes none, so nothing is announced for that.
    const { startTrial, cancelTrial } = await import('../../src/billing/customers/trials.js');
    await startTrial(s.w.ctx, cus.id, new Date('2026-03-10T00:00:00Z'));
    await s.w.runJobs();
    const n = s.receiver.requests.length;
    expect(n).toBe(3);
    await startTrial(s.w.ctx, cus.id, new Date('2026-03-12T00:00:00Z'));
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(n);
    await cancelTrial(s.w.ctx, cus.id);
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(n + 1);
  });
});

describeDb('webhook delivery history', (database) => {
  it('ended deliveries older than the cutoff are pruned with their attempts; newer and pending ones stay', async () => {
    const s = await scene(database());
    try {
      const ep = await s.endpoint();
      await s.w.customer();
      await s.w.customer();
      await s.w.runJobs();
      const old = await s.deliveries(ep.id);
      expect(old.map((d) => d.status)).toEqual(['succeeded', 'succeeded']); // customer.created, twice
      // One of them is being resent: pending again, so it stays however old.
      const [resent, ended] = old as [(typeof old)[number], (typeof old)[number]];
      await database().db.update(webhookDeliveries).set({ status: 'pending', completedAt: null }).where(eq(webhookDeliveries.id, resent.id));
      const start = s.w.clock.now().getTime();
      s.w.clock.advance(10 * 24 * 3_600_000);
      await s.w.customer();
      await s.w.runJobs();
      const cutoff = new Date(start + 5 * 24 * 3_600_000);
      expect(await pruneWebhookDeliveries(database().db, cutoff)).toBe(1);
      const left = await s.deliveries(ep.id);
      expect(left.map((d) => d.id)).toEqual([resent.id, expect.any(String)]);
      expect(left[1]?.completedAt?.getTime()).toBeGreaterThan(cutoff.getTime());
      expect(await s.attempts(ended.id)).toEqual([]);
      expect(await s.attempts(resent.id)).toHaveLength(1);
      expect(await pruneWebhookDeliveries(database().db, cutoff)).toBe(0);
    } finally {
      await s.close();
    }
  });
});
