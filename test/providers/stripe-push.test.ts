import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/balance.js';
import { getCustomer } from '../../src/billing/customers/customers.js';
import { createDraftInvoice, finalizeInvoice, getInvoice, markInvoicePaid, markUncollectible, sendInvoice, voidInvoice } from '../../src/billing/invoices/index.js';
import { PUSH_INVOICE_JOB } from '../../src/billing/providers/job-kinds.js';
import { invoiceMirror, pushInvoiceToProvider } from '../../src/billing/providers/push.js';
import { setUpProviderCustomer } from '../../src/billing/providers/setup.js';
import { invoiceLines } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { custom, useStripeWorld, type StripeWorld } from './helpers.js';

describeDb('Stripe provider: customers and invoice pushes', (database) => {
  const world = useStripeWorld(database);

  /** A customer set up at Stripe by staff, with a card on file. */
  async function stripeCustomer(w: StripeWorld) {
    const c = await w.customer({ address: { line1: '1 Main St', city: 'Springfield', country: 'US' }, taxIds: [{ type: 'us_ein', value: '12-3456789' }] });
    const linked = await setUpProviderCustomer(w.staff, w.provider, c.id, { reason: 'annual deal, pays by ACH' });
    w.emulator.attachPaymentMethod(linked.providerCustomerId as string);
    return linked;
  }

  it('creates the Stripe customer with Tally metadata and details, links it, and audits the action (R16)', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    expect(c.providerCustomerId).toMatch(/^cus_/);
    const remote = await w.stripe.customers.retrieve(c.providerCustomerId as string, { expand: ['tax_ids'] });
    if (remote.deleted) throw new Error('deleted');
    expect(remote.metadata).toEqual({ tally_customer_id: c.id, instance: w.instance.slug, external_id: c.externalId });
    expect(remote).toMatchObject({ name: 'Acme Rockets', email: 'ap@acme.test', address: { line1: '1 Main St', city: 'Springfield', country: 'US' } });
    expect(remote.tax_ids?.data.map((t) => [t.type, t.value])).toEqual([['us_ein', '12-3456789']]);
    expect((await w.audit(c.id)).map((a) => [a.action, a.actorType, a.reason])).toEqual([['customer.update', 'staff', 'annual deal, pays by ACH']]);
    // Doing it again finds the same customer: no second Stripe customer.
    await setUpProviderCustomer(w.staff, w.provider, c.id, { reason: 'again' });
    expect(w.emulator.objects.customers).toHaveLength(1);
  });

  it('does not put a customer at the provider before billing is set up, and does not push their invoices', async () => {
    const w = world();
    const c = await w.customer();
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '4')] });
    await finalizeInvoice(w.system, draft.id);
    expect(await w.pendingJobs(PUSH_INVOICE_JOB)).toBe(0);
    expect((await getCustomer(w.system, c.id)).providerCustomerId).toBeNull();
    expect(w.emulator.objects.customers).toHaveLength(0);
  });

  it('mirrors a monthly invoice line for line, with the credit applied as a line, and charges automatically', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -1_000n, currency: 'usd', type: 'credit', description: 'goodwill' });
    const draft = await createDraftInvoice(w.system, {
      customerId: c.id,
      collectionMethod: 'charge_automatically',
      lines: [custom('Seats', '1500', '4'), custom('Events (per unit)', '0.05', '30'), custom('Support', '2500.5', '1')],
    });
    const inv = await finalizeInvoice(w.system, draft.id);
    // 4 × 1500 = 6000; 30 × 0.05 = 1.5 → 2; 2500.5 → 2501; total 8503, credit 1000 → due 7503.
    expect([inv.total, inv.appliedBalance, inv.amountDue]).toEqual([8_503n, -1_000n, 7_503n]);
    await w.runJobs();

    const pushed = await getInvoice(w.system, inv.id);
    expect(pushed.providerInvoiceId).toMatch(/^in_/);
    const remote = await w.stripe.invoices.retrieve(pushed.providerInvoiceId as string);
    expect(remote).toMatchObject({
      status: 'open',
      collection_method: 'charge_automatically',
      auto_advance: true,
      total: 7_503,
      amount_due: 7_503,
      due_date: null,
      metadata: { tally_invoice_id: inv.id, tally_invoice_number: inv.number },
      payment_settings: { payment_method_types: ['card'] },
    });
    const lines = remote.lines.data.map((l) => [l.description, l.amount, l.quantity, l.metadata.tally_line]);
    expect(lines).toEqual([
      ['Seats', 6_000, 4, inv.lines[0]?.id],
      ['Events (per unit)', 2, 30, inv.lines[1]?.id], // 30 × 0.05 rounded by Stripe, as by Tally
      ['Support', 2_501, 1, inv.lines[2]?.id],
      ['Credit applied from account balance', -1_000, 1, 'balance'],
    ]);
    // Stripe's own balance was never touched: Tally keeps the only ledger.
    const sc = await w.stripe.customers.retrieve(c.providerCustomerId as string);
    expect(sc.deleted ? null : sc.balance).toBe(0);
    // A rerun changes nothing.
    await pushInvoiceToProvider(w.system, w.provider, inv.id);
    expect(w.emulator.objects.invoices).toHaveLength(1);
    expect(w.emulator.objects.invoiceItems).toHaveLength(4);
  });

  it('sends an annual invoice: send_invoice, net 30, card and ACH, the memo; Tally sending it emails it via Stripe (R18, R23)', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    const draft = await createDraftInvoice(w.staff, {
      customerId: c.id,
      collectionMethod: 'send_invoice',
      memo: 'Accepted quote Q-2031-007',
      lines: [custom('Annual platform fee', '1200000')],
    }, { reason: 'order form signed' });
    const inv = await finalizeInvoice(w.staff, draft.id, { reason: 'reviewed' });
    await w.runJobs();
    const pushed = await getInvoice(w.system, inv.id);
    const remote = await w.stripe.invoices.retrieve(pushed.providerInvoiceId as string);
    expect(remote).toMatchObject({
      status: 'open',
      collection_method: 'send_invoice',
      auto_advance: false,
      description: 'Accepted quote Q-2031-007',
      total: 1_200_000,
      payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
    });
    expect(remote.due_date).toBe(Math.floor(w.clock.now().getTime() / 1000) + 30 * 86_400);
    expect(w.emulator.events.filter((e) => e.type === 'invoice.sent')).toHaveLength(0);

    await sendInvoice(w.staff, inv.id, { reason: 'send to AP' });
    await w.runJobs();
    const sent = w.emulator.events.filter((e) => e.type === 'invoice.sent');
    expect(sent.map((e) => (e.data.object as { id: string }).id)).toEqual([remote.id]);
    expect(w.emulator.requests.find((r) => r.path.endsWith('/send'))?.idempotencyKey).toBe(`tally:${inv.id}:send:${w.clock.now().getTime()}`);
  });

  it('stops the push when Stripe would charge another amount: no finalization, an event and an audit row for staff', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '4'), custom('Storage', '300', '2')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    // A rating bug in Tally: the stored amount is not quantity × unit price, which Stripe recomputes.
    await database().db.update(invoiceLines).set({ amount: 6_100n }).where(eq(invoiceLines.id, inv.lines[0]?.id as string));
    await w.runJobs();

    const after = await getInvoice(w.system, inv.id);
    const remote = await w.stripe.invoices.retrieve(after.providerInvoiceId as string);
    expect(remote.status).toBe('draft');
    expect(remote.auto_advance).toBe(false);
    expect(w.emulator.requests.filter((r) => r.path.endsWith('/finalize'))).toHaveLength(0);
    expect(await w.eventTypes(inv.id)).toContain('provider.invoice_mismatch');
    const alerts = (await w.audit(inv.id)).filter((a) => a.action === 'provider.invoice_mismatch');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]?.reason).toContain(`line ${inv.lines[0]?.id} (Seats): provider 6000, Tally 6100`);

    // Rerunning alerts no further and still does not finalize.
    await pushInvoiceToProvider(w.system, w.provider, inv.id);
    expect((await w.audit(inv.id)).filter((a) => a.action === 'provider.invoice_mismatch')).toHaveLength(1);
    expect((await w.stripe.invoices.retrieve(remote.id)).status).toBe('draft');

    // Staff settle it by voiding in Tally: the never-issued Stripe draft goes away.
    await voidInvoice(w.staff, inv.id, { reason: 'rating bug, reissuing' });
    await w.runJobs();
    expect(w.emulator.objects.invoices).toHaveLength(0);
  });

  it('stops the push when the Stripe customer has a balance of its own that Stripe would apply on top', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    await w.stripe.customers.createBalanceTransaction(c.providerCustomerId as string, { amount: -500, currency: 'usd' });
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '4')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    await w.runJobs();
    const remote = await w.stripe.invoices.retrieve((await getInvoice(w.system, inv.id)).providerInvoiceId as string);
    expect(remote.status).toBe('draft');
    const alert = (await w.audit(inv.id)).find((a) => a.action === 'provider.invoice_mismatch');
    expect(alert?.reason).toMatch(/balance of -500/);
  });

  it('creates each Stripe object once under 429s, 500s and connections dropped after Stripe committed', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    w.emulator.faults.next({ status: 500, path: '/v1/invoices', method: 'POST' });
    w.emulator.faults.dropAfterCommit({ times: 2, path: '/v1/invoices', method: 'POST' });
    w.emulator.faults.next({ status: 429, times: 2, path: '/v1/invoiceitems', method: 'POST' });
    w.emulator.faults.dropAfterCommit({ times: 2, path: '/v1/invoiceitems', method: 'POST' });
    w.emulator.faults.next({ status: 503, path: /\/finalize$/, method: 'POST' });
    w.emulator.faults.dropAfterCommit({ times: 2, path: /\/finalize$/, method: 'POST' });
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '4'), custom('Storage', '300', '2'), custom('Support', '999')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    const result = await w.runJobs();
    expect(result.failed).toBe(0);
    expect(w.emulator.faults.pending).toBe(0);

    expect(w.emulator.objects.invoices).toHaveLength(1);
    expect(w.emulator.objects.invoiceItems).toHaveLength(3);
    const remote = w.emulator.objects.invoices[0];
    expect(remote).toMatchObject({ status: 'open', total: 7_599, amount_due: 7_599 });
    expect(inv.amountDue).toBe(7_599n);
    // Every POST carried a key made of Tally's IDs, and the retries replayed it.
    const posts = w.emulator.requests.filter((r) => r.method === 'POST' && r.path !== '/v1/customers' && !r.path.includes('tax_ids'));
    expect(posts.every((r) => r.idempotencyKey?.startsWith(`tally:${inv.id}:`))).toBe(true);
    expect(posts.some((r) => r.replayed)).toBe(true);
  });

  it('a push cut short (Stripe down longer than the retries) resumes on the next run without duplicates', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    const draft = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('A', '100'), custom('B', '200'), custom('C', '300')] });
    const inv = await finalizeInvoice(w.system, draft.id);
    // The invoice gets through, then Stripe answers 500 to every invoice item for longer than the retries last.
    w.emulator.faults.next({ status: 500, times: 50, path: '/v1/invoiceitems', method: 'POST' });
    await expect(pushInvoiceToProvider(w.system, w.provider, inv.id)).rejects.toMatchObject({ code: 'provider_unavailable' });
    expect(w.emulator.objects.invoiceItems).toHaveLength(0);
    expect((await getInvoice(w.system, inv.id)).providerInvoiceId).toMatch(/^in_/);
    w.emulator.faults.clear();
    const outcome = await pushInvoiceToProvider(w.system, w.provider, inv.id);
    expect(outcome).toMatchObject({ outcome: 'in_step', providerStatus: 'open' });
    expect(w.emulator.objects.invoices).toHaveLength(1);
    expect(w.emulator.objects.invoiceItems).toHaveLength(3);
    expect(w.emulator.objects.invoices[0]?.total).toBe(600);
  });

  it("follows Tally's own transitions at Stripe: a wire recorded by staff is paid out of band, a void is voided", async () => {
    const w = world();
    const c = await stripeCustomer(w);
    const mk = async () => finalizeInvoice(w.system, (await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', lines: [custom('Fee', '5000')] })).id);
    const wired = await mk();
    const voided = await mk();
    const written = await mk();
    await w.runJobs();
    await markInvoicePaid(w.staff, wired.id, { reference: 'WIRE-9' }, { reason: 'wire arrived' });
    await voidInvoice(w.staff, voided.id, { reason: 'duplicate' });
    await markUncollectible(w.staff, written.id, { reason: 'company closed' });
    await w.runJobs();
    const status = async (id: string) => (await w.stripe.invoices.retrieve((await getInvoice(w.system, id)).providerInvoiceId as string)).status;
    expect([await status(wired.id), await status(voided.id), await status(written.id)]).toEqual(['paid', 'void', 'uncollectible']);
    const pay = w.emulator.requests.find((r) => r.path.endsWith('/pay'));
    expect(pay?.params).toMatchObject({ paid_out_of_band: 'true' });
  });

  it('finds the Stripe invoice a crashed run created but never recorded (by its tally_invoice_id), instead of creating another', async () => {
    const w = world();
    const c = await stripeCustomer(w);
    const inv = await finalizeInvoice(w.system, (await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('Seats', '1500', '2')] })).id);
    const mirror = invoiceMirror(inv, c.providerCustomerId as string);
    // The process dies right after Stripe created the invoice, before Tally stored its ID.
    await expect(w.provider.pushInvoice(mirror, { known: null, remember: () => Promise.reject(new Error('killed')) })).rejects.toThrow('killed');
    expect(w.emulator.objects.invoices).toHaveLength(1);
    // A day later Stripe has forgotten the idempotency keys: only the metadata can tell.
    w.clock.advance(25 * 3600 * 1000);
    const outcome = await pushInvoiceToProvider(w.system, w.provider, inv.id);
    expect(outcome).toMatchObject({ outcome: 'in_step', providerStatus: 'open' });
    expect(w.emulator.objects.invoices).toHaveLength(1);
    expect(w.emulator.objects.invoiceItems).toHaveLength(1);
    expect((await getInvoice(w.system, inv.id)).providerInvoiceId).toBe(w.emulator.objects.invoices[0]?.id);
  });
});
