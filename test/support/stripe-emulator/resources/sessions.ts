/**
 * Hosted flows: Checkout Sessions (setup / subscription / payment) and Billing Portal sessions. Nobody can visit
 * the returned URLs, so `completeCheckout` plays the customer: it creates or reuses the customer, attaches a
 * payment method, starts the subscription for subscription mode and emits `checkout.session.completed`.
 */
import type Stripe from 'stripe';
import { invalidParam, invalidTransition, notFound } from '../errors.js';
import { newId, randomBase62 } from '../ids.js';
import { paginate } from '../lists.js';
import { readPagination } from '../params.js';
import { priceAmount } from '../pricing.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { Store } from '../store.js';
import { requirePrice } from './catalog.js';
import { changedFields, deepClone, idOf, mergeMetadata, readCurrency, readExpand, toAddress } from './common.js';
import { newPaymentMethod, renderCustomer, requireCustomer, storeNewCustomer } from './customers.js';
import { createSubscription } from './subscriptions.js';

const CHECKOUT_LIFETIME = 24 * 3600;
/** The portal configuration every session uses (the emulator has no configuration API). */
export const DEFAULT_PORTAL_CONFIGURATION = 'bpc_emulatordefault000000';

export interface CompleteCheckoutOptions {
  /** Email the customer typed in (default: the session's `customer_email`, or `customer@example.com`). */
  email?: string;
  name?: string;
  address?: Stripe.AddressParam;
  taxId?: { type: string; value: string };
  /** `declining` attaches a card whose charges fail (like `pm_card_chargeCustomerFail`). */
  paymentMethod?: 'card' | 'declining';
  /**
   * Make the new payment method the customer's `invoice_settings.default_payment_method` (default true).
   * Real Stripe leaves that to the integration in setup mode; the default here saves tests a round trip.
   */
  setDefaultPaymentMethod?: boolean;
}

export function requireCheckoutSession(store: Store, id: string): Stripe.Checkout.Session {
  const session = store.checkoutSessions.get(id);
  if (!session) throw notFound('checkout.session', id);
  return session;
}

type LineInput = { price: Stripe.Price; quantity: number };

function createCheckoutSession(params: Stripe.Checkout.SessionCreateParams, ctx: HandlerContext): Stripe.Checkout.Session {
  const mode = params.mode;
  if (mode === undefined) throw invalidParam('Missing required param: mode.', 'mode', 'parameter_missing');
  if (params.customer !== undefined && params.customer_email !== undefined) {
    throw invalidParam('You may only specify one of these parameters: customer, customer_email.', 'customer_email', 'parameters_exclusive');
  }
  const customer = params.customer !== undefined ? requireCustomer(ctx.store, params.customer) : null;
  const lines: LineInput[] = (params.line_items ?? []).map((line, i) => {
    if (line.price === undefined) throw invalidParam('Missing required param: price.', `line_items[${i}][price]`, 'parameter_missing');
    return { price: requirePrice(ctx.store, line.price, `line_items[${i}][price]`), quantity: line.quantity ?? 1 };
  });
  if (mode === 'setup') {
    if (lines.length > 0) throw invalidParam('line_items cannot be used in setup mode.', 'line_items');
    if (params.currency === undefined) {
      throw invalidParam('currency is required in setup mode when payment_method_types is not set.', 'currency', 'parameter_missing');
    }
  } else {
    if (lines.length === 0) throw invalidParam(`line_items are required in ${mode} mode.`, 'line_items', 'parameter_missing');
    lines.forEach((line, i) => {
      const wanted = mode === 'subscription' ? 'recurring' : 'one_time';
      if (mode === 'subscription' && line.price.type !== 'recurring') {
        throw invalidParam(`In subscription mode, line_items[${i}] must use a recurring price.`, `line_items[${i}][price]`);
      }
      if (mode === 'payment' && line.price.type !== wanted) {
        throw invalidParam(`In payment mode, line_items[${i}] must use a one-time price.`, `line_items[${i}][price]`);
      }
    });
  }
  const currency = params.currency ?? lines[0]?.price.currency ?? null;
  const amount = mode === 'setup' ? null : lines.reduce((sum, l) => sum + priceAmount(l.price, l.quantity), 0);
  const now = ctx.now();
  const id = newId('cs_test');
  const session: Stripe.Checkout.Session = {
    id,
    object: 'checkout.session',
    adaptive_pricing: null,
    after_expiration: null,
    allow_promotion_codes: null,
    allowed_payment_method_types: params.allowed_payment_method_types ? [...params.allowed_payment_method_types] : null,
    amount_subtotal: amount,
    amount_total: amount,
    automatic_tax: { enabled: false, liability: null, provider: null, status: null },
    billing_address_collection: params.billing_address_collection ?? null,
    cancel_url: params.cancel_url ?? null,
    client_reference_id: params.client_reference_id ?? null,
    client_secret: null,
    collected_information: null,
    consent: null,
    consent_collection: null,
    created: now,
    currency,
    currency_conversion: null,
    custom_fields: [],
    custom_text: { after_submit: null, shipping_address: null, submit: null, terms_of_service_acceptance: null },
    customer: customer?.id ?? null,
    customer_account: null,
    customer_creation: customer ? null : (params.customer_creation ?? 'if_required'),
    customer_details: customer
      ? {
          address: customer.address ?? null,
          business_name: null,
          email: customer.email,
          individual_name: null,
          name: customer.name ?? null,
          phone: customer.phone ?? null,
          tax_exempt: customer.tax_exempt ?? 'none',
          tax_ids: [],
        }
      : null,
    customer_email: params.customer_email ?? null,
    discounts: [],
    expires_at: params.expires_at ?? now + CHECKOUT_LIFETIME,
    integration_identifier: null,
    invoice: null,
    invoice_creation: null,
    livemode: false,
    locale: params.locale ?? null,
    managed_payments: null,
    metadata: mergeMetadata(null, params.metadata),
    mode,
    origin_context: null,
    payment_intent: null,
    payment_link: null,
    payment_method_collection: mode === 'payment' ? null : (params.payment_method_collection ?? 'always'),
    payment_method_configuration_details: null,
    payment_method_options: {},
    payment_method_types: params.allowed_payment_method_types ? [...params.allowed_payment_method_types] : ['card'],
    payment_status: mode === 'setup' ? 'no_payment_required' : 'unpaid',
    permissions: null,
    phone_number_collection: { enabled: false },
    recovered_from: null,
    saved_payment_method_options: null,
    setup_intent: mode === 'setup' ? newId('seti') : null,
    shipping_address_collection: null,
    shipping_cost: null,
    shipping_options: [],
    status: 'open',
    submit_type: null,
    subscription: null,
    success_url: params.success_url ?? null,
    total_details: mode === 'setup' ? null : { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
    ui_mode: params.ui_mode ?? 'hosted_page',
    url: `https://checkout.stripe.com/c/pay/${id}#${randomBase62(24)}`,
    wallet_options: null,
  };
  ctx.store.checkoutSessions.set(id, session);
  ctx.store.track(id);
  ctx.store.checkoutExtras.set(id, {
    lines: lines.map((l) => ({ price: l.price.id, quantity: l.quantity })),
    subscriptionMetadata: mergeMetadata(null, params.subscription_data?.metadata),
    subscriptionDescription: params.subscription_data?.description ?? null,
  });
  return deepClone(session);
}

/** Plays the customer through the hosted page. */
export function completeCheckout(ctx: HandlerContext, sessionId: string, options: CompleteCheckoutOptions = {}): Stripe.Checkout.Session {
  const session = requireCheckoutSession(ctx.store, sessionId);
  if (session.status !== 'open') throw invalidTransition(`Checkout session ${sessionId} is ${session.status}, not open.`);
  const now = ctx.now();
  let customer: Stripe.Customer;
  const existing = idOf(session.customer);
  if (existing !== null) {
    customer = requireCustomer(ctx.store, existing);
  } else {
    customer = storeNewCustomer(ctx);
    customer.email = options.email ?? session.customer_email ?? 'customer@example.com';
    customer.name = options.name ?? null;
    customer.address = options.address ? toAddress(options.address) : null;
    ctx.emit('customer.created', renderCustomer(ctx.store, customer));
  }
  const before = deepClone(customer);
  const pm = newPaymentMethod(ctx.store, customer.id, now, options.paymentMethod === 'declining');
  if (options.setDefaultPaymentMethod ?? true) customer.invoice_settings.default_payment_method = pm;
  if (existing !== null) {
    if (options.address) customer.address = toAddress(options.address);
    if (options.name !== undefined) customer.name = options.name;
  }
  if (options.taxId) {
    const taxId: Stripe.TaxId = {
      id: newId('txi'),
      object: 'tax_id',
      country: options.taxId.type.split('_')[0]?.toUpperCase() ?? null,
      created: now,
      customer: customer.id,
      livemode: false,
      owner: { customer: customer.id, type: 'customer', customer_account: null },
      type: options.taxId.type,
      value: options.taxId.value,
      verification: { status: 'pending', verified_address: null, verified_name: null },
      customer_account: null,
    };
    ctx.store.taxIds.set(taxId.id, taxId);
    ctx.store.track(taxId.id);
  }
  const previous = changedFields(before, customer);
  if (Object.keys(previous).length > 0) ctx.emit('customer.updated', renderCustomer(ctx.store, customer), previous);

  if (session.mode === 'subscription') {
    const extras = ctx.store.checkoutExtras.get(session.id);
    const subscription = createSubscription(ctx, {
      customerId: customer.id,
      items: (extras?.lines ?? []).map((l) => ({ price: requirePrice(ctx.store, l.price), quantity: l.quantity })),
      start: now,
      scheduleId: null,
      metadata: extras?.subscriptionMetadata ?? {},
      description: extras?.subscriptionDescription ?? null,
      defaultPaymentMethod: pm,
    });
    session.subscription = subscription.id;
    session.payment_status = 'paid';
  } else if (session.mode === 'payment') {
    session.payment_intent = newId('pi');
    session.payment_status = 'paid';
  }
  session.customer = customer.id;
  session.customer_details = {
    address: customer.address ?? null,
    business_name: null,
    email: customer.email,
    individual_name: null,
    name: customer.name ?? null,
    phone: customer.phone ?? null,
    tax_exempt: customer.tax_exempt ?? 'none',
    tax_ids: options.taxId ? [{ type: options.taxId.type, value: options.taxId.value }] : [],
  };
  session.status = 'complete';
  session.url = null;
  ctx.emit('checkout.session.completed', deepClone(session));
  return deepClone(session);
}

/** Open sessions past `expires_at` expire, as on Stripe. */
export function expireCheckoutSessions(ctx: HandlerContext): void {
  const now = ctx.now();
  for (const session of ctx.store.checkoutSessions.values()) {
    if (session.status === 'open' && session.expires_at <= now) {
      session.status = 'expired';
      session.url = null;
      ctx.emit('checkout.session.expired', deepClone(session));
    }
  }
}

export const sessionRoutes: Route[] = [
  route<Stripe.Checkout.SessionCreateParams, Stripe.Checkout.Session>({
    method: 'POST',
    path: '/v1/checkout/sessions',
    parse: (p) => ({
      allowed_payment_method_types: p.strings('allowed_payment_method_types'),
      billing_address_collection: p.oneOf('billing_address_collection', ['auto', 'required'] as const),
      cancel_url: p.nonEmptyString('cancel_url'),
      client_reference_id: p.nonEmptyString('client_reference_id'),
      currency: readCurrency(p, 'currency'),
      customer: p.nonEmptyString('customer'),
      customer_creation: p.oneOf('customer_creation', ['always', 'if_required'] as const),
      customer_email: p.nonEmptyString('customer_email'),
      customer_update: p.object('customer_update', (u) => ({
        address: u.oneOf('address', ['auto', 'never'] as const),
        name: u.oneOf('name', ['auto', 'never'] as const),
        shipping: u.oneOf('shipping', ['auto', 'never'] as const),
      })),
      expand: readExpand(p),
      expires_at: p.integer('expires_at', { min: 0 }),
      line_items: p.objects('line_items', (l) => ({ price: l.nonEmptyString('price'), quantity: l.integer('quantity', { min: 0 }) })),
      locale: p.string('locale'),
      metadata: p.metadata('metadata') || undefined,
      mode: p.oneOf('mode', ['payment', 'setup', 'subscription'] as const),
      payment_method_collection: p.oneOf('payment_method_collection', ['always', 'if_required'] as const),
      return_url: p.nonEmptyString('return_url'),
      setup_intent_data: p.object('setup_intent_data', (s) => ({
        description: s.string('description'),
        metadata: s.metadata('metadata') || undefined,
      })),
      subscription_data: p.object('subscription_data', (s) => ({
        description: s.string('description'),
        metadata: s.metadata('metadata') || undefined,
      })),
      success_url: p.nonEmptyString('success_url'),
      tax_id_collection: p.object('tax_id_collection', (t) => ({ enabled: t.boolean('enabled') ?? false })),
      ui_mode: p.oneOf('ui_mode', ['elements', 'embedded_page', 'form', 'hosted_page'] as const),
    }),
    handle: createCheckoutSession,
  }),
  route<Stripe.Checkout.SessionRetrieveParams, Stripe.Checkout.Session>({
    method: 'GET',
    path: '/v1/checkout/sessions/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => deepClone(requireCheckoutSession(ctx.store, path.id as string)),
  }),
  route<Stripe.Checkout.SessionListParams, Stripe.ApiList<Stripe.Checkout.Session>>({
    method: 'GET',
    path: '/v1/checkout/sessions',
    parse: (p) => ({ ...readPagination(p), customer: p.string('customer'), expand: readExpand(p) }),
    handle: (params, ctx) => {
      const sessions = ctx.store
        .newestFirst([...ctx.store.checkoutSessions.values()])
        .filter((s) => params.customer === undefined || idOf(s.customer) === params.customer);
      return paginate(sessions.map(deepClone), params, '/v1/checkout/sessions');
    },
  }),
  route<Stripe.Checkout.SessionExpireParams, Stripe.Checkout.Session>({
    method: 'POST',
    path: '/v1/checkout/sessions/:id/expire',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => {
      const session = requireCheckoutSession(ctx.store, path.id as string);
      if (session.status !== 'open') throw invalidTransition(`Only open sessions can be expired; this one is ${session.status}.`);
      session.status = 'expired';
      session.url = null;
      ctx.emit('checkout.session.expired', deepClone(session));
      return deepClone(session);
    },
  }),
  route<Stripe.BillingPortal.SessionCreateParams, Stripe.BillingPortal.Session>({
    method: 'POST',
    path: '/v1/billing_portal/sessions',
    parse: (p) => ({
      configuration: p.nonEmptyString('configuration'),
      customer: p.nonEmptyString('customer'),
      expand: readExpand(p),
      locale: p.string('locale'),
      return_url: p.nonEmptyString('return_url'),
    }),
    handle: (params, ctx) => {
      if (params.customer === undefined) throw invalidParam('Missing required param: customer.', 'customer', 'parameter_missing');
      const customer = requireCustomer(ctx.store, params.customer);
      const session: Stripe.BillingPortal.Session = {
        id: newId('bps'),
        object: 'billing_portal.session',
        configuration: params.configuration ?? DEFAULT_PORTAL_CONFIGURATION,
        created: ctx.now(),
        customer: customer.id,
        customer_account: null,
        flow: null,
        livemode: false,
        locale: params.locale ?? null,
        on_behalf_of: null,
        return_url: params.return_url ?? null,
        url: `https://billing.stripe.com/p/session/test_${randomBase62(40)}`,
      };
      ctx.store.portalSessions.set(session.id, session);
      ctx.store.track(session.id);
      return deepClone(session);
    },
  }),
];
