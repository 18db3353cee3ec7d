import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';
import { example } from '../subscriptions/helpers.js';
import { fixture } from './helpers.js';

describeDb('contracts admin API', (database) => {
  const clock = new ManualClock('2026-01-10T09:00:00Z');
  let app: FastifyInstance;
  let admin: SeededStaff;
  let viewer: SeededStaff;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    await seedInstance(database(), clock, 'us');
    admin = await seedStaff(database(), clock, 'billing_admin');
    viewer = await seedStaff(database(), clock, 'viewer');
  });
  afterAll(() => app.close());

  it('import YAML text → fix in review → create → amortization, with the revenue schedule as CSV', async () => {
    const post = (url: string, payload: unknown, headers = admin.headers) => app.inject({ method: 'POST', url, headers, payload: payload as object });
    const imported = await post('/admin/v1/contracts', { text: fixture('acme-annual.yaml'), format: 'yaml', reason: 'order form signed' });
    expect(imported.statusCode).toBe(201);
    const c = imported.json();
    expect(c).toMatchObject({ object: 'contract', status: 'review', quote: 'Q-2026-0042', form: null, problems: [{ path: 'customer.contact_email', code: 'contact_email_ambiguous' }] });
    expect((await post('/admin/v1/contracts', { text: fixture('acme-annual.yaml'), format: 'yaml', reason: 'x' }, viewer.headers)).statusCode).toBe(403);

    const create1 = await post(`/admin/v1/contracts/${c.id}/create`, { reason: 'go' });
    expect(create1.statusCode).toBe(400);
    expect(create1.json().error).toMatchObject({ code: 'contract_has_problems', param: 'customer.contact_email', details: { problems: [{ path: 'customer.contact_email' }] } });

    const fixed = await app.inject({ method: 'PATCH', url: `/admin/v1/contracts/${c.id}`, headers: admin.headers, payload: { set: { 'customer.contact_email': 'cfo@acme.example' }, ticket: 'OPS-1' } });
    expect(fixed.statusCode).toBe(200);
    expect(fixed.json()).toMatchObject({ problems: [], form: { customer: { contact_email: 'cfo@acme.example' }, products: [{ product: 'product_analytics', up_front: 4_800_000 }, { product: 'session_replay', up_front: 1_200_000 }] } });

    const created = await post(`/admin/v1/contracts/${c.id}/create`, { reason: 'reviewed' });
    expect(created.statusCode).toBe(200);
    expect(created.json()).toMatchObject({ status: 'created', invoice_issue_at: '2026-02-01T00:00:00.000Z' });
    expect(created.json().invoice).toMatch(/^inv_/);

    const live = await post(`/admin/v1/contracts/${c.id}/go-live`, { reason: 'early' });
    expect(live.statusCode).toBe(409);
    expect(live.json().error.code).toBe('contract_not_started');

    const am = await app.inject({ url: `/admin/v1/contracts/${c.id}/amortization`, headers: viewer.headers });
    expect(am.statusCode).toBe(200);
    expect(am.json()).toMatchObject({ currency: 'USD', total: 6_000_000, months: 12 });
    expect(am.json().slices.map((s: { amount: number }) => s.amount)).toEqual(Array(12).fill(500_000));

    const list = await app.inject({ url: '/admin/v1/contracts?status=created', headers: viewer.headers });
    expect(list.json().data.map((x: { id: string }) => x.id)).toContain(c.id);

    const csv = await app.inject({ url: '/admin/v1/revenue-schedule?by=product&from=2026-12&to=2027-01', headers: viewer.headers });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.body).toBe(
      ['month,product,currency,amount_minor', '2026-12,product_analytics,USD,400000', '2026-12,session_replay,USD,100000', '2027-01,product_analytics,USD,400000', '2027-01,session_replay,USD,100000', ''].join('\n'),
    );
    expect((await app.inject({ url: '/admin/v1/revenue-schedule?from=2026-13', headers: viewer.headers })).statusCode).toBe(400);
  });

  it('a JSON order_form body and CSV text; a document that does not parse is a 400 listing the problem', async () => {
    const csv = await app.inject({ method: 'POST', url: '/admin/v1/contracts', headers: admin.headers, payload: { text: fixture('acme-annual.csv').replace('org_acme', 'org_csv'), format: 'csv', reason: 'x' } });
    expect(csv.statusCode).toBe(201);
    expect(csv.json()).toMatchObject({ format: 'csv', problems: [], form: { customer: { kind: 'new', contact_email: 'cfo@acme.example' } } });

    const bad = await app.inject({ method: 'POST', url: '/admin/v1/contracts', headers: admin.headers, payload: { text: 'quote,Q\n', format: 'csv', reason: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error).toMatchObject({ code: 'invalid_order_form', param: 'order_form', details: { problems: [{ code: 'invalid_csv' }] } });

    const malformed = await app.inject({ method: 'POST', url: '/admin/v1/contracts', headers: admin.headers, payload: { text: fixture('malformed.yaml'), format: 'yaml', reason: 'x' } });
    expect(malformed.statusCode).toBe(201);
    expect(malformed.json().problems.length).toBe(10);

    const json = await app.inject({
      method: 'POST',
      url: '/admin/v1/contracts',
      headers: admin.headers,
      payload: { order_form: { quote: 'Q-J', start_date: '2026-03-01', term_years: 2, customer: { instance: 'us', external_id: 'org_json', name: 'J', address: { line1: 'x', country: 'DE' }, contact_email: 'j@j.example' }, products: [{ product: 'feature_flags', up_front: '$24k' }] }, reason: 'x' },
    });
    expect(json.statusCode).toBe(201);
    expect(json.json()).toMatchObject({ problems: [], form: { term_years: 2, products: [{ up_front: 2_400_000 }] } });
    const keyed = await app.inject({
      method: 'POST',
      url: '/admin/v1/contracts',
      headers: admin.headers,
      payload: { order_form: { quote: 'Q-K', start_date: '2026-03-01', term_years: 1, customer: { instance: 'us', external_id: 'org_json' }, products: { nope: { up_front: '1k' }, feature_flags: '$5k' } }, reason: 'x' },
    });
    // Listed as a mapping by product key: problems name the key; org_json is not a customer yet.
    expect(keyed.json().problems.map((p: { path: string; code: string }) => [p.path, p.code])).toEqual([
      ['products.nope.product', 'unknown_product'],
      ['customer.external_id', 'unknown_customer'],
    ]);
    const missing = await app.inject({ method: 'POST', url: '/admin/v1/contracts', headers: admin.headers, payload: { text: 'quote: Q', reason: 'x' } });
    expect(missing.json().error).toMatchObject({ code: 'format_required', param: 'format' });
  });
});
