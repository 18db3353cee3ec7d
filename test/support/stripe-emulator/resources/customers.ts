/** Customers, their tax ids, and test payment methods attached to them. */
import type Stripe from 'stripe';
import { invalidParam, invalidRequest, notFound } from '../errors.js';
import { newId, newInvoicePrefix } from '../ids.js';
import { fullList, paginate } from '../lists.js';
import { matchesRange, readPagination, readRange, type ParamReader } from '../params.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { Store } from '../store.js';
import { recordBalanceTransaction } from './balance.js';
import { changedFields, deepClone, mergeMetadata, readAddress, readExpand, toAddress } from './common.js';

const TAX_EXEMPT = ['none', 'exempt', 'reverse'] as const;

/**
 * Stripe's test-mode PaymentMethod tokens: passing one attaches a fresh `pm_...` to the customer.
 * `pm_card_chargeCustomerFail` attaches fine but every charge on it is declined.
 */
const TEST_PAYMENT_METHODS = new Set([
  'pm_card_visa',
  'pm_card_mastercard',
  'pm_card_amex',
  'pm_card_us',
  'pm_card_chargeCustomerFail',
  'pm_usBankAccount',
]);

export function requireCustomer(store: Store, id: string, param = 'customer'): Stripe.Customer {
  const customer = store.customers.get(id);
  if (!customer || store.deletedCustomers.has(id)) throw notFound('customer', id, param);
  return customer;
}

export function newPaymentMethod(store: Store, customerId: string, now: number, declines = false): string {
  const id = newId('pm');
  store.paymentMethods.set(id, { id, customer: customerId, created: now, declines });
  store.track(id);
  return id;
}

/**
 * Resolves a payment method reference for a customer: a test token attaches a new one (the same token used twice
 * in one request means the same attached method, as in Stripe's `payment_method` + `default_payment_method` idiom).
 */
export function resolvePaymentMethod(
  ctx: HandlerContext,
  customerId: string,
  reference: string,
  param: string,
  attachedThisRequest: Map<string, string>,
  allowTestTokens: boolean,
): string {
  const already = attachedThisRequest.get(reference);
  if (already) return already;
  if (TEST_PAYMENT_METHODS.has(reference)) {
    if (!allowTestTokens) throw notFound('PaymentMethod', reference, param);
    const id = newPaymentMethod(ctx.store, customerId, ctx.now(), reference === 'pm_card_chargeCustomerFail');
    attachedThisRequest.set(reference, id);
    return id;
  }
  const pm = ctx.store.paymentMethods.get(reference);
  if (!pm) throw notFound('PaymentMethod', reference, param);
  if (pm.customer !== customerId) {
    throw invalidRequest(
      `The payment method you provided is not attached to this customer. Attach it first.`,
      param,
      'payment_method_unexpected_state',
    );
  }
  return pm.id;
}

export function defaultPaymentMethodOf(customer: Stripe.Customer): string | null {
  const pm = customer.invoice_settings.default_payment_method;
  return typeof pm === 'string' ? pm : (pm?.id ?? null);
}

function taxIdCountry(type: string, value: string): string | null {
  if (type === 'eu_vat') {
    const prefix = value.slice(0, 2).toUpperCase();
    return prefix === 'EL' ? 'GR' : prefix;
  }
  const prefix = type.split('_')[0];
  return prefix && prefix.length === 2 ? prefix.toUpperCase() : null;
}

function createTaxId(ctx: HandlerContext, customerId: string, type: string, value: string): Stripe.TaxId {
  checkTaxIdType(type, 'type');
  const taxId: Stripe.TaxId = {
    id: newId('txi'),
    object: 'tax_id',
    country: taxIdCountry(type, value),
    created: ctx.now(),
    customer: customerId,
    livemode: false,
    owner: { customer: customerId, type: 'customer', customer_account: null },
    type,
    value,
    verification: {
      status: ['eu_vat', 'gb_vat', 'au_abn'].includes(type) ? 'pending' : 'unavailable',
      verified_address: null,
      verified_name: null,
    },
    customer_account: null,
  };
  ctx.store.taxIds.set(taxId.id, taxId);
  ctx.store.track(taxId.id);
  return taxId;
}

export function customerTaxIds(store: Store, customerId: string): Stripe.TaxId[] {
  // Stripe lists a customer's tax ids oldest first.
  return store.newestFirst([...store.taxIds.values()].filter((t) => t.customer === customerId)).reverse();
}

/** The response form of a customer; `tax_ids` is only included when expanded, as in Stripe. */
export function renderCustomer(store: Store, customer: Stripe.Customer, expand: readonly string[] = []): Stripe.Customer {
  const out = deepClone(customer);
  if (expand.includes('tax_ids')) {
    out.tax_ids = fullList(customerTaxIds(store, customer.id), `/v1/customers/${customer.id}/tax_ids`);
  }
  return out;
}

function readShipping(
  r: ParamReader<Stripe.CustomerCreateParams.Shipping | Stripe.CustomerUpdateParams.Shipping>,
): Stripe.CustomerCreateParams.Shipping {
  return {
    address: r.requiredObject('address', readAddress),
    name: r.requiredString('name'),
    phone: r.string('phone'),
  };
}

function readInvoiceSettings(
  r: ParamReader<Stripe.CustomerCreateParams.InvoiceSettings>,
): Stripe.CustomerCreateParams.InvoiceSettings {
  return {
    custom_fields: r.emptyableObjects('custom_fields', (f) => ({
      name: f.requiredString('name'),
      value: f.requiredString('value'),
    })),
    default_payment_method: r.nonEmptyString('default_payment_method'),
    footer: r.string('footer'),
    rendering_options: r.emptyableObject('rendering_options', (o) => ({
      amount_tax_display: o.oneOf('amount_tax_display', ['exclude_tax', 'include_inclusive_tax'] as const),
      template: o.string('template'),
    })),
  };
}

type CustomerWritable = Stripe.CustomerCreateParams & Stripe.CustomerUpdateParams;

function applyCustomerParams(
  ctx: HandlerContext,
  customer: Stripe.Customer,
  params: CustomerWritable,
  attached: Map<string, string>,
): void {
  if (params.address !== undefined) customer.address = params.address === '' || params.address === null ? null : toAddress(params.address);
  if (params.description !== undefined) customer.description = params.description === '' ? null : params.description;
  if (params.email !== undefined) customer.email = params.email === '' ? null : params.email;
  if (params.name !== undefined) customer.name = params.name === '' ? null : params.name;
  if (params.phone !== undefined) customer.phone = params.phone === '' ? null : params.phone;
  if (params.preferred_locales !== undefined) customer.preferred_locales = params.preferred_locales;
  if (params.invoice_prefix !== undefined) {
    if (!/^[A-Z0-9]{3,12}$/.test(params.invoice_prefix)) {
      throw invalidParam('Invoice prefix must be 3-12 uppercase letters or numbers.', 'invoice_prefix');
    }
    customer.invoice_prefix = params.invoice_prefix;
  }
  if (params.next_invoice_sequence !== undefined) customer.next_invoice_sequence = params.next_invoice_sequence;
  if (params.tax_exempt !== undefined) customer.tax_exempt = params.tax_exempt === '' || params.tax_exempt === null ? 'none' : params.tax_exempt;
  if (params.shipping !== undefined) {
    customer.shipping =
      params.shipping === '' || params.shipping === null
        ? null
        : { address: toAddress(params.shipping.address), carrier: null, name: params.shipping.name, phone: params.shipping.phone ?? null, tracking_number: null };
  }
  if (params.metadata !== undefined) customer.metadata = mergeMetadata(customer.metadata, params.metadata);
  if (params.payment_method !== undefined) {
    resolvePaymentMethod(ctx, customer.id, params.payment_method, 'payment_method', attached, true);
  }
  const settings = params.invoice_settings;
  if (settings) {
    const current = customer.invoice_settings;
    if (settings.custom_fields !== undefined) {
      current.custom_fields = settings.custom_fields === '' || settings.custom_fields === null ? null : settings.custom_fields;
    }
    if (settings.footer !== undefined) current.footer = settings.footer === '' ? null : settings.footer;
    if (settings.default_payment_method !== undefined) {
      current.default_payment_method = resolvePaymentMethod(
        ctx,
        customer.id,
        settings.default_payment_method,
        'invoice_settings[default_payment_method]',
        attached,
        attached.has(settings.default_payment_method),
      );
    }
    if (settings.rendering_options !== undefined) {
      const ro = settings.rendering_options;
      current.rendering_options =
        ro === '' || ro === null
          ? null
          : {
              amount_tax_display: typeof ro.amount_tax_display === 'string' && ro.amount_tax_display !== '' ? ro.amount_tax_display : null,
              template: ro.template ?? null,
            };
    }
  }
}

function readCustomerParams(p: ParamReader<CustomerWritable>, create: boolean): CustomerWritable {
  return {
    address: p.emptyableObject('address', readAddress),
    balance: p.integer('balance'),
    description: p.string('description'),
    email: p.string('email'),
    expand: readExpand(p),
    invoice_prefix: p.nonEmptyString('invoice_prefix'),
    invoice_settings: p.object('invoice_settings', readInvoiceSettings),
    metadata: p.metadata('metadata'),
    name: p.string('name'),
    next_invoice_sequence: p.integer('next_invoice_sequence', { min: 1 }),
    payment_method: create ? p.nonEmptyString('payment_method') : undefined,
    phone: p.string('phone'),
    preferred_locales: p.strings('preferred_locales'),
    shipping: p.emptyableObject('shipping', readShipping),
    tax_exempt: p.oneOf('tax_exempt', TAX_EXEMPT),
    tax_id_data: create
      ? p.objects('tax_id_data', (t) => ({ type: t.requiredString('type'), value: t.requiredString('value') }))
      : undefined,
  };
}

/** A new customer with Stripe's defaults (not stored yet). */
function blankCustomer(ctx: HandlerContext): Stripe.Customer {
  return {
    id: newId('cus'),
    object: 'customer',
    address: null,
    balance: 0,
    created: ctx.now(),
    currency: null,
    default_source: null,
    delinquent: false,
    description: null,
    discount: null,
    email: null,
    invoice_prefix: newInvoicePrefix(),
    invoice_settings: { custom_fields: null, default_payment_method: null, footer: null, rendering_options: null },
    livemode: false,
    metadata: {},
    name: null,
    next_invoice_sequence: 1,
    phone: null,
    preferred_locales: [],
    shipping: null,
    tax_exempt: 'none',
    test_clock: null,
  };
}

/** Stores a new customer with Stripe's defaults; the caller fills in details and emits `customer.created`. */
export function storeNewCustomer(ctx: HandlerContext): Stripe.Customer {
  const customer = blankCustomer(ctx);
  ctx.store.customers.set(customer.id, customer);
  ctx.store.track(customer.id);
  return customer;
}

function checkTaxIdType(type: string, param: string): void {
  if (!/^[a-z]{2,4}_[a-z_]+$/.test(type)) throw invalidParam(`Invalid tax id type: ${type}`, param);
}

function createCustomer(params: Stripe.CustomerCreateParams, ctx: HandlerContext): Stripe.Customer {
  // Check references first: a rejected request must not leave a customer (or payment method) behind.
  const pm = params.payment_method;
  if (pm !== undefined && !TEST_PAYMENT_METHODS.has(pm)) {
    throw ctx.store.paymentMethods.has(pm)
      ? invalidRequest('This PaymentMethod is already attached to another customer.', 'payment_method', 'payment_method_unexpected_state')
      : notFound('PaymentMethod', pm, 'payment_method');
  }
  const defaultPm = params.invoice_settings?.default_payment_method;
  if (defaultPm !== undefined && defaultPm !== pm) {
    throw notFound('PaymentMethod', defaultPm, 'invoice_settings[default_payment_method]');
  }
  params.tax_id_data?.forEach((datum, i) => checkTaxIdType(datum.type, `tax_id_data[${i}][type]`));
  const customer = blankCustomer(ctx);
  applyCustomerParams(ctx, customer, params, new Map());
  ctx.store.customers.set(customer.id, customer);
  ctx.store.track(customer.id);
  for (const datum of params.tax_id_data ?? []) createTaxId(ctx, customer.id, datum.type, datum.value);
  if (params.balance !== undefined && params.balance !== 0) {
    customer.currency = customer.currency ?? 'usd';
    recordBalanceTransaction(ctx, customer, { amount: params.balance, type: 'initial' });
  }
  ctx.emit('customer.created', renderCustomer(ctx.store, customer));
  return renderCustomer(ctx.store, customer, params.expand);
}

function updateCustomer(id: string, params: Stripe.CustomerUpdateParams, ctx: HandlerContext): Stripe.Customer {
  const customer = requireCustomer(ctx.store, id, 'id');
  const before = deepClone(customer);
  // Apply to a copy so a parameter rejected halfway leaves the customer untouched.
  const draft = deepClone(customer);
  applyCustomerParams(ctx, draft, params, new Map());
  Object.assign(customer, draft);
  if (params.balance !== undefined && params.balance !== customer.balance) {
    recordBalanceTransaction(ctx, customer, { amount: params.balance - customer.balance, type: 'adjustment' });
  }
  const previous = changedFields(before, customer);
  if (Object.keys(previous).length > 0) ctx.emit('customer.updated', renderCustomer(ctx.store, customer), previous);
  return renderCustomer(ctx.store, customer, params.expand);
}

/** A tiny subset of Stripe's search query language: `email:'x'`, `name~'x'`, `metadata['k']:'v'`, joined by AND/OR. */
export function searchCustomers(store: Store, query: string): Stripe.Customer[] {
  const clause = /^\s*(metadata\[['"]([^'"]+)['"]\]|email|name|phone)\s*(:|~)\s*['"]((?:[^'"\\]|\\.)*)['"]\s*$/;
  const joiner = /\s+(AND|OR)\s+/;
  const parts = query.split(joiner);
  const clauses: { field: string; key?: string; op: string; value: string }[] = [];
  const joiners = new Set<string>();
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      joiners.add(part);
      return;
    }
    const m = clause.exec(part);
    if (!m) throw invalidParam(`Invalid search query: ${query}`, 'query');
    const field = m[2] !== undefined ? 'metadata' : (m[1] as string);
    clauses.push({ field, key: m[2], op: m[3] as string, value: (m[4] as string).replace(/\\(.)/g, '$1') });
  });
  if (joiners.size > 1) throw invalidParam('Search queries cannot mix AND and OR.', 'query');
  const any = joiners.has('OR');
  const test = (customer: Stripe.Customer, c: (typeof clauses)[number]): boolean => {
    const actual =
      c.field === 'metadata'
        ? customer.metadata[c.key ?? '']
        : (customer[c.field as 'email' | 'name' | 'phone'] ?? undefined);
    if (actual === undefined || actual === null) return false;
    return c.op === ':' ? actual.toLowerCase() === c.value.toLowerCase() : actual.toLowerCase().includes(c.value.toLowerCase());
  };
  return store
    .newestFirst([...store.customers.values()].filter((c) => !store.deletedCustomers.has(c.id)))
    .filter((c) => (any ? clauses.some((cl) => test(c, cl)) : clauses.every((cl) => test(c, cl))));
}

export const customerRoutes: Route[] = [
  route<Stripe.CustomerCreateParams, Stripe.Customer>({
    method: 'POST',
    path: '/v1/customers',
    parse: (p) => readCustomerParams(p, true),
    handle: (params, ctx) => createCustomer(params, ctx),
  }),
  route<Stripe.CustomerRetrieveParams, Stripe.Customer | Stripe.DeletedCustomer>({
    method: 'GET',
    path: '/v1/customers/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const id = path.id as string;
      if (ctx.store.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
      return renderCustomer(ctx.store, requireCustomer(ctx.store, id, 'id'), params.expand);
    },
  }),
  route<Stripe.CustomerUpdateParams, Stripe.Customer>({
    method: 'POST',
    path: '/v1/customers/:id',
    parse: (p) => readCustomerParams(p, false),
    handle: (params, ctx, path) => updateCustomer(path.id as string, params, ctx),
  }),
  route<Stripe.CustomerDeleteParams, Stripe.DeletedCustomer>({
    method: 'DELETE',
    path: '/v1/customers/:id',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      ctx.store.deletedCustomers.add(customer.id);
      ctx.emit('customer.deleted', renderCustomer(ctx.store, customer));
      return { id: customer.id, object: 'customer', deleted: true };
    },
  }),
  route<Stripe.CustomerListParams, Stripe.ApiList<Stripe.Customer>>({
    method: 'GET',
    path: '/v1/customers',
    parse: (p) => ({
      ...readPagination(p),
      email: p.string('email'),
      created: readRange(p, 'created'),
      expand: readExpand(p),
    }),
    handle: (params, ctx) => {
      const store = ctx.store;
      const matching = store
        .newestFirst([...store.customers.values()])
        .filter((c) => !store.deletedCustomers.has(c.id))
        .filter((c) => params.email === undefined || c.email === params.email)
        .filter((c) => matchesRange(c.created, params.created));
      const expand = (params.expand ?? []).filter((e) => e.startsWith('data.')).map((e) => e.slice(5));
      return paginate(matching.map((c) => renderCustomer(store, c, expand)), params, '/v1/customers');
    },
  }),
  route<Stripe.CustomerSearchParams, Stripe.ApiSearchResult<Stripe.Customer>>({
    method: 'GET',
    path: '/v1/customers/search',
    parse: (p) => ({
      query: p.requiredString('query'),
      limit: p.integer('limit', { min: 1, max: 100 }),
      page: p.string('page'),
      expand: readExpand(p),
    }),
    handle: (params, ctx) => {
      const found = searchCustomers(ctx.store, params.query);
      const limit = params.limit ?? 10;
      return {
        object: 'search_result',
        data: found.slice(0, limit).map((c) => renderCustomer(ctx.store, c)),
        has_more: found.length > limit,
        next_page: null,
        url: '/v1/customers/search',
      };
    },
  }),
  route<Stripe.CustomerCreateTaxIdParams, Stripe.TaxId>({
    method: 'POST',
    path: '/v1/customers/:id/tax_ids',
    parse: (p) => ({ type: p.requiredString('type'), value: p.requiredString('value'), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      const taxId = createTaxId(ctx, customer.id, params.type, params.value);
      ctx.emit('customer.tax_id.created', deepClone(taxId));
      return deepClone(taxId);
    },
  }),
  route<Stripe.CustomerListTaxIdsParams, Stripe.ApiList<Stripe.TaxId>>({
    method: 'GET',
    path: '/v1/customers/:id/tax_ids',
    parse: (p) => ({ ...readPagination(p), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      return paginate(customerTaxIds(ctx.store, customer.id).map(deepClone), params, `/v1/customers/${customer.id}/tax_ids`);
    },
  }),
  route<Stripe.CustomerRetrieveTaxIdParams, Stripe.TaxId>({
    method: 'GET',
    path: '/v1/customers/:id/tax_ids/:taxId',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      const taxId = ctx.store.taxIds.get(path.taxId as string);
      if (!taxId || taxId.customer !== customer.id) throw notFound('tax_id', path.taxId as string);
      return deepClone(taxId);
    },
  }),
  route<Stripe.CustomerDeleteTaxIdParams, Stripe.DeletedTaxId>({
    method: 'DELETE',
    path: '/v1/customers/:id/tax_ids/:taxId',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      const taxId = ctx.store.taxIds.get(path.taxId as string);
      if (!taxId || taxId.customer !== customer.id) throw notFound('tax_id', path.taxId as string);
      ctx.store.taxIds.delete(taxId.id);
      ctx.emit('customer.tax_id.deleted', deepClone(taxId));
      return { id: taxId.id, object: 'tax_id', deleted: true };
    },
  }),
];
