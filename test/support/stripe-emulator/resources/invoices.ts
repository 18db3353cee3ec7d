/**
 * Invoices and their lifecycle: draft → open (finalize) → paid | void | uncollectible.
 *
 * Totals follow Stripe: `subtotal` is the sum of the lines, invoice-level coupons reduce `total`, and at
 * finalization the customer's balance is applied — `total` is not reduced by it, `amount_due` is, and the balance
 * is consumed (`starting_balance` → `ending_balance`, plus an `applied_to_invoice` balance transaction). A
 * finalized invoice that owes nothing is paid at once. Auto-advancing invoices finalize an hour after creation and
 * charge an hour after finalization, driven by the emulator clock (see `advanceInvoices`).
 */
import Stripe from 'stripe';
import { DAY_SECONDS } from '../clock.js';
import {
  EmulatorError,
  cardDeclined,
  invalidParam,
  invalidRequest,
  invalidTransition,
  notEditable,
  notFound,
} from '../errors.js';
import { newId } from '../ids.js';
import { fullList, paginate } from '../lists.js';
import { matchesRange, readPagination, readRange, type ParamReader } from '../params.js';
import { toMinorUnits } from '../pricing.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { InvoiceRecord, Store } from '../store.js';
import { recordBalanceTransaction } from './balance.js';
import { changedFields, deepClone, idOf, mergeMetadata, readCurrency, readExpand } from './common.js';
import { couponUsable, requireCoupon } from './coupons.js';
import { customerTaxIds, defaultPaymentMethodOf, renderCustomer, requireCustomer, resolvePaymentMethod } from './customers.js';
import { attachItem, lineFromItem } from './invoice-items.js';

/** Stripe's default "days until due" for invoices that are sent rather than charged. */
export const DEFAULT_DAYS_UNTIL_DUE = 30;
/** Embedded `lines` hold at most this many; the rest is paged through `/v1/invoices/:id/lines`. */
const EMBEDDED_LINES = 10;
const AUTO_ADVANCE_DELAY = 3600;
const RETRY_INTERVAL = 3 * DAY_SECONDS;
const MAX_AUTOMATIC_ATTEMPTS = 4;

type PaymentMethodType = Stripe.InvoiceCreateParams.PaymentSettings.PaymentMethodType;
const PAYMENT_METHOD_TYPES: readonly PaymentMethodType[] = [
  'ach_credit_transfer', 'ach_debit', 'acss_debit', 'affirm', 'alipay', 'amazon_pay', 'au_becs_debit', 'bacs_debit',
  'bancontact', 'billie', 'blik', 'boleto', 'card', 'cashapp', 'crypto', 'custom', 'customer_balance', 'eps', 'fpx',
  'giropay', 'grabpay', 'ideal', 'jp_credit_transfer', 'kakao_pay', 'klarna', 'konbini', 'kr_card', 'link', 'mb_way',
  'multibanco', 'naver_pay', 'nz_bank_account', 'p24', 'pay_by_bank', 'payco', 'paynow', 'paypal', 'payto', 'pix',
  'promptpay', 'revolut_pay', 'satispay', 'sepa_credit_transfer', 'sepa_debit', 'sequra', 'sofort', 'swish', 'twint',
  'upi', 'us_bank_account', 'wechat_pay',
];

export function requireInvoice(store: Store, id: string, param = 'id'): InvoiceRecord {
  const record = store.invoices.get(id);
  if (!record) throw notFound('invoice', id, param);
  return record;
}

/** The response form: at most ten embedded lines, like Stripe. */
export function renderInvoice(record: InvoiceRecord): Stripe.Invoice {
  const out = deepClone(record.invoice);
  const all = record.invoice.lines.data;
  out.lines = { ...out.lines, data: out.lines.data.slice(0, EMBEDDED_LINES), has_more: all.length > EMBEDDED_LINES };
  return out;
}

function snapshotCustomer(store: Store, invoice: Stripe.Invoice, customer: Stripe.Customer): void {
  invoice.customer_address = customer.address ? { ...customer.address } : null;
  invoice.customer_email = customer.email;
  invoice.customer_name = customer.name ?? null;
  invoice.customer_phone = customer.phone ?? null;
  invoice.customer_shipping = customer.shipping ? deepClone(customer.shipping) : null;
  invoice.customer_tax_exempt = customer.tax_exempt ?? 'none';
  invoice.customer_tax_ids = customerTaxIds(store, customer.id).map((t) => ({ type: t.type, value: t.value }));
}

/** Splits `amount` over `weights` proportionally, rounding so the parts add up exactly. */
function allocate(amount: number, weights: number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (total <= 0) return weights.map(() => 0);
  const parts = weights.map((w) => Math.floor((amount * w) / total));
  let rest = amount - parts.reduce((a, b) => a + b, 0);
  for (let i = parts.length - 1; rest > 0 && i >= 0; i -= 1) {
    if ((weights[i] ?? 0) > 0) {
      parts[i] = (parts[i] ?? 0) + 1;
      rest -= 1;
    }
  }
  return parts;
}

/** Rebuilds lines and totals of a draft from its items and discounts. */
export function recalculateInvoice(ctx: HandlerContext, record: InvoiceRecord): void {
  const invoice = record.invoice;
  const lines = record.itemIds
    .map((id) => ctx.store.invoiceItems.get(id))
    .filter((r): r is NonNullable<typeof r> => r !== undefined)
    .map((r) => lineFromItem(r, invoice.id));
  const subtotal = lines.reduce((sum, line) => sum + line.amount, 0);

  // Invoice-level coupons, applied in order to what is left of the discountable amount.
  const discountable = lines.map((line) => (line.discountable ? Math.max(0, line.amount) : 0));
  let base = discountable.reduce((a, b) => a + b, 0);
  const totals: Stripe.Invoice.TotalDiscountAmount[] = [];
  for (const [discountId, couponId] of record.discounts) {
    const coupon = ctx.store.coupons.get(couponId);
    let amount = 0;
    if (coupon?.percent_off !== null && coupon?.percent_off !== undefined) {
      amount = toMinorUnits(Stripe.Decimal.from(base).mul(Stripe.Decimal.from(coupon.percent_off)).div(Stripe.Decimal.from(100), 12, 'half-even'));
    } else if (coupon?.amount_off !== null && coupon?.amount_off !== undefined) {
      amount = Math.min(coupon.amount_off, base);
    }
    amount = Math.min(amount, base);
    base -= amount;
    totals.push({ amount, discount: discountId });
    allocate(amount, discountable).forEach((share, i) => {
      const line = lines[i];
      if (!line || share === 0) return;
      line.discount_amounts?.push({ amount: share, discount: discountId });
      line.pretax_credit_amounts?.push({ amount: share, discount: discountId, type: 'discount' });
      line.discounts.push(discountId);
    });
  }
  const discountTotal = totals.reduce((sum, d) => sum + d.amount, 0);
  const total = subtotal - discountTotal;

  invoice.lines = fullList(lines, `/v1/invoices/${invoice.id}/lines`);
  invoice.subtotal = subtotal;
  invoice.subtotal_excluding_tax = subtotal;
  invoice.total_discount_amounts = totals;
  invoice.total_pretax_credit_amounts = totals.map((d) => ({ amount: d.amount, discount: d.discount, type: 'discount' }));
  invoice.discounts = [...record.discounts.keys()];
  invoice.total = total;
  invoice.total_excluding_tax = total;
  // The balance is only applied at finalization; a draft owes its total.
  invoice.amount_due = Math.max(0, total);
  invoice.amount_remaining = invoice.amount_due;
  if (lines.length > 0) {
    invoice.period_start = Math.min(...lines.map((l) => l.period.start));
    invoice.period_end = Math.max(...lines.map((l) => l.period.end));
  }
}

interface InvoiceSettingsParams {
  auto_advance?: boolean;
  collection_method?: Stripe.InvoiceCreateParams.CollectionMethod;
  custom_fields?: Stripe.Emptyable<Stripe.InvoiceCreateParams.CustomField[]>;
  days_until_due?: number;
  default_payment_method?: string;
  description?: string;
  discounts?: Stripe.Emptyable<Stripe.InvoiceCreateParams.Discount[]>;
  due_date?: number;
  footer?: string;
  metadata?: Stripe.Emptyable<Stripe.MetadataParam>;
  payment_settings?: { payment_method_types?: Stripe.Emptyable<PaymentMethodType[]> };
  statement_descriptor?: string;
  /** '' clears a custom number on update. */
  number?: string;
}

function readSettings(
  p: ParamReader<Stripe.InvoiceCreateParams & Stripe.InvoiceUpdateParams>,
  create: boolean,
): InvoiceSettingsParams {
  return {
    auto_advance: p.boolean('auto_advance'),
    collection_method: p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const),
    custom_fields: p.emptyableObjects('custom_fields', (f) => ({ name: f.requiredString('name'), value: f.requiredString('value') })),
    days_until_due: p.integer('days_until_due', { min: 0, max: 3650 }),
    default_payment_method: p.nonEmptyString('default_payment_method'),
    description: p.string('description'),
    discounts: p.emptyableObjects('discounts', (d) => ({
      coupon: d.nonEmptyString('coupon'),
      discount: d.nonEmptyString('discount'),
      promotion_code: d.nonEmptyString('promotion_code'),
    })),
    due_date: p.integer('due_date', { min: 0 }),
    footer: p.string('footer'),
    metadata: p.metadata('metadata'),
    number: create ? p.nonEmptyString('number') : p.emptyableString('number'),
    payment_settings: p.object('payment_settings', (s) => ({
      payment_method_types: s.stringsOneOf('payment_method_types', PAYMENT_METHOD_TYPES),
    })),
    statement_descriptor: p.string('statement_descriptor'),
  };
}

/** Applies settings to a draft; validates first so a rejected update changes nothing. */
function applySettings(ctx: HandlerContext, record: InvoiceRecord, params: InvoiceSettingsParams): void {
  const invoice = record.invoice;
  const method = params.collection_method ?? invoice.collection_method;
  if (params.days_until_due !== undefined && params.due_date !== undefined) {
    throw invalidParam('You may only specify one of these parameters: days_until_due, due_date.', 'due_date', 'parameters_exclusive');
  }
  if (method === 'charge_automatically' && (params.days_until_due !== undefined || params.due_date !== undefined)) {
    const param = params.days_until_due !== undefined ? 'days_until_due' : 'due_date';
    throw invalidParam(`Invoices with collection_method=charge_automatically cannot have a ${param}.`, param);
  }
  const discounts = new Map<string, string>();
  if (params.discounts !== undefined && params.discounts !== '' && params.discounts !== null) {
    params.discounts.forEach((d, i) => {
      if (d.coupon === undefined) {
        throw invalidParam('The emulator supports invoice discounts by coupon only.', `discounts[${i}][coupon]`, 'parameter_missing');
      }
      const coupon = requireCoupon(ctx.store, d.coupon, `discounts[${i}][coupon]`);
      if (!couponUsable(coupon, ctx.now())) throw invalidParam(`Coupon ${coupon.id} is no longer valid.`, `discounts[${i}][coupon]`);
      if (coupon.amount_off !== null && coupon.currency !== invoice.currency) {
        throw invalidParam(`Coupon ${coupon.id} is in ${coupon.currency}, the invoice in ${invoice.currency}.`, `discounts[${i}][coupon]`);
      }
      discounts.set(newId('di'), coupon.id);
    });
  }
  const customerId = idOf(invoice.customer) as string;
  const defaultPm =
    params.default_payment_method !== undefined
      ? resolvePaymentMethod(ctx, customerId, params.default_payment_method, 'default_payment_method', new Map(), false)
      : undefined;

  invoice.collection_method = method;
  if (method === 'charge_automatically') {
    record.daysUntilDue = null;
    invoice.due_date = null;
  } else if (params.due_date !== undefined) {
    record.daysUntilDue = null;
    invoice.due_date = params.due_date;
  } else if (params.days_until_due !== undefined || invoice.due_date === null) {
    record.daysUntilDue = params.days_until_due ?? record.daysUntilDue ?? DEFAULT_DAYS_UNTIL_DUE;
    invoice.due_date = invoice.created + record.daysUntilDue * DAY_SECONDS;
  }
  if (params.auto_advance !== undefined) invoice.auto_advance = params.auto_advance;
  invoice.automatically_finalizes_at = invoice.auto_advance ? invoice.created + AUTO_ADVANCE_DELAY : null;
  if (params.custom_fields !== undefined) {
    invoice.custom_fields = params.custom_fields === '' || params.custom_fields === null ? null : params.custom_fields.map((f) => ({ ...f }));
  }
  if (defaultPm !== undefined) invoice.default_payment_method = defaultPm;
  if (params.description !== undefined) invoice.description = params.description === '' ? null : params.description;
  if (params.footer !== undefined) invoice.footer = params.footer === '' ? null : params.footer;
  if (params.metadata !== undefined) invoice.metadata = mergeMetadata(invoice.metadata, params.metadata);
  if (params.number !== undefined) invoice.number = params.number === '' ? null : params.number;
  if (params.statement_descriptor !== undefined) {
    invoice.statement_descriptor = params.statement_descriptor === '' ? null : params.statement_descriptor;
  }
  const types = params.payment_settings?.payment_method_types;
  if (types !== undefined) invoice.payment_settings.payment_method_types = types === '' || types === null ? null : [...types];
  if (params.discounts !== undefined) record.discounts = discounts;
  recalculateInvoice(ctx, record);
}

function createInvoice(params: Stripe.InvoiceCreateParams & InvoiceSettingsParams, ctx: HandlerContext): Stripe.Invoice {
  if (params.customer === undefined) throw invalidParam('Missing required param: customer.', 'customer', 'parameter_missing');
  const customer = requireCustomer(ctx.store, params.customer);
  const now = ctx.now();
  const currency = params.currency ?? customer.currency ?? 'usd';
  const id = newId('in');
  const invoice: Stripe.Invoice = {
    id,
    object: 'invoice',
    account_country: 'US',
    account_name: null,
    account_tax_ids: null,
    amount_due: 0,
    amount_overpaid: 0,
    amount_paid: 0,
    amount_remaining: 0,
    amount_shipping: 0,
    application: null,
    attempt_count: 0,
    attempted: false,
    auto_advance: false,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null, provider: null, status: null },
    automatically_finalizes_at: null,
    billing_reason: 'manual',
    collection_method: 'charge_automatically',
    created: now,
    currency,
    custom_fields: customer.invoice_settings.custom_fields ? deepClone(customer.invoice_settings.custom_fields) : null,
    customer: customer.id,
    customer_account: null,
    customer_address: null,
    customer_email: null,
    customer_name: null,
    customer_phone: null,
    customer_shipping: null,
    customer_tax_exempt: 'none',
    customer_tax_ids: [],
    default_payment_method: null,
    default_source: null,
    default_tax_rates: [],
    description: null,
    discounts: [],
    due_date: null,
    effective_at: params.effective_at ?? null,
    ending_balance: null,
    footer: customer.invoice_settings.footer,
    from_invoice: null,
    hosted_invoice_url: null,
    invoice_pdf: null,
    issuer: { type: 'self' },
    last_finalization_error: null,
    latest_revision: null,
    lines: fullList([], `/v1/invoices/${id}/lines`),
    livemode: false,
    metadata: {},
    next_payment_attempt: null,
    number: null,
    on_behalf_of: null,
    parent: null,
    payment_settings: { default_mandate: null, payment_method_options: null, payment_method_types: null },
    period_end: now,
    period_start: now,
    post_payment_credit_notes_amount: 0,
    pre_payment_credit_notes_amount: 0,
    receipt_number: null,
    rendering: { amount_tax_display: null, pdf: { page_size: 'auto' }, template: null, template_version: null },
    shipping_cost: null,
    shipping_details: null,
    starting_balance: 0,
    statement_descriptor: null,
    status: 'draft',
    status_transitions: { finalized_at: null, marked_uncollectible_at: null, paid_at: null, voided_at: null },
    subtotal: 0,
    subtotal_excluding_tax: 0,
    test_clock: null,
    total: 0,
    total_discount_amounts: [],
    total_excluding_tax: 0,
    total_pretax_credit_amounts: [],
    total_taxes: [],
    webhooks_delivered_at: now,
  };
  snapshotCustomer(ctx.store, invoice, customer);
  const record: InvoiceRecord = { invoice, itemIds: [], discounts: new Map(), appliedBalance: 0, declineCode: null, daysUntilDue: null };
  applySettings(ctx, record, params);
  ctx.store.invoices.set(id, record);
  ctx.store.track(id);
  if (params.pending_invoice_items_behavior === 'include') {
    const pending = [...ctx.store.invoiceItems.values()]
      .filter((r) => r.item.invoice === null && idOf(r.item.customer) === customer.id && r.item.currency === currency)
      .sort((a, b) => a.item.date - b.item.date);
    for (const item of pending) attachItem(ctx, item, record);
  }
  ctx.emit('invoice.created', renderInvoice(record));
  return renderInvoice(record);
}

/** draft → open (or straight to paid when nothing is owed). Applies the customer's balance. */
export function finalizeInvoice(ctx: HandlerContext, record: InvoiceRecord, autoAdvance?: boolean): void {
  const invoice = record.invoice;
  if (invoice.status !== 'draft') {
    throw invalidTransition(`This invoice is already finalized, you can't re-finalize a non-draft invoice.`);
  }
  const customer = requireCustomer(ctx.store, idOf(invoice.customer) as string);
  recalculateInvoice(ctx, record);
  const now = ctx.now();
  if (autoAdvance !== undefined) invoice.auto_advance = autoAdvance;
  snapshotCustomer(ctx.store, invoice, customer);

  if (invoice.number === null) {
    const sequence = customer.next_invoice_sequence ?? 1;
    invoice.number = `${customer.invoice_prefix}-${String(sequence).padStart(4, '0')}`;
    customer.next_invoice_sequence = sequence + 1;
  }

  // The balance only applies in the customer's currency (which the first invoice fixes if unset).
  if (customer.currency === null) customer.currency = invoice.currency;
  const starting = customer.currency === invoice.currency ? customer.balance : 0;
  const owed = invoice.total + starting;
  const ending = owed >= 0 ? 0 : owed;
  invoice.starting_balance = starting;
  invoice.ending_balance = ending;
  invoice.amount_due = Math.max(0, owed);
  invoice.amount_remaining = invoice.amount_due;
  record.appliedBalance = ending - starting;
  if (record.appliedBalance !== 0) {
    recordBalanceTransaction(ctx, customer, { amount: record.appliedBalance, type: 'applied_to_invoice', invoice: invoice.id });
    ctx.emit('customer.updated', renderCustomer(ctx.store, customer), { balance: starting });
  }

  invoice.status = 'open';
  invoice.status_transitions.finalized_at = now;
  invoice.effective_at = invoice.effective_at ?? now;
  invoice.automatically_finalizes_at = null;
  if (invoice.collection_method === 'send_invoice' && record.daysUntilDue !== null) {
    invoice.due_date = now + record.daysUntilDue * DAY_SECONDS;
  }
  invoice.hosted_invoice_url = `https://invoice.stripe.com/i/acct_emulator/test_${invoice.id}`;
  invoice.invoice_pdf = `https://pay.stripe.com/invoice/acct_emulator/test_${invoice.id}/pdf`;
  invoice.next_payment_attempt =
    invoice.collection_method === 'charge_automatically' && invoice.auto_advance && invoice.amount_due > 0 ? now + AUTO_ADVANCE_DELAY : null;
  ctx.emit('invoice.finalized', renderInvoice(record));
  if (invoice.amount_due === 0) markPaid(ctx, record, { charged: false });
}

export function markPaid(ctx: HandlerContext, record: InvoiceRecord, how: { charged: boolean }): void {
  const invoice = record.invoice;
  const now = ctx.now();
  invoice.status = 'paid';
  invoice.amount_paid = invoice.amount_due;
  invoice.amount_remaining = 0;
  invoice.status_transitions.paid_at = now;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  if (how.charged) {
    invoice.attempted = true;
    invoice.attempt_count += 1;
    ctx.emit('invoice.payment_succeeded', renderInvoice(record));
  }
  ctx.emit('invoice.paid', renderInvoice(record));
}

export type ChargeOutcome = 'succeeded' | 'declined' | 'no_payment_method';

/** One payment attempt on an open invoice, as Stripe's collection would make it. */
export function attemptCharge(ctx: HandlerContext, record: InvoiceRecord, paymentMethodId: string | null): ChargeOutcome {
  const invoice = record.invoice;
  const customer = ctx.store.customers.get(idOf(invoice.customer) as string);
  const pmId = paymentMethodId ?? idOf(invoice.default_payment_method) ?? (customer ? defaultPaymentMethodOf(customer) : null);
  const pm = pmId !== null ? ctx.store.paymentMethods.get(pmId) : undefined;
  const declined = pm === undefined || pm.declines || (record.declineCode !== null && paymentMethodId === null);
  if (!declined) {
    record.declineCode = null;
    markPaid(ctx, record, { charged: true });
    return 'succeeded';
  }
  invoice.attempted = true;
  invoice.attempt_count += 1;
  invoice.next_payment_attempt =
    invoice.collection_method === 'charge_automatically' && invoice.attempt_count < MAX_AUTOMATIC_ATTEMPTS
      ? ctx.now() + RETRY_INTERVAL
      : null;
  ctx.emit('invoice.payment_failed', renderInvoice(record));
  return pm === undefined ? 'no_payment_method' : 'declined';
}

function payInvoice(ctx: HandlerContext, record: InvoiceRecord, params: Stripe.InvoicePayParams): void {
  const invoice = record.invoice;
  if (invoice.status === 'paid') throw invalidTransition('Invoice is already paid.');
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidTransition(`You can only pay an open or uncollectible invoice; this invoice is ${invoice.status}.`);
  }
  if (params.paid_out_of_band) {
    record.declineCode = null;
    markPaid(ctx, record, { charged: false });
    return;
  }
  if (invoice.amount_due === 0) {
    markPaid(ctx, record, { charged: false });
    return;
  }
  const customerId = idOf(invoice.customer) as string;
  const explicit =
    params.payment_method !== undefined
      ? resolvePaymentMethod(ctx, customerId, params.payment_method, 'payment_method', new Map(), true)
      : null;
  const customer = ctx.store.customers.get(customerId);
  const available = explicit ?? idOf(invoice.default_payment_method) ?? (customer ? defaultPaymentMethodOf(customer) : null);
  if (available === null) {
    throw invalidRequest(
      'This customer has no attached payment source or default payment method. Please consider adding a default ' +
        'payment method. For more information, visit https://stripe.com/docs/billing/subscriptions/payment-methods-setting#payment-method-priority.',
    );
  }
  const outcome = attemptCharge(ctx, record, explicit);
  if (outcome !== 'succeeded') throw cardDeclined('Your card was declined.', record.declineCode ?? 'generic_decline');
}

function sendInvoice(ctx: HandlerContext, record: InvoiceRecord): void {
  const invoice = record.invoice;
  if (invoice.collection_method !== 'send_invoice') {
    throw invalidRequest("You can only manually send an invoice if its collection method is 'send_invoice'.");
  }
  const customer = requireCustomer(ctx.store, idOf(invoice.customer) as string);
  if (invoice.status !== 'draft' && invoice.status !== 'open') {
    throw invalidTransition(`You can only send draft or open invoices; this invoice is ${invoice.status}.`);
  }
  if (!customer.email) throw invalidRequest('The customer has no email address; an invoice cannot be sent to them.', 'customer');
  // Sending a draft finalizes it first, as Stripe does.
  if (invoice.status === 'draft') finalizeInvoice(ctx, record);
  if (invoice.status === 'open') ctx.emit('invoice.sent', renderInvoice(record));
}

function voidInvoice(ctx: HandlerContext, record: InvoiceRecord): void {
  const invoice = record.invoice;
  if (invoice.status !== 'open' && invoice.status !== 'uncollectible') {
    throw invalidTransition(
      invoice.status === 'draft'
        ? 'You can only void an open or uncollectible invoice. Delete a draft invoice instead.'
        : `You can only void an open or uncollectible invoice; this invoice is ${invoice.status}.`,
    );
  }
  invoice.status = 'void';
  invoice.status_transitions.voided_at = ctx.now();
  invoice.amount_remaining = 0;
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  if (record.appliedBalance !== 0) {
    // The credit (or debit) the invoice consumed goes back to the customer.
    const customer = ctx.store.customers.get(idOf(invoice.customer) as string);
    if (customer) {
      const before = customer.balance;
      recordBalanceTransaction(ctx, customer, { amount: -record.appliedBalance, type: 'unapplied_from_invoice', invoice: invoice.id });
      ctx.emit('customer.updated', renderCustomer(ctx.store, customer), { balance: before });
    }
    record.appliedBalance = 0;
  }
  ctx.emit('invoice.voided', renderInvoice(record));
}

function markUncollectible(ctx: HandlerContext, record: InvoiceRecord): void {
  const invoice = record.invoice;
  if (invoice.status !== 'open') {
    throw invalidTransition(`You can only mark an open invoice as uncollectible; this invoice is ${invoice.status}.`);
  }
  invoice.status = 'uncollectible';
  invoice.status_transitions.marked_uncollectible_at = ctx.now();
  invoice.next_payment_attempt = null;
  invoice.auto_advance = false;
  ctx.emit('invoice.marked_uncollectible', renderInvoice(record));
}

/** Time-driven collection: auto-advancing drafts finalize, open auto-charged invoices are attempted. */
export function advanceInvoices(ctx: HandlerContext): void {
  const now = ctx.now();
  // Map order is creation order: older invoices are collected first.
  for (const record of [...ctx.store.invoices.values()]) {
    const invoice = record.invoice;
    if (invoice.status === 'draft' && invoice.auto_advance && invoice.automatically_finalizes_at !== null && invoice.automatically_finalizes_at <= now) {
      try {
        finalizeInvoice(ctx, record);
      } catch (error) {
        // Automatic finalization failing must not fail whichever request happened to trigger it.
        if (!(error instanceof EmulatorError)) throw error;
        invoice.auto_advance = false;
        invoice.automatically_finalizes_at = null;
        invoice.last_finalization_error = { type: 'invalid_request_error', message: error.message };
        ctx.emit('invoice.finalization_failed', renderInvoice(record));
      }
    }
    if (
      invoice.status === 'open' &&
      invoice.collection_method === 'charge_automatically' &&
      invoice.auto_advance &&
      invoice.next_payment_attempt !== null &&
      invoice.next_payment_attempt <= now
    ) {
      attemptCharge(ctx, record, null);
    }
  }
}

type InvoiceCreateInput = Stripe.InvoiceCreateParams & InvoiceSettingsParams;

function invoiceAction<P>(
  path: string,
  parse: (p: ParamReader<P>) => P,
  act: (ctx: HandlerContext, record: InvoiceRecord, params: P) => void,
): Route {
  return route<P, Stripe.Invoice>({
    method: 'POST',
    path,
    parse,
    handle: (params, ctx, pathParams) => {
      const record = requireInvoice(ctx.store, pathParams.id as string);
      act(ctx, record, params);
      return renderInvoice(record);
    },
  });
}

export const invoiceRoutes: Route[] = [
  route<InvoiceCreateInput, Stripe.Invoice>({
    method: 'POST',
    path: '/v1/invoices',
    parse: (p) => ({
      ...readSettings(p, true),
      currency: readCurrency(p, 'currency'),
      customer: p.nonEmptyString('customer'),
      effective_at: p.integer('effective_at', { min: 0 }),
      expand: readExpand(p),
      pending_invoice_items_behavior: p.oneOf('pending_invoice_items_behavior', ['exclude', 'include'] as const),
    }),
    handle: createInvoice,
  }),
  route<Stripe.InvoiceRetrieveParams, Stripe.Invoice>({
    method: 'GET',
    path: '/v1/invoices/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => renderInvoice(requireInvoice(ctx.store, path.id as string)),
  }),
  route<Stripe.InvoiceUpdateParams & InvoiceSettingsParams, Stripe.Invoice>({
    method: 'POST',
    path: '/v1/invoices/:id',
    parse: (p) => ({ ...readSettings(p, false), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const record = requireInvoice(ctx.store, path.id as string);
      const invoice = record.invoice;
      const before = renderInvoice(record);
      if (invoice.status === 'draft') {
        applySettings(ctx, record, params);
      } else {
        // Finalized invoices keep their money fields; only bookkeeping fields may change.
        const allowed = new Set(['metadata', 'expand', ...(invoice.status === 'open' ? ['auto_advance'] : [])]);
        const rejected = Object.entries(params).find(([key, value]) => value !== undefined && !allowed.has(key));
        if (rejected) {
          throw notEditable(`Finalized invoices can't be updated in this way: ${rejected[0]} cannot change once an invoice is ${invoice.status}.`);
        }
        if (params.metadata !== undefined) invoice.metadata = mergeMetadata(invoice.metadata, params.metadata);
        if (params.auto_advance !== undefined) invoice.auto_advance = params.auto_advance;
      }
      const after = renderInvoice(record);
      const previous = changedFields(before, after);
      if (Object.keys(previous).length > 0) ctx.emit('invoice.updated', after, previous);
      return after;
    },
  }),
  route<Stripe.InvoiceDeleteParams, Stripe.DeletedInvoice>({
    method: 'DELETE',
    path: '/v1/invoices/:id',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const record = requireInvoice(ctx.store, path.id as string);
      if (record.invoice.status !== 'draft') {
        throw invalidTransition('You can only delete draft invoices. Void an open invoice instead.');
      }
      for (const itemId of record.itemIds) ctx.store.invoiceItems.delete(itemId);
      ctx.store.invoices.delete(record.invoice.id);
      ctx.emit('invoice.deleted', renderInvoice(record));
      return { id: record.invoice.id, object: 'invoice', deleted: true };
    },
  }),
  route<Stripe.InvoiceListParams, Stripe.ApiList<Stripe.Invoice>>({
    method: 'GET',
    path: '/v1/invoices',
    parse: (p) => ({
      ...readPagination(p),
      collection_method: p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const),
      created: readRange(p, 'created'),
      customer: p.string('customer'),
      due_date: readRange(p, 'due_date'),
      expand: readExpand(p),
      status: p.oneOf('status', ['draft', 'open', 'paid', 'uncollectible', 'void'] as const),
      subscription: p.string('subscription'),
    }),
    handle: (params, ctx) => {
      const invoices = ctx.store
        .newestFirst([...ctx.store.invoices.values()].map((r) => r.invoice))
        .filter((i) => params.customer === undefined || idOf(i.customer) === params.customer)
        .filter((i) => params.status === undefined || i.status === params.status)
        .filter((i) => params.collection_method === undefined || i.collection_method === params.collection_method)
        .filter(() => params.subscription === undefined)
        .filter((i) => matchesRange(i.created, params.created))
        .filter((i) => params.due_date === undefined || (i.due_date !== null && matchesRange(i.due_date, params.due_date)));
      return paginate(
        invoices.map((i) => renderInvoice(requireInvoice(ctx.store, i.id))),
        params,
        '/v1/invoices',
      );
    },
  }),
  route<Stripe.InvoiceListLineItemsParams, Stripe.ApiList<Stripe.InvoiceLineItem>>({
    method: 'GET',
    path: '/v1/invoices/:id/lines',
    parse: (p) => ({ ...readPagination(p), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const record = requireInvoice(ctx.store, path.id as string);
      return paginate(deepClone(record.invoice.lines.data), params, `/v1/invoices/${record.invoice.id}/lines`);
    },
  }),
  invoiceAction<Stripe.InvoiceFinalizeInvoiceParams>(
    '/v1/invoices/:id/finalize',
    (p) => ({ auto_advance: p.boolean('auto_advance'), expand: readExpand(p) }),
    (ctx, record, params) => finalizeInvoice(ctx, record, params.auto_advance),
  ),
  invoiceAction<Stripe.InvoicePayParams>(
    '/v1/invoices/:id/pay',
    (p) => ({
      expand: readExpand(p),
      forgive: p.boolean('forgive'),
      off_session: p.boolean('off_session'),
      paid_out_of_band: p.boolean('paid_out_of_band'),
      payment_method: p.nonEmptyString('payment_method'),
    }),
    payInvoice,
  ),
  invoiceAction<Stripe.InvoiceSendInvoiceParams>('/v1/invoices/:id/send', (p) => ({ expand: readExpand(p) }), (ctx, record) =>
    sendInvoice(ctx, record),
  ),
  invoiceAction<Stripe.InvoiceVoidInvoiceParams>('/v1/invoices/:id/void', (p) => ({ expand: readExpand(p) }), (ctx, record) =>
    voidInvoice(ctx, record),
  ),
  invoiceAction<Stripe.InvoiceMarkUncollectibleParams>(
    '/v1/invoices/:id/mark_uncollectible',
    (p) => ({ expand: readExpand(p) }),
    (ctx, record) => markUncollectible(ctx, record),
  ),
];
