/**
 * Invoice items: priced by `amount`, by `unit_amount_decimal` × `quantity`, by a one-time price
 * (`pricing[price]` × `quantity`) or by inline `price_data`. Attached to a draft invoice they become its lines;
 * without an invoice they wait as pending items for the customer's next invoice.
 */
import Stripe from 'stripe';
import { invalidParam, invalidRequest, notEditable, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../lists.js';
import { matchesRange, readPagination, readRange, type ParamReader } from '../params.js';
import { decimalOf, priceAmount, toMinorUnits } from '../pricing.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { InvoiceItemRecord, InvoiceRecord } from '../store.js';
import { createPrice, productIdOf, requirePrice, requireProduct } from './catalog.js';
import { deepClone, idOf, mergeMetadata, readCurrency, readExpand } from './common.js';
import { requireCustomer } from './customers.js';
import { recalculateInvoice, requireInvoice } from './invoices.js';

export function requireInvoiceItem(ctx: HandlerContext, id: string, param = 'id'): InvoiceItemRecord {
  const record = ctx.store.invoiceItems.get(id);
  if (!record) throw notFound('invoiceitem', id, param);
  return record;
}

function editableInvoice(ctx: HandlerContext, invoiceId: string, param: string): InvoiceRecord {
  const record = requireInvoice(ctx.store, invoiceId, param);
  if (record.invoice.status !== 'draft') {
    throw notEditable(`You can only add or change invoice items on draft invoices; ${invoiceId} is ${record.invoice.status}.`);
  }
  return record;
}

/** What an item costs, from whichever pricing source was given. */
interface Priced {
  amount: number;
  currency: string | null;
  quantity: number;
  pricing: Stripe.InvoiceItem.Pricing | null;
}

type ItemPricingParams = Pick<
  Stripe.InvoiceItemCreateParams,
  'amount' | 'currency' | 'unit_amount_decimal' | 'pricing' | 'price_data' | 'quantity'
>;

function priceItem(ctx: HandlerContext, params: ItemPricingParams): Priced {
  const sources = [
    params.amount !== undefined ? 'amount' : null,
    params.unit_amount_decimal !== undefined ? 'unit_amount_decimal' : null,
    params.pricing?.price !== undefined ? 'pricing[price]' : null,
    params.price_data !== undefined ? 'price_data' : null,
  ].filter((s): s is string => s !== null);
  if (sources.length === 0) {
    throw invalidParam('You must specify one of amount, unit_amount_decimal, pricing[price] or price_data.', 'amount', 'parameter_missing');
  }
  if (sources.length > 1) {
    throw invalidParam(`You may only specify one of these parameters: ${sources.join(', ')}.`, sources[1] as string, 'parameters_exclusive');
  }
  if (params.amount !== undefined) {
    if (params.quantity !== undefined && params.quantity !== 1) {
      throw invalidParam('quantity cannot be combined with amount; use unit_amount_decimal or a price.', 'quantity', 'parameters_exclusive');
    }
    return {
      amount: params.amount,
      currency: params.currency ?? null,
      quantity: 1,
      pricing: { type: 'price_details', unit_amount_decimal: Stripe.Decimal.from(params.amount) },
    };
  }
  const quantity = params.quantity ?? 1;
  if (params.unit_amount_decimal !== undefined) {
    return {
      amount: toMinorUnits(params.unit_amount_decimal.mul(Stripe.Decimal.from(quantity))),
      currency: params.currency ?? null,
      quantity,
      pricing: { type: 'price_details', unit_amount_decimal: params.unit_amount_decimal },
    };
  }
  let price: Stripe.Price;
  if (params.price_data !== undefined) {
    const data = params.price_data;
    requireProduct(ctx.store, data.product, 'price_data[product]');
    if (data.unit_amount === undefined && data.unit_amount_decimal === undefined) {
      throw invalidParam('Missing required param: price_data[unit_amount].', 'price_data[unit_amount]', 'parameter_missing');
    }
    // Stripe backs price_data with an inactive, single-use price.
    price = createPrice(
      ctx,
      data.product,
      { currency: data.currency, unit_amount: data.unit_amount, unit_amount_decimal: data.unit_amount_decimal, active: false, tax_behavior: data.tax_behavior },
      'price_data',
    );
  } else {
    price = requirePrice(ctx.store, params.pricing?.price as string, 'pricing[price]');
    if (price.type !== 'one_time') {
      throw invalidParam(
        'The price specified is set to `type=recurring` but this field only accepts prices with `type=one_time`.',
        'pricing[price]',
      );
    }
    if (!price.active) throw invalidParam('The price specified is inactive. This field only accepts active prices.', 'pricing[price]');
  }
  if (params.currency !== undefined && params.currency !== price.currency) {
    throw invalidParam(`The currency ${params.currency} does not match the price's currency ${price.currency}.`, 'currency');
  }
  return {
    amount: priceAmount(price, quantity),
    currency: price.currency,
    quantity,
    pricing: {
      type: 'price_details',
      price_details: { price: price.id, product: productIdOf(price) },
      unit_amount_decimal: price.billing_scheme === 'per_unit' ? decimalOf(price.unit_amount_decimal ?? price.unit_amount) : null,
    },
  };
}

function readPricing(p: ParamReader<Stripe.InvoiceItemCreateParams | Stripe.InvoiceItemUpdateParams>): ItemPricingParams {
  return {
    amount: p.integer('amount'),
    unit_amount_decimal: p.decimal('unit_amount_decimal'),
    quantity: p.integer('quantity', { min: 0 }),
    pricing: p.object('pricing', (r) => ({ price: r.requiredString('price') })),
    price_data: p.object('price_data', (d) => {
      const currency = readCurrency(d, 'currency');
      if (currency === undefined) throw invalidParam('Missing required param: price_data[currency].', 'price_data[currency]', 'parameter_missing');
      return {
        currency,
        product: d.requiredString('product'),
        unit_amount: d.integer('unit_amount', { min: 0 }),
        unit_amount_decimal: d.decimal('unit_amount_decimal'),
        tax_behavior: d.oneOf('tax_behavior', ['exclusive', 'inclusive', 'unspecified'] as const),
      };
    }),
  };
}

function readPeriod(r: ParamReader<Stripe.InvoiceItemCreateParams.Period>): Stripe.InvoiceItemCreateParams.Period {
  const period = { start: r.requiredInteger('start', { min: 0 }), end: r.requiredInteger('end', { min: 0 }) };
  if (period.end < period.start) throw invalidParam('The period end must be at or after its start.', 'period[end]');
  return period;
}

/** The item as a line of its invoice. */
export function lineFromItem(record: InvoiceItemRecord, invoiceId: string): Stripe.InvoiceLineItem {
  const item = record.item;
  return {
    id: record.lineId,
    object: 'line_item',
    amount: item.amount,
    currency: item.currency,
    description: item.description,
    discount_amounts: [],
    discountable: item.discountable,
    discounts: [],
    invoice: invoiceId,
    livemode: false,
    metadata: { ...(item.metadata ?? {}) },
    parent: {
      invoice_item_details: { invoice_item: item.id, proration: false, proration_details: { credited_items: null }, subscription: null },
      subscription_item_details: null,
      type: 'invoice_item_details',
    },
    period: { ...item.period },
    pretax_credit_amounts: [],
    pricing: item.pricing ? deepClone(item.pricing) : null,
    quantity: item.quantity,
    quantity_decimal: Stripe.Decimal.from(item.quantity),
    subscription: null,
    subtotal: item.amount,
    taxes: [],
  };
}

export function attachItem(ctx: HandlerContext, record: InvoiceItemRecord, invoice: InvoiceRecord): void {
  record.item.invoice = invoice.invoice.id;
  invoice.itemIds.push(record.item.id);
  recalculateInvoice(ctx, invoice);
}

function createItem(params: Stripe.InvoiceItemCreateParams, ctx: HandlerContext): Stripe.InvoiceItem {
  const invoice = params.invoice !== undefined ? editableInvoice(ctx, params.invoice, 'invoice') : undefined;
  const invoiceCustomer = invoice ? idOf(invoice.invoice.customer) : null;
  const customerId = params.customer ?? invoiceCustomer;
  if (customerId === null) throw invalidParam('Missing required param: customer.', 'customer', 'parameter_missing');
  const customer = requireCustomer(ctx.store, customerId);
  if (invoiceCustomer !== null && invoiceCustomer !== customer.id) {
    throw invalidRequest(`The invoice ${params.invoice} belongs to another customer.`, 'invoice');
  }
  if (invoice && params.price_data && params.price_data.currency !== invoice.invoice.currency) {
    throw invalidParam(`The currency of the invoice item (${params.price_data.currency}) must match the invoice's currency (${invoice.invoice.currency}).`, 'price_data[currency]');
  }
  const priced = priceItem(ctx, params);
  const currency = priced.currency ?? invoice?.invoice.currency ?? customer.currency;
  if (currency === null || currency === undefined) {
    throw invalidParam('Missing required param: currency.', 'currency', 'parameter_missing');
  }
  if (invoice && invoice.invoice.currency !== currency) {
    throw invalidParam(`The currency of the invoice item (${currency}) must match the invoice's currency (${invoice.invoice.currency}).`, 'currency');
  }
  const now = ctx.now();
  const item: Stripe.InvoiceItem = {
    id: newId('ii'),
    object: 'invoiceitem',
    amount: priced.amount,
    currency,
    customer: customer.id,
    date: now,
    description: params.description ?? null,
    // Stripe leaves credits (negative items) out of percentage discounts by default.
    discountable: params.discountable ?? priced.amount >= 0,
    discounts: [],
    invoice: null,
    livemode: false,
    metadata: mergeMetadata(null, params.metadata),
    period: params.period ? { ...params.period } : { start: now, end: now },
    proration: false,
    quantity: priced.quantity,
    tax_rates: [],
    test_clock: null,
    parent: null,
    pricing: priced.pricing,
    net_amount: priced.amount,
    customer_account: null,
    quantity_decimal: Stripe.Decimal.from(priced.quantity),
  };
  const record: InvoiceItemRecord = { item, lineId: newId('il') };
  ctx.store.invoiceItems.set(item.id, record);
  ctx.store.track(item.id);
  if (invoice) attachItem(ctx, record, invoice);
  ctx.emit('invoiceitem.created', deepClone(item));
  return deepClone(item);
}

function updateItem(record: InvoiceItemRecord, params: Stripe.InvoiceItemUpdateParams, ctx: HandlerContext): Stripe.InvoiceItem {
  const item = record.item;
  const invoiceId = idOf(item.invoice);
  const invoice = invoiceId !== null ? editableInvoice(ctx, invoiceId, 'id') : undefined;
  const repriced = [params.amount, params.unit_amount_decimal, params.pricing, params.price_data].some((v) => v !== undefined);
  if (repriced || params.quantity !== undefined) {
    const source: ItemPricingParams = repriced
      ? params
      : {
          ...params,
          // Only the quantity changes: re-price from what the item already uses.
          ...(item.pricing?.price_details
            ? { pricing: { price: idOf(item.pricing.price_details.price) as string } }
            : { unit_amount_decimal: item.pricing?.unit_amount_decimal ?? Stripe.Decimal.from(item.amount) }),
        };
    const priced = priceItem(ctx, { ...source, currency: item.currency });
    item.amount = priced.amount;
    item.net_amount = priced.amount;
    item.quantity = priced.quantity;
    item.quantity_decimal = Stripe.Decimal.from(priced.quantity);
    item.pricing = priced.pricing;
  }
  if (params.description !== undefined) item.description = params.description === '' ? null : params.description;
  if (params.discountable !== undefined) item.discountable = params.discountable;
  if (params.metadata !== undefined) item.metadata = mergeMetadata(item.metadata, params.metadata);
  if (params.period !== undefined) item.period = { ...params.period };
  if (invoice) recalculateInvoice(ctx, invoice);
  return deepClone(item);
}

export const invoiceItemRoutes: Route[] = [
  route<Stripe.InvoiceItemCreateParams, Stripe.InvoiceItem>({
    method: 'POST',
    path: '/v1/invoiceitems',
    parse: (p) => ({
      ...readPricing(p),
      currency: readCurrency(p, 'currency'),
      customer: p.nonEmptyString('customer'),
      description: p.string('description'),
      discountable: p.boolean('discountable'),
      expand: readExpand(p),
      invoice: p.nonEmptyString('invoice'),
      metadata: p.metadata('metadata'),
      period: p.object('period', readPeriod),
    }),
    handle: createItem,
  }),
  route<Stripe.InvoiceItemRetrieveParams, Stripe.InvoiceItem>({
    method: 'GET',
    path: '/v1/invoiceitems/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => deepClone(requireInvoiceItem(ctx, path.id as string).item),
  }),
  route<Stripe.InvoiceItemUpdateParams, Stripe.InvoiceItem>({
    method: 'POST',
    path: '/v1/invoiceitems/:id',
    parse: (p) => ({
      ...readPricing(p),
      description: p.string('description'),
      discountable: p.boolean('discountable'),
      expand: readExpand(p),
      metadata: p.metadata('metadata'),
      period: p.object('period', readPeriod),
    }),
    handle: (params, ctx, path) => updateItem(requireInvoiceItem(ctx, path.id as string), params, ctx),
  }),
  route<Stripe.InvoiceItemDeleteParams, Stripe.DeletedInvoiceItem>({
    method: 'DELETE',
    path: '/v1/invoiceitems/:id',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const record = requireInvoiceItem(ctx, path.id as string);
      const invoiceId = idOf(record.item.invoice);
      if (invoiceId !== null) {
        const invoice = editableInvoice(ctx, invoiceId, 'id');
        invoice.itemIds = invoice.itemIds.filter((id) => id !== record.item.id);
        recalculateInvoice(ctx, invoice);
      }
      ctx.store.invoiceItems.delete(record.item.id);
      ctx.emit('invoiceitem.deleted', deepClone(record.item));
      return { id: record.item.id, object: 'invoiceitem', deleted: true };
    },
  }),
  route<Stripe.InvoiceItemListParams, Stripe.ApiList<Stripe.InvoiceItem>>({
    method: 'GET',
    path: '/v1/invoiceitems',
    parse: (p) => ({
      ...readPagination(p),
      created: readRange(p, 'created'),
      customer: p.string('customer'),
      expand: readExpand(p),
      invoice: p.string('invoice'),
      pending: p.boolean('pending'),
    }),
    handle: (params, ctx) => {
      const items = ctx.store
        .newestFirst([...ctx.store.invoiceItems.values()].map((r) => r.item))
        .filter((i) => params.customer === undefined || idOf(i.customer) === params.customer)
        .filter((i) => params.invoice === undefined || idOf(i.invoice) === params.invoice)
        .filter((i) => params.pending === undefined || (i.invoice === null) === params.pending)
        .filter((i) => matchesRange(i.date, params.created));
      return paginate(items.map(deepClone), params, '/v1/invoiceitems');
    },
  }),
];
