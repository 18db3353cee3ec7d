import { expect, it } from 'vitest';
import { createDraftInvoice, finalizeInvoice, getInvoice } from '../../src/billing/invoices/index.js';
import { setUpProviderCustomer } from '../../src/billing/providers/setup.js';
import { formatSyncReport } from '../../src/cli/commands/sync.js';
import { jobs } from '../../src/store/schema.js';
import { seedStaff } from '../support/accounts.js';
import { describeDb } from '../support/db.js';
import { custom, useStripeWorld } from './helpers.js';

describeDb('sync with the provider (R22)', (database) => {
  const world = useStripeWorld(database);

  it('fixes what Tally owns (details, metadata, missing invoices), reports the rest as drift, and audits it', async () => {
    const w = world();
    const admin = await seedStaff(database(), w.clock, 'billing_admin');
    const c = await w.customer();
    const linked = await setUpProviderCustomer(w.staff, w.provider, c.id, { reason: 'test' });
    const sid = linked.providerCustomerId as string;
    w.emulator.attachPaymentMethod(sid);
    // Drift on Stripe's side: someone edited the name and blanked a metadata key in the dashboard.
    await w.stripe.customers.update(sid, { name: 'ACME (old name)', metadata: { external_id: '' } });
    // An invoice whose push never ran (the job was lost), and a Stripe invoice Tally never made.
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '3')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    await database().db.delete(jobs);
    const stray = await w.stripe.invoices.create({ customer: sid, collection_method: 'send_invoice', days_until_due: 30 });
    await w.settle();
    // A second customer with a Stripe-side credit (Tally keeps the only ledger) and an invoice it would distort;
    // a third that never set up billing.
    const d = await w.customer();
    const dLinked = await setUpProviderCustomer(w.staff, w.provider, d.id, { reason: 'test' });
    await w.stripe.customers.createBalanceTransaction(dLinked.providerCustomerId as string, { amount: -700, currency: 'usd' });
    const dInv = await finalizeInvoice(w.system, (await createDraftInvoice(w.system, { customerId: d.id, lines: [custom('Seats', '1000')] })).id);
    await database().db.delete(jobs);
    const e = await w.customer();
    await w.settle();

    const res = await w.app.inject({ method: 'POST', url: '/admin/v1/customers/sync', headers: admin.headers, payload: { customer_ids: [c.id, d.id, e.id], ticket: 'SUP-42' } });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report.provider).toBe('stripe');
    expect(report.fixed).toEqual([
      { customer: c.id, field: 'name', tally: 'Acme Rockets', provider: 'ACME (old name)' },
      { customer: c.id, field: 'metadata.external_id', tally: c.externalId, provider: null },
      { customer: c.id, field: `invoice ${inv.number}`, tally: { status: 'open', amount_due: 4500 }, provider: null },
    ]);
    expect(report.drift).toEqual([
      { customer: c.id, field: `provider invoice ${stray.id}`, tally: null, provider: { status: 'draft', total: 0 } },
      { customer: d.id, field: 'balance', tally: 0, provider: -700 },
      { customer: d.id, field: `invoice ${dInv.number}`, tally: { amount_due: 1000 }, provider: { provider_invoice_id: expect.stringMatching(/^in_/), reasons: [expect.stringMatching(/balance of -700/)] } },
      { customer: e.id, field: 'provider_customer_id', tally: null, provider: null },
    ]);

    // Both sides now agree on what Tally owns.
    const sc = await w.stripe.customers.retrieve(sid);
    if (sc.deleted) throw new Error('deleted');
    expect(sc.name).toBe('Acme Rockets');
    expect(sc.metadata.external_id).toBe(c.externalId);
    const pushed = await getInvoice(w.system, inv.id);
    expect((await w.stripe.invoices.retrieve(pushed.providerInvoiceId as string)).status).toBe('open');
    // The distorted one is held back as a draft, never charged short.
    const held = await getInvoice(w.system, dInv.id);
    expect((await w.stripe.invoices.retrieve(held.providerInvoiceId as string)).status).toBe('draft');
    // A second sync finds nothing left to fix for the first customer.
    const again = await w.app.inject({ method: 'POST', url: '/admin/v1/customers/sync', headers: admin.headers, payload: { customer_ids: [c.id], reason: 'check' } });
    expect(again.json().fixed).toEqual([]);

    const audit = (await w.audit(c.id)).filter((a) => a.action === 'provider.sync');
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ actorType: 'staff', ticket: 'SUP-42' });
    expect(formatSyncReport(report)).toContain(`  ${d.id}  balance: Tally 0 | stripe -700`);
  });
});
