import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { useEmulator } from './helpers.js';

const clock = new ManualClock('2031-03-01T12:00:00Z');
const t = useEmulator({ clock });
const HOUR = 3600_000;
const unix = (): number => Math.floor(clock.now().getTime() / 1000);

async function customerWithProduct(params: Stripe.CustomerCreateParams = {}): Promise<{ customer: Stripe.Customer; product: Stripe.Product }> {
  const customer = await t.stripe.customers.create({ email: 'ap@acme.test', name: 'Acme', ...params });
  const product = await t.stripe.products.create({ name: 'Platform' });
  return { customer, product };
}

async function draftWith(customer: string, amounts: number[], params: Stripe.InvoiceCreateParams = {}): Promise<Stripe.Invoice> {
  const invoice = await t.stripe.invoices.create({ customer, ...params });
  for (const amount of amounts) await t.stripe.invoiceItems.create({ customer, invoice: invoice.id, amount, currency: 'usd' });
  return t.stripe.invoices.retrieve(invoice.id);
}

describe('an annual invoice drafted from a quote (R18)', () => {
  it('carries lines, memo, footer, metadata, payment methods and net-30 terms through finalize and send', async () => {
    const { customer, product } = await customerWithProduct();
    const seats = await t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 12_000 });
    const invoice = await t.stripe.invoices.create({
      customer: customer.id,
      collection_method: 'send_invoice',
      days_until_due: 30,
      payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
      description: 'Per accepted quote Q-2031-007',
      footer: 'Wire details on file',
      metadata: { tally_invoice_id: 'inv_01', quote: 'Q-2031-007' },
      auto_advance: false,
      pending_invoice_items_behavior: 'exclude',
    });
    expect(invoice).toMatchObject({
      object: 'invoice',
      status: 'draft',
      number: null,
      collection_method: 'send_invoice',
      auto_advance: false,
      description: 'Per accepted quote Q-2031-007',
      footer: 'Wire details on file',
      payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
      lines: { object: 'list', data: [], has_more: false, url: `/v1/invoices/${invoice.id}/lines` },
      customer_email: 'ap@acme.test',
    });
    const start = unix();
    const year = { start, end: start + 365 * 86_400 };
    const seatItem = await t.stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      pricing: { price: seats.id },
      quantity: 25,
      description: 'Seats (annual)',
      period: year,
      metadata: { tally_line_id: 'line_1' },
    });
    expect(seatItem).toMatchObject({ object: 'invoiceitem', amount: 300_000, quantity: 25, invoice: invoice.id, period: year });
    expect(seatItem.pricing?.price_details).toEqual({ price: seats.id, product: product.id });
    await t.stripe.invoiceItems.create({
      customer: customer.id,
      invoice: invoice.id,
      unit_amount_decimal: Stripe.Decimal.from('0.004'),
      quantity: 60_000_000,
      currency: 'usd',
      description: 'Included events',
    });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: -5_000, currency: 'usd', description: 'Onboarding credit' });

    const draft = await t.stripe.invoices.retrieve(invoice.id);
    expect(draft.lines.data.map((l) => l.amount)).toEqual([300_000, 240_000, -5_000]);
    expect(draft.lines.data[0]).toMatchObject({ object: 'line_item', description: 'Seats (annual)', quantity: 25, metadata: { tally_line_id: 'line_1' } });
    expect(draft.lines.data[0]?.id).toMatch(/^il_/);
    expect(draft).toMatchObject({ subtotal: 535_000, total: 535_000, amount_due: 535_000 });

    clock.advance(HOUR);
    const finalized = await t.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized).toMatchObject({ status: 'open', total: 535_000, amount_due: 535_000, amount_remaining: 535_000, amount_paid: 0 });
    expect(finalized.number).toBe(`${customer.invoice_prefix}-0001`);
    expect(finalized.status_transitions.finalized_at).toBe(unix());
    expect(finalized.due_date).toBe(unix() + 30 * 86_400);
    expect(finalized.hosted_invoice_url).toContain(invoice.id);

    const sent = await t.stripe.invoices.sendInvoice(invoice.id);
    expect(sent.status).toBe('open');
    const paid = await t.stripe.invoices.pay(invoice.id, { paid_out_of_band: true });
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 535_000, amount_remaining: 0 });
    expect(t.emulator.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['invoice.created', 'invoice.finalized', 'invoice.sent', 'invoice.paid']),
    );
    const second = await draftWith(customer.id, [100]);
    expect((await t.stripe.invoices.finalizeInvoice(second.id)).number).toBe(`${customer.invoice_prefix}-0002`);
  });

  it('defaults send_invoice terms to net 30 and rejects terms on charge_automatically', async () => {
    const { customer } = await customerWithProduct();
    const invoice = await draftWith(customer.id, [1000], { collection_method: 'send_invoice' });
    const finalized = await t.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized.due_date).toBe(unix() + 30 * 86_400);
    await expect(t.stripe.invoices.create({ customer: customer.id, days_until_due: 10 })).rejects.toMatchObject({ param: 'days_until_due' });
    const fixed = await t.stripe.invoices.create({ customer: customer.id, collection_method: 'send_invoice', due_date: unix() + 86_400 });
    expect(fixed.due_date).toBe(unix() + 86_400);
  });
});

describe('customer balance on finalization', () => {
  it('reduces amount_due but not total, and consumes the credit', async () => {
    const { customer } = await customerWithProduct();
    await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -5_000, currency: 'usd' });
    const invoice = await draftWith(customer.id, [7_000, 5_000], { collection_method: 'send_invoice', days_until_due: 30 });
    expect(invoice).toMatchObject({ total: 12_000, amount_due: 12_000, starting_balance: 0, ending_balance: null });
    const finalized = await t.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized).toMatchObject({ subtotal: 12_000, total: 12_000, amount_due: 7_000, starting_balance: -5_000, ending_balance: 0 });
    const after = (await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer;
    expect(after.balance).toBe(0);
    const [applied] = (await t.stripe.customers.listBalanceTransactions(customer.id)).data;
    expect(applied).toMatchObject({ type: 'applied_to_invoice', amount: 5_000, invoice: invoice.id, ending_balance: 0 });
  });

  it('marks an invoice paid at once when the credit covers it, keeping the rest', async () => {
    const { customer } = await customerWithProduct();
    await t.stripe.customers.createBalanceTransaction(customer.id, { amount: -20_000, currency: 'usd' });
    const invoice = await draftWith(customer.id, [12_000]);
    const finalized = await t.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized).toMatchObject({ status: 'paid', total: 12_000, amount_due: 0, amount_paid: 0, starting_balance: -20_000, ending_balance: -8_000 });
    expect(((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(-8_000);
  });

  it('adds a positive (owed) balance to amount_due, and gives it back when the invoice is voided', async () => {
    const { customer } = await customerWithProduct();
    await t.stripe.customers.createBalanceTransaction(customer.id, { amount: 1_500, currency: 'usd' });
    const invoice = await draftWith(customer.id, [10_000], { collection_method: 'send_invoice' });
    const finalized = await t.stripe.invoices.finalizeInvoice(invoice.id);
    expect(finalized).toMatchObject({ total: 10_000, amount_due: 11_500, starting_balance: 1_500, ending_balance: 0 });
    await t.stripe.invoices.voidInvoice(invoice.id);
    expect(((await t.stripe.customers.retrieve(customer.id)) as Stripe.Customer).balance).toBe(1_500);
    expect((await t.stripe.customers.listBalanceTransactions(customer.id)).data[0]).toMatchObject({ type: 'unapplied_from_invoice', amount: 1_500 });
  });
});

describe('collection', () => {
  it('charges the default payment method; without one, pay is refused', async () => {
    const { customer } = await customerWithProduct();
    const invoice = await draftWith(customer.id, [2_500]);
    await t.stripe.invoices.finalizeInvoice(invoice.id);
    await expect(t.stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ message: expect.stringContaining('no attached payment source') });
    t.emulator.attachPaymentMethod(customer.id);
    const paid = await t.stripe.invoices.pay(invoice.id);
    expect(paid).toMatchObject({ status: 'paid', amount_paid: 2_500, attempted: true, attempt_count: 1 });
    expect(paid.status_transitions.paid_at).toBe(unix());
    expect(t.emulator.events.slice(-2).map((e) => e.type)).toEqual(['invoice.payment_succeeded', 'invoice.paid']);
  });

  it('simulated failures emit invoice.payment_failed and decline until a new payment method is given', async () => {
    const { customer } = await customerWithProduct({ payment_method: 'pm_card_visa', invoice_settings: { default_payment_method: 'pm_card_visa' } });
    expect(customer.invoice_settings.default_payment_method).toMatch(/^pm_/);
    const invoice = await draftWith(customer.id, [4_000]);
    await t.stripe.invoices.finalizeInvoice(invoice.id);
    const failed = t.emulator.simulatePaymentFailure(invoice.id);
    expect(failed).toMatchObject({ status: 'open', attempted: true, attempt_count: 1 });
    expect(t.emulator.events.at(-1)?.type).toBe('invoice.payment_failed');
    const declined = await t.stripe.invoices.pay(invoice.id).catch((e: unknown) => e);
    expect(declined).toBeInstanceOf(Stripe.errors.StripeCardError);
    expect(declined).toMatchObject({ statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' });
    const paid = await t.stripe.invoices.pay(invoice.id, { payment_method: 'pm_card_mastercard' });
    expect(paid).toMatchObject({ status: 'paid', attempt_count: 3 });
  });

  it('auto-advances on the emulator clock: finalize after an hour, charge an hour later', async () => {
    const { customer } = await customerWithProduct();
    t.emulator.attachPaymentMethod(customer.id);
    const invoice = await draftWith(customer.id, [9_900], { auto_advance: true });
    expect(invoice.automatically_finalizes_at).toBe(invoice.created + 3600);
    clock.advance(HOUR);
    const open = await t.stripe.invoices.retrieve(invoice.id);
    expect(open.status).toBe('open');
    expect(open.next_payment_attempt).toBe(unix() + 3600);
    clock.advance(HOUR);
    t.emulator.tick();
    expect((await t.stripe.invoices.retrieve(invoice.id)).status).toBe('paid');
  });
});

describe('state machine', () => {
  it('rejects illegal transitions with status_transition_invalid', async () => {
    const { customer } = await customerWithProduct();
    const invoice = await draftWith(customer.id, [1_000], { collection_method: 'send_invoice' });
    await expect(t.stripe.invoices.voidInvoice(invoice.id)).rejects.toMatchObject({ code: 'status_transition_invalid', statusCode: 400 });
    await expect(t.stripe.invoices.pay(invoice.id)).rejects.toMatchObject({ code: 'status_transition_invalid' });
    await expect(t.stripe.invoices.markUncollectible(invoice.id)).rejects.toMatchObject({ code: 'status_transition_invalid' });
    await t.stripe.invoices.finalizeInvoice(invoice.id);
    await expect(t.stripe.invoices.finalizeInvoice(invoice.id)).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    await expect(t.stripe.invoices.del(invoice.id)).rejects.toMatchObject({ code: 'status_transition_invalid' });
    const uncollectible = await t.stripe.invoices.markUncollectible(invoice.id);
    expect(uncollectible.status).toBe('uncollectible');
    expect(uncollectible.status_transitions.marked_uncollectible_at).toBe(unix());
    const voided = await t.stripe.invoices.voidInvoice(invoice.id);
    expect(voided.status).toBe('void');
    await expect(t.stripe.invoices.pay(invoice.id, { paid_out_of_band: true })).rejects.toMatchObject({ code: 'status_transition_invalid' });
    await expect(t.stripe.invoices.voidInvoice(invoice.id)).rejects.toMatchObject({ code: 'status_transition_invalid' });
    expect(t.emulator.events.map((e) => e.type)).toContain('invoice.voided');
  });

  it('updates drafts freely, finalized invoices only in bookkeeping fields', async () => {
    const { customer } = await customerWithProduct();
    const invoice = await draftWith(customer.id, [1_000], { collection_method: 'send_invoice', days_until_due: 15 });
    const updated = await t.stripe.invoices.update(invoice.id, { description: 'Memo v2', metadata: { rev: '2' }, days_until_due: 45 });
    expect(updated).toMatchObject({ description: 'Memo v2', metadata: { rev: '2' }, due_date: invoice.created + 45 * 86_400 });
    await t.stripe.invoices.finalizeInvoice(invoice.id);
    await expect(t.stripe.invoices.update(invoice.id, { description: 'Memo v3' })).rejects.toMatchObject({ code: 'invoice_not_editable' });
    expect((await t.stripe.invoices.update(invoice.id, { metadata: { synced: 'yes' } })).metadata).toEqual({ rev: '2', synced: 'yes' });
    await expect(
      t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 1, currency: 'usd' }),
    ).rejects.toMatchObject({ code: 'invoice_not_editable' });
  });

  it('deletes drafts with their items, lists by customer and status', async () => {
    const { customer } = await customerWithProduct();
    const other = await t.stripe.customers.create({});
    const a = await draftWith(customer.id, [100]);
    const b = await draftWith(customer.id, [200]);
    await draftWith(other.id, [300]);
    await t.stripe.invoices.finalizeInvoice(b.id);
    expect((await t.stripe.invoices.list({ customer: customer.id })).data.map((i) => i.id)).toEqual([b.id, a.id]);
    expect((await t.stripe.invoices.list({ customer: customer.id, status: 'open' })).data.map((i) => i.id)).toEqual([b.id]);
    expect(await t.stripe.invoices.del(a.id)).toMatchObject({ id: a.id, deleted: true });
    expect((await t.stripe.invoiceItems.list({ invoice: a.id })).data).toHaveLength(0);
    await expect(t.stripe.invoices.retrieve(a.id)).rejects.toMatchObject({ statusCode: 404 });
  });
});

describe('lines and items', () => {
  it('embeds ten lines and pages the rest through /lines', async () => {
    const { customer } = await customerWithProduct();
    const invoice = await draftWith(customer.id, Array.from({ length: 13 }, (_, i) => (i + 1) * 100));
    expect(invoice.lines.data).toHaveLength(10);
    expect(invoice.lines.has_more).toBe(true);
    expect(invoice.total).toBe(9_100);
    const all = await t.stripe.invoices.listLineItems(invoice.id).autoPagingToArray({ limit: 100 });
    expect(all.map((l) => l.amount)).toEqual(Array.from({ length: 13 }, (_, i) => (i + 1) * 100));
  });

  it('pulls pending items in with pending_invoice_items_behavior=include', async () => {
    const { customer } = await customerWithProduct();
    const pending = await t.stripe.invoiceItems.create({ customer: customer.id, amount: 700, currency: 'usd' });
    expect(pending.invoice).toBeNull();
    expect((await t.stripe.invoiceItems.list({ customer: customer.id, pending: true })).data).toHaveLength(1);
    const excluded = await t.stripe.invoices.create({ customer: customer.id });
    expect(excluded.total).toBe(0);
    const included = await t.stripe.invoices.create({ customer: customer.id, pending_invoice_items_behavior: 'include' });
    expect(included.lines.data.map((l) => l.parent?.invoice_item_details?.invoice_item)).toEqual([pending.id]);
    expect(included.total).toBe(700);
  });

  it('validates pricing sources', async () => {
    const { customer, product } = await customerWithProduct();
    const monthly = await t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 100, recurring: { interval: 'month' } });
    await expect(t.stripe.invoiceItems.create({ customer: customer.id, pricing: { price: monthly.id } })).rejects.toMatchObject({
      param: 'pricing[price]',
    });
    await expect(
      t.stripe.invoiceItems.create({ customer: customer.id, amount: 100, unit_amount_decimal: Stripe.Decimal.from('1'), currency: 'usd' }),
    ).rejects.toMatchObject({ code: 'parameters_exclusive' });
    await expect(t.stripe.invoiceItems.create({ customer: customer.id, amount: 100 })).rejects.toMatchObject({ param: 'currency' });
    const eur = await t.stripe.invoices.create({ customer: customer.id, currency: 'eur' });
    await expect(t.stripe.invoiceItems.create({ customer: customer.id, invoice: eur.id, amount: 1, currency: 'usd' })).rejects.toMatchObject({
      param: 'currency',
    });
    const unknown = t.stripe.invoiceItems.create as unknown as (p: Record<string, unknown>) => Promise<unknown>;
    // Current API versions price items through `pricing[price]`; the old top-level `price` is unknown.
    await expect(unknown.call(t.stripe.invoiceItems, { customer: customer.id, price: monthly.id })).rejects.toMatchObject({
      code: 'parameter_unknown',
      param: 'price',
    });
  });

  it('updates and deletes items on drafts, recomputing totals', async () => {
    const { customer, product } = await customerWithProduct();
    const price = await t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount: 250 });
    const invoice = await t.stripe.invoices.create({ customer: customer.id });
    const item = await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, pricing: { price: price.id }, quantity: 2 });
    const extra = await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 100, currency: 'usd' });
    expect((await t.stripe.invoiceItems.update(item.id, { quantity: 4 })).amount).toBe(1_000);
    await t.stripe.invoiceItems.del(extra.id);
    expect((await t.stripe.invoices.retrieve(invoice.id)).total).toBe(1_000);
  });
});

describe('discounts', () => {
  it('applies invoice coupons to the total and reports them per discount and per line', async () => {
    const { customer } = await customerWithProduct();
    const coupon = await t.stripe.coupons.create({ percent_off: 25, duration: 'once', name: 'Launch' });
    const fixed = await t.stripe.coupons.create({ amount_off: 500, currency: 'usd', duration: 'once' });
    const invoice = await t.stripe.invoices.create({ customer: customer.id, discounts: [{ coupon: coupon.id }, { coupon: fixed.id }] });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 6_000, currency: 'usd' });
    await t.stripe.invoiceItems.create({ customer: customer.id, invoice: invoice.id, amount: 4_000, currency: 'usd' });
    const draft = await t.stripe.invoices.retrieve(invoice.id);
    expect(draft).toMatchObject({ subtotal: 10_000, total: 7_000 });
    expect(draft.total_discount_amounts?.map((d) => d.amount)).toEqual([2_500, 500]);
    expect(draft.discounts).toHaveLength(2);
    const lineDiscounts = draft.lines.data.map((l) => (l.discount_amounts ?? []).reduce((s, d) => s + d.amount, 0));
    expect(lineDiscounts.reduce((a, b) => a + b, 0)).toBe(3_000);
    const expanded = await t.stripe.invoices.retrieve(invoice.id, { expand: ['discounts'] });
    expect(expanded.discounts[0]).toMatchObject({ object: 'discount', source: { coupon: coupon.id, type: 'coupon' } });
  });
});
