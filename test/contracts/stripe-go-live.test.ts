import { expect, it } from 'vitest';
import { createContract, goLiveContract, importContract, updateContract } from '../../src/billing/contracts/contracts.js';
import { findCustomerByExternalId } from '../../src/billing/customers/customers.js';
import { getInvoice } from '../../src/billing/invoices/read.js';
import { describeDb } from '../support/db.js';
import { useStripeWorld } from '../providers/helpers.js';
import { fixture } from './helpers.js';

const why = { reason: 'signed order form', ticket: 'OPS-77' };

describeDb('a contract going live with Stripe as the provider (R19)', (database) => {
  const world = useStripeWorld(database, '2031-03-01T10:00:00Z');

  it('import → review → create → go live: the customer is put at Stripe and the up-front invoice mirrored as sent', async () => {
    const w = world();
    const org = `org_stripe_${Math.random().toString(36).slice(2, 8)}`;
    const form = fixture('acme-annual.yaml').replace('instance: us', `instance: ${w.instance.slug}`).replace('org_acme', org).replace('start_date: 2026-02-01', 'start_date: 2031-04-01');
    const imported = await importContract(w.staff, { text: form, format: 'yaml' }, why);
    await updateContract(w.staff, imported.id, { 'customer.contact_email': 'ap@acme.example' }, why);
    const created = await createContract(w.staff, imported.id, why);
    await w.runJobs();
    // Nothing reaches Stripe before the contract starts.
    expect(w.emulator.objects.customers).toHaveLength(0);
    await expect(goLiveContract(w.staff, created.id, why)).rejects.toMatchObject({ code: 'contract_not_started' });

    w.clock.set('2031-04-01T00:00:00Z');
    await w.runJobs();
    const customer = (await findCustomerByExternalId(w.system, w.instance.id, org))!;
    expect(customer.providerCustomerId).toMatch(/^cus_/);
    const remoteCustomer = await w.stripe.customers.retrieve(customer.providerCustomerId!);
    if (remoteCustomer.deleted) throw new Error('deleted');
    expect(remoteCustomer.metadata).toEqual({ tally_customer_id: customer.id, instance: w.instance.slug, external_id: org });
    expect(remoteCustomer.email).toBe('ap@acme.example');

    // The $60,000 up-front invoice, line for line, sent for payment by card or ACH, due start + 30 days.
    const invoice = await getInvoice(w.system, created.invoiceId!);
    expect(invoice).toMatchObject({ status: 'open', amountDue: 6_000_000n });
    expect(invoice.providerInvoiceId).toMatch(/^in_/);
    const remote = await w.stripe.invoices.retrieve(invoice.providerInvoiceId!);
    expect(remote).toMatchObject({ status: 'open', collection_method: 'send_invoice', total: 6_000_000, amount_due: 6_000_000, metadata: { tally_invoice_id: invoice.id } });
    expect([...(remote.payment_settings.payment_method_types ?? [])].sort()).toEqual(['card', 'us_bank_account']);
    expect(remote.due_date).toBe(Date.parse('2031-05-01T00:00:00Z') / 1000);
    expect(remote.lines.data.map((l) => l.amount)).toEqual([4_800_000, 1_200_000]);
    // Exactly one of each at Stripe, however many jobs ran.
    expect(w.emulator.objects.customers).toHaveLength(1);
    expect(w.emulator.objects.invoices).toHaveLength(1);
  });
});
