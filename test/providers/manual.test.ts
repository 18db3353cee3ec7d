import type { FastifyInstance } from 'fastify';
import { beforeAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { createCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { createDraftInvoice, finalizeInvoice } from '../../src/billing/invoices/index.js';
import { readPaymentSettings } from '../../src/billing/providers/settings.js';
import { ManualClock } from '../../src/shared/clock.js';
import { jobs } from '../../src/store/schema.js';
import { seedInstance, seedStaff, systemCtx, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';
import { example } from '../invoices/helpers.js';

describe('provider selection from the environment', () => {
  it('is manual without STRIPE_SECRET_KEY, Stripe with it (and its webhook secret, API base and limits)', () => {
    expect(readPaymentSettings({})).toEqual({ provider: 'manual' });
    expect(
      readPaymentSettings({ STRIPE_SECRET_KEY: 'sk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_abc', STRIPE_API_BASE: 'http://127.0.0.1:12111', STRIPE_RATE_LIMIT_PER_ENDPOINT: '10' }),
    ).toEqual({ provider: 'stripe', secretKey: 'sk_test_123', webhookSecret: 'whsec_abc', apiBase: 'http://127.0.0.1:12111', limits: { writesPerSecond: 100, perEndpointPerSecond: 10 } });
  });

  it('refuses a Stripe key without a webhook secret, a malformed key or API base, and a bad limit, naming the variable', () => {
    expect(() => readPaymentSettings({ STRIPE_SECRET_KEY: 'sk_test_123' })).toThrow(expect.objectContaining({ param: 'STRIPE_WEBHOOK_SECRET' }));
    expect(() => readPaymentSettings({ STRIPE_SECRET_KEY: 'pk_test_123', STRIPE_WEBHOOK_SECRET: 'whsec_a' })).toThrow(expect.objectContaining({ param: 'STRIPE_SECRET_KEY' }));
    expect(() => readPaymentSettings({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_a', STRIPE_API_BASE: 'localhost:1' })).toThrow(expect.objectContaining({ param: 'STRIPE_API_BASE' }));
    expect(() => readPaymentSettings({ STRIPE_SECRET_KEY: 'sk_test_1', STRIPE_WEBHOOK_SECRET: 'whsec_a', STRIPE_RATE_LIMIT_WRITES: '0' })).toThrow(expect.objectContaining({ param: 'STRIPE_RATE_LIMIT_WRITES' }));
  });
});

describeDb('manual provider (no Stripe configured)', (database) => {
  const clock = new ManualClock('2031-05-01T09:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let admin: SeededStaff;
  let acme: Customer;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    us = await seedInstance(database(), clock, 'us');
    admin = await seedStaff(database(), clock, 'billing_admin');
    acme = await createCustomer(systemCtx(database(), clock), { instanceId: us.instance.id, externalId: 'team_1', name: 'Acme', billingEmail: 'ap@acme.test', currency: 'usd' });
  });

  it('answers billing setup honestly: back to return_url marked billing_setup=manual, no expiry', async () => {
    const res = await app.inject({ method: 'POST', url: `/v1/customers/${acme.id}/billing-setup`, headers: us.headers, payload: { return_url: 'https://app.example/billing?tab=plan' } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ url: 'https://app.example/billing?tab=plan&billing_setup=manual', provider: 'manual', expires_at: null });
    const bad = await app.inject({ method: 'POST', url: `/v1/customers/${acme.id}/billing-setup`, headers: us.headers, payload: { return_url: 'not a url' } });
    expect(bad.json().error).toMatchObject({ code: 'return_url_invalid', param: 'return_url' });
    const other = await seedInstance(database(), clock, 'eu');
    const hidden = await app.inject({ method: 'POST', url: `/v1/customers/${acme.id}/billing-setup`, headers: other.headers, payload: { return_url: 'https://x.example' } });
    expect(hidden.statusCode).toBe(404);
  });

  it('records a bank transfer with mark-paid (audited with its reference), and queues nothing for a provider', async () => {
    const draft = await createDraftInvoice(systemCtx(database(), clock), { customerId: acme.id, collectionMethod: 'send_invoice', lines: [{ description: 'Annual fee', unitAmount: '500000', quantity: '1' }] });
    const inv = await finalizeInvoice(systemCtx(database(), clock), draft.id);
    clock.advance(3 * 86_400_000);
    const res = await app.inject({
      method: 'POST',
      url: `/admin/v1/invoices/${inv.id}/mark-paid`,
      headers: admin.headers,
      payload: { reference: 'WIRE-2031-0042', paid_at: '2031-05-03T12:00:00Z', reason: 'wire received' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'paid', amount_paid: 500_000, payment_reference: 'WIRE-2031-0042' });
    const audit = await app.inject({ url: `/admin/v1/audit?target=${inv.id}`, headers: admin.headers });
    const actions = (audit.json().data as { action: string; reason: string }[]).map((a) => [a.action, a.reason]);
    expect(actions).toContainEqual(['invoice.pay', 'wire received']);
    const again = await app.inject({ method: 'POST', url: `/admin/v1/invoices/${inv.id}/mark-paid`, headers: admin.headers, payload: { reference: 'WIRE-2', reason: 'dup' } });
    expect(again.statusCode).toBe(409);
    expect((await database().db.select().from(jobs)).filter((j) => j.kind.startsWith('provider.'))).toEqual([]);
  });

  it('refuses to sync or create provider customers when there is no provider', async () => {
    const sync = await app.inject({ method: 'POST', url: '/admin/v1/customers/sync', headers: admin.headers, payload: { customer_ids: [acme.id], reason: 'x' } });
    expect(sync.statusCode).toBe(409);
    expect(sync.json().error.code).toBe('provider_manual');
    const setup = await app.inject({ method: 'POST', url: `/admin/v1/customers/${acme.id}/provider-customer`, headers: admin.headers, payload: { reason: 'x' } });
    expect(setup.json().error).toMatchObject({ code: 'provider_manual' });
    const hook = await app.inject({ method: 'POST', url: '/webhooks/stripe', headers: { 'content-type': 'application/json', 'stripe-signature': 't=1,v1=00' }, payload: '{}' });
    expect(hook.statusCode).toBe(404);
  });
});
