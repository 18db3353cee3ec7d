/**
 * A stateful Stripe emulator for tests: a local HTTP server that the official `stripe` SDK talks to, with
 * Stripe's objects (shaped like the OpenAPI fixtures, typed with the SDK's types), errors, idempotency, signed
 * webhooks and fault injection. See README.md beside this file for what it covers and what it leaves out.
 *
 *   const emulator = await startStripeEmulator();
 *   const stripe = emulator.client();
 *   const customer = await stripe.customers.create({ email: 'ada@example.com' });
 *   await emulator.close();
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { realClock, type EmulatorClock } from './clock.js';
import { Faults } from './faults.js';
import { IdempotencyStore } from './idempotency.js';
import { deepClone } from './resources/common.js';
import { newPaymentMethod, renderCustomer, requireCustomer } from './resources/customers.js';
import { advanceTime, allRoutes } from './resources/index.js';
import { attemptCharge, markPaid, renderInvoice, requireInvoice } from './resources/invoices.js';
import { renderPrice } from './resources/catalog.js';
import { completeCheckout, type CompleteCheckoutOptions } from './resources/sessions.js';
import { HandlerContext, Router } from './router.js';
import { EmulatorServer, type RequestLogEntry } from './server.js';
import { Store } from './store.js';
import {
  signPayload,
  WebhookDispatcher,
  type ForgedDeliveryOptions,
  type WebhookDelivery,
  type WebhookTargetOptions,
} from './webhooks.js';

export type { EmulatorClock } from './clock.js';
export type { DelayPoint, FaultMatch, Faults, InjectedStatus } from './faults.js';
export type { RequestLogEntry } from './server.js';
export type { CompleteCheckoutOptions } from './resources/sessions.js';
export type { ForgedDeliveryOptions, ForgeryMode, WebhookDelivery, WebhookTargetOptions } from './webhooks.js';
export { signPayload } from './webhooks.js';

export interface StripeEmulatorOptions {
  /** Source of "now" for `created`, due dates, schedule phases, signatures and key expiry (default: real time). */
  clock?: EmulatorClock;
  /** Accepted API keys (default: any `sk_test_`/`rk_test_` key). `client()` uses the first. */
  apiKeys?: string[];
  /** Deliver webhooks from the start (same as calling `setWebhookTarget`). */
  webhook?: { url: string; secret?: string } & WebhookTargetOptions;
  /** Port to listen on (default: a free one). */
  port?: number;
}

export interface ClientOptions {
  /** Default 0, so a test decides explicitly whether the SDK retries. */
  maxNetworkRetries?: number;
  /** SDK request timeout in ms. */
  timeout?: number;
  apiKey?: string;
}

/** Rendered snapshots of everything the emulator holds, for assertions without going through the API. */
export interface EmulatorObjects {
  customers: Stripe.Customer[];
  products: Stripe.Product[];
  prices: Stripe.Price[];
  coupons: Stripe.Coupon[];
  invoiceItems: Stripe.InvoiceItem[];
  invoices: Stripe.Invoice[];
  balanceTransactions: Stripe.CustomerBalanceTransaction[];
  subscriptions: Stripe.Subscription[];
  subscriptionSchedules: Stripe.SubscriptionSchedule[];
  checkoutSessions: Stripe.Checkout.Session[];
  portalSessions: Stripe.BillingPortal.Session[];
}

export interface StripeEmulator {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The API key `client()` authenticates with. */
  readonly apiKey: string;
  readonly clock: EmulatorClock;
  /** `new Stripe(key, {host: '127.0.0.1', port, protocol: 'http', maxNetworkRetries: 0})` pointed at the emulator. */
  client(options?: ClientOptions): Stripe;
  close(): Promise<void>;
  /** Forgets all objects, events, deliveries, idempotency keys, faults and logged requests (keeps the webhook target). */
  reset(): void;

  /** Every request received, oldest first. */
  readonly requests: readonly RequestLogEntry[];
  readonly faults: Faults;
  /** Objects as the API would return them right now, newest first. */
  readonly objects: EmulatorObjects;

  /** Where webhooks go; returns the signing secret (a fresh `whsec_...` unless given). */
  setWebhookTarget(url: string, secret?: string, options?: WebhookTargetOptions): string;
  clearWebhookTarget(): void;
  readonly webhookSecret: string | undefined;
  /** Every event emitted, oldest first, as a receiver would parse it. */
  readonly events: readonly Stripe.Event[];
  /** Every delivery attempt, in order. */
  readonly deliveries: readonly WebhookDelivery[];
  /** Resolves when all queued webhook deliveries have finished. */
  flushWebhooks(): Promise<void>;
  /** Delivers an emitted event again, same id and body, freshly signed. */
  replayEvent(eventId: string): Promise<WebhookDelivery>;
  /** Delivers a webhook that must be rejected (wrong secret, stale, tampered or unsigned). */
  deliverForged(options?: ForgedDeliveryOptions): Promise<WebhookDelivery>;
  /** `t=<unix>,v1=<hex>` for a payload, as Stripe signs it (timestamp defaults to the emulator clock). */
  signPayload(payload: string, secret: string, timestamp?: number): string;

  /** A failed collection attempt on an open invoice (`invoice.payment_failed`); later charges decline until
   *  `pay` is given a new `payment_method`. */
  simulatePaymentFailure(invoiceId: string, options?: { declineCode?: string }): Stripe.Invoice;
  /** A successful automatic charge of an open invoice (`invoice.payment_succeeded`, `invoice.paid`). */
  simulatePaymentSuccess(invoiceId: string): Stripe.Invoice;
  /** The customer finishes a Checkout Session (`checkout.session.completed`). */
  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): Stripe.Checkout.Session;
  /** Gives a customer a card on file (default payment method unless `setDefault: false`); returns its `pm_...` id. */
  attachPaymentMethod(customerId: string, options?: { declining?: boolean; setDefault?: boolean }): string;
  /** Applies clock-driven changes now (they also happen at the start of every request). */
  tick(): void;
}

class Emulator implements StripeEmulator {
  readonly requests: RequestLogEntry[] = [];
  readonly faults = new Faults();
  private readonly store = new Store();
  private readonly webhooks: WebhookDispatcher;
  private readonly idempotency: IdempotencyStore;

  constructor(
    private readonly server: Server,
    readonly port: number,
    readonly clock: EmulatorClock,
    readonly apiKey: string,
    apiKeys: ReadonlySet<string> | undefined,
  ) {
    this.webhooks = new WebhookDispatcher(clock);
    this.idempotency = new IdempotencyStore(clock);
    const handler = new EmulatorServer({
      store: this.store,
      clock,
      webhooks: this.webhooks,
      faults: this.faults,
      idempotency: this.idempotency,
      router: new Router(allRoutes),
      apiKeys,
      log: this.requests,
    });
    server.on('request', handler.listener);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  client(options: ClientOptions = {}): Stripe {
    return new Stripe(options.apiKey ?? this.apiKey, {
      host: '127.0.0.1',
      port: this.port,
      protocol: 'http',
      maxNetworkRetries: options.maxNetworkRetries ?? 0,
      telemetry: false,
      ...(options.timeout !== undefined ? { timeout: options.timeout } : {}),
    });
  }

  async close(): Promise<void> {
    await this.webhooks.idle();
    await new Promise<void>((resolve, reject) => {
      this.server.close((error) => (error ? reject(error) : resolve()));
      // The SDK keeps connections alive; do not wait for them to time out.
      this.server.closeAllConnections();
    });
  }

  reset(): void {
    this.store.clear();
    this.webhooks.reset();
    this.idempotency.clear();
    this.faults.clear();
    this.requests.length = 0;
  }

  get objects(): EmulatorObjects {
    const s = this.store;
    const all = <T extends { id: string }>(items: Iterable<T>): T[] => s.newestFirst(items).map((x) => deepClone(x));
    return {
      customers: s.newestFirst([...s.customers.values()].filter((c) => !s.deletedCustomers.has(c.id))).map((c) => renderCustomer(s, c)),
      products: all(s.products.values()),
      prices: s.newestFirst([...s.prices.values()]).map((p) => renderPrice(p)),
      coupons: all(s.coupons.values()),
      invoiceItems: all([...s.invoiceItems.values()].map((r) => r.item)),
      invoices: s.newestFirst([...s.invoices.values()].map((r) => r.invoice)).map((i) => renderInvoice(requireInvoice(s, i.id))),
      balanceTransactions: all(s.balanceTransactions.values()),
      subscriptions: all(s.subscriptions.values()),
      subscriptionSchedules: all(s.schedules.values()),
      checkoutSessions: all(s.checkoutSessions.values()),
      portalSessions: all(s.portalSessions.values()),
    };
  }

  setWebhookTarget(url: string, secret?: string, options?: WebhookTargetOptions): string {
    return this.webhooks.setTarget(url, secret, options);
  }

  clearWebhookTarget(): void {
    this.webhooks.clearTarget();
  }

  get webhookSecret(): string | undefined {
    return this.webhooks.secret;
  }

  get events(): readonly Stripe.Event[] {
    return this.webhooks.events;
  }

  get deliveries(): readonly WebhookDelivery[] {
    return this.webhooks.deliveries;
  }

  flushWebhooks(): Promise<void> {
    return this.webhooks.idle();
  }

  replayEvent(eventId: string): Promise<WebhookDelivery> {
    return this.webhooks.replay(eventId);
  }

  deliverForged(options?: ForgedDeliveryOptions): Promise<WebhookDelivery> {
    return this.webhooks.deliverForged(options);
  }

  signPayload(payload: string, secret: string, timestamp?: number): string {
    return signPayload(payload, secret, timestamp ?? Math.floor(this.clock.now().getTime() / 1000));
  }

  /** Test helpers act like Stripe's background processes: no request, no idempotency key. */
  private helperContext(): HandlerContext {
    const ctx = new HandlerContext(this.store, this.clock, this.webhooks, null, null);
    advanceTime(ctx);
    return ctx;
  }

  simulatePaymentFailure(invoiceId: string, options: { declineCode?: string } = {}): Stripe.Invoice {
    const ctx = this.helperContext();
    const record = requireInvoice(this.store, invoiceId);
    if (record.invoice.status !== 'open') {
      throw new Error(`simulatePaymentFailure: invoice ${invoiceId} is ${record.invoice.status}, not open`);
    }
    record.declineCode = options.declineCode ?? 'generic_decline';
    attemptCharge(ctx, record, null);
    return renderInvoice(record);
  }

  simulatePaymentSuccess(invoiceId: string): Stripe.Invoice {
    const ctx = this.helperContext();
    const record = requireInvoice(this.store, invoiceId);
    if (record.invoice.status !== 'open' && record.invoice.status !== 'uncollectible') {
      throw new Error(`simulatePaymentSuccess: invoice ${invoiceId} is ${record.invoice.status}`);
    }
    record.declineCode = null;
    markPaid(ctx, record, { charged: true });
    return renderInvoice(record);
  }

  completeCheckout(sessionId: string, options?: CompleteCheckoutOptions): Stripe.Checkout.Session {
    return completeCheckout(this.helperContext(), sessionId, options);
  }

  attachPaymentMethod(customerId: string, options: { declining?: boolean; setDefault?: boolean } = {}): string {
    const ctx = this.helperContext();
    const customer = requireCustomer(this.store, customerId);
    const pm = newPaymentMethod(this.store, customer.id, ctx.now(), options.declining ?? false);
    if (options.setDefault ?? true) {
      const previous = deepClone(customer.invoice_settings);
      customer.invoice_settings.default_payment_method = pm;
      ctx.emit('customer.updated', renderCustomer(this.store, customer), { invoice_settings: previous });
    }
    return pm;
  }

  tick(): void {
    this.helperContext();
  }
}

export async function startStripeEmulator(options: StripeEmulatorOptions = {}): Promise<StripeEmulator> {
  const server = createServer();
  // Keep-alive sockets from the SDK must not outlive a test run.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const keys = options.apiKeys && options.apiKeys.length > 0 ? options.apiKeys : undefined;
  const emulator = new Emulator(server, port, options.clock ?? realClock, keys?.[0] ?? 'sk_test_emulator', keys ? new Set(keys) : undefined);
  if (options.webhook) {
    const { url, secret, ...targetOptions } = options.webhook;
    emulator.setWebhookTarget(url, secret, targetOptions);
  }
  return emulator;
}
