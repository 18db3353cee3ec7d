import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { runDueJobs } from '../../src/jobs/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('HTTP: subscriptions, trials and entitlements', (database) => {
  const clock = new ManualClock('2026-04-10T09:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let support: SeededStaff;
  let viewer: SeededStaff;
  let customer: string;

  const runJobs = () => runDueJobs({ db: database().db, clock, registry: buildJobRegistry() });
  const features = async (who: { authorization: string } = us.headers) =>
    (await app.inject({ url: `/v1/customers/${customer}/features`, headers: who })).json() as { data: { key: string; limit: number | null; source: string }[] };
  const feature = async (key: string) => (await features()).data.find((f) => f.key === key);

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    support = await seedStaff(database(), clock, 'support');
    viewer = await seedStaff(database(), clock, 'viewer');
    customer = (await app.inject({ method: 'POST', url: '/v1/customers', headers: us.headers, payload: { external_id: 'team_sub', currency: 'usd' } })).json().id;
  });
  afterAll(async () => app.close());

  it('subscribes to the default plan (R3) with periods from 00:00 UTC', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription`, headers: us.headers, payload: { items: [{ product: 'product_analytics' }] } });
    expect(res.statusCode).toBe(201);
    const s = res.json();
    expect(s.items.map((i: { plan: string }) => i.plan)).toEqual(['free']);
    expect(s.current_period_start).toBe('2026-04-10T00:00:00.000Z');
    expect(s.current_period_end).toBe('2026-05-10T00:00:00.000Z');
    expect(await feature('projects')).toMatchObject({ limit: 1, source: 'plan' });
  });

  it('changes plan at once (R10) and features follow', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription/change`, headers: us.headers, payload: { product: 'product_analytics', plan: 'paid' } });
    expect(res.statusCode).toBe(200);
    expect(res.json().items[0]).toMatchObject({ plan: 'paid', price: 'product_analytics.paid.usd.month' });
    expect(await feature('projects')).toMatchObject({ limit: 6, source: 'plan' });
    const check = await app.inject({ url: `/v1/customers/${customer}/entitlements/correlation_analysis`, headers: us.headers });
    expect(check.json()).toEqual({ object: 'entitlement', feature: 'correlation_analysis', enabled: true, limit: null, source: 'plan' });
  });

  it('a trial grants premium features until it ends, then they fall back (R9)', async () => {
    await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription/change`, headers: us.headers, payload: { product: 'product_analytics', plan: 'free' } });
    expect(await feature('correlation_analysis')).toBeUndefined();
    const trial = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/trial`, headers: us.headers, payload: { until: '2026-04-24T09:00:00Z' } });
    expect(trial.statusCode).toBe(200);
    expect(await feature('correlation_analysis')).toMatchObject({ source: 'trial' });

    clock.set('2026-04-24T09:00:01Z');
    await runJobs();
    expect(await feature('correlation_analysis')).toBeUndefined();
    expect(await feature('projects')).toMatchObject({ limit: 1, source: 'plan' });
  });

  it('keeps another instance out (R1)', async () => {
    for (const url of [`/v1/customers/${customer}/subscription`, `/v1/customers/${customer}/features`, `/v1/customers/${customer}/entitlements/projects`]) {
      expect((await app.inject({ url, headers: eu.headers })).statusCode, url).toBe(404);
    }
    const change = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription/change`, headers: eu.headers, payload: { product: 'product_analytics', plan: 'paid' } });
    expect(change.statusCode).toBe(404);
    expect((await app.inject({ url: `/v1/customers/${customer}/subscription`, headers: us.headers })).json().items[0].plan).toBe('free');
  });

  it('staff changes need a reason, are audited, and need the role', async () => {
    const url = `/admin/v1/customers/${customer}/subscription/change`;
    const noReason = await app.inject({ method: 'POST', url, headers: support.headers, payload: { product: 'product_analytics', plan: 'paid' } });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.param).toBe('reason');
    expect((await app.inject({ url: `/v1/customers/${customer}/subscription`, headers: us.headers })).json().items[0].plan).toBe('free');

    const denied = await app.inject({ method: 'POST', url, headers: viewer.headers, payload: { product: 'product_analytics', plan: 'paid', reason: 'x' } });
    expect(denied.statusCode).toBe(403);

    const ok = await app.inject({ method: 'POST', url, headers: support.headers, payload: { product: 'product_analytics', plan: 'paid', ticket: 'SUP-1234' } });
    expect(ok.statusCode).toBe(200);
    const audit = (await app.inject({ url: `/admin/v1/audit?customer=${customer}`, headers: viewer.headers })).json();
    expect(audit.data[0]).toMatchObject({ action: expect.stringContaining('subscription'), ticket: 'SUP-1234' });
  });

  it('a staff plan override wins for features (R8)', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/admin/v1/customers/${customer}/plan-overrides`,
      headers: support.headers,
      payload: { overrides: { product_analytics: 'enterprise' }, reason: 'negotiated' },
    });
    expect(res.statusCode).toBe(200);
    const f = await features();
    expect(f.data.find((x) => x.key === 'projects')?.source).toBe('override');
  });

  it('bad input names the field and changes nothing', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/subscription/change`, headers: us.headers, payload: { product: 'product_analytics', plan: 'no_such_plan' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toMatch(/plan/);
    const past = await app.inject({ method: 'POST', url: `/v1/customers/${customer}/trial`, headers: us.headers, payload: { until: '2020-01-01T00:00:00Z' } });
    expect(past.json().error).toMatchObject({ code: 'trial_end_in_past', param: 'until' });
  });
});
