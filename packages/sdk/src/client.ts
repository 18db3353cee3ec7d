import type {
  ApplyCouponInput,
  AvailableFeatures,
  BillingLimit,
  BillingLimitList,
  BillingState,
  BillingSetupLink,
  CancelSubscriptionInput,
  ChangePlanInput,
  CreateCustomerInput,
  CurrentUsage,
  Customer,
  CustomerDiscount,
  DailyUsage,
  DailyUsageQuery,
  Entitlement,
  Invoice,
  InvoiceList,
  LicenseKeyList,
  InvoiceListQuery,
  ResponseOf,
  SetBillingLimitInput,
  SubscribeInput,
  Subscription,
  TrialState,
  UpcomingInvoice,
  UpdateCustomerInput,
} from './api-types.js';
import { EntitlementCache, type EntitlementCacheOptions } from './entitlement-cache.js';
import { Transport, type CallOptions, type TransportOptions } from './transport.js';
import { UsageReporter, type UsageReporterOptions } from './usage-reporter.js';

export interface TallyClientOptions extends TransportOptions {
  /** Batching and queue bounds of `client.usage`. */
  usage?: Omit<UsageReporterOptions, 'now'>;
  /** The entitlement cache's staleness bound (`maxStalenessMs`) and size. */
  entitlements?: EntitlementCacheOptions;
  /** The clock, in ms since the epoch (default: the system clock). Used for cache ages and default timestamps. */
  now?: () => number;
}

/**
 * Tally's instance API for a product deployment. Every method maps to one `/v1` route; request and response
 * types come from Tally's OpenAPI document. Every POST carries an Idempotency-Key (fresh per call, the same on
 * its retries); pass `{idempotencyKey}` to make a call idempotent across restarts of your process.
 */
export class TallyClient {
  readonly transport: Transport;
  /** Usage reporting with batching, retries and a bounded queue; plus current and daily usage reads. */
  readonly usage: UsageReporter & {
    current(customerId: string, metric?: string): Promise<CurrentUsage>;
    daily(customerId: string, query: DailyUsageQuery): Promise<DailyUsage>;
  };
  private readonly cache: EntitlementCache;

  constructor(options: TallyClientOptions) {
    const now = options.now ?? (() => new Date().getTime());
    this.transport = new Transport(options);
    const t = this.transport;
    const reporter = new UsageReporter(t, { ...options.usage, now });
    this.usage = Object.assign(reporter, {
      current: (customerId: string, metric?: string) => t.call('get', '/v1/customers/{id}/usage', { params: { id: customerId }, query: metric === undefined ? {} : { metric } }),
      daily: (customerId: string, query: DailyUsageQuery) => t.call('get', '/v1/customers/{id}/usage/daily', { params: { id: customerId }, query }),
    });
    this.cache = new EntitlementCache((customer, feature) => t.call('get', '/v1/customers/{id}/entitlements/{feature}', { params: { id: customer, feature } }), now, options.entitlements);
  }

  readonly customers = {
    create: (input: CreateCustomerInput, opts?: CallOptions): Promise<Customer> => this.transport.call('post', '/v1/customers', { body: input }, opts),
    get: (id: string): Promise<Customer> => this.transport.call('get', '/v1/customers/{id}', { params: { id } }),
    /** Your team or organization ID → the Tally customer. */
    getByExternalId: (externalId: string): Promise<Customer> => this.transport.call('get', '/v1/customers/by-external-id/{externalId}', { params: { externalId } }),
    update: (id: string, patch: UpdateCustomerInput, opts?: CallOptions): Promise<Customer> => this.transport.call('post', '/v1/customers/{id}', { params: { id }, body: patch }, opts),
  };

  readonly billing = {
    /** Period, products with usage, amounts, projections, limits and quota, features, trial, discount. */
    state: (customerId: string): Promise<BillingState> => this.transport.call('get', '/v1/customers/{id}/billing', { params: { id: customerId } }),
    /** Whether any product of the customer is quota-limited now (usage reached what its billing limit buys). */
    quotaLimitedProducts: async (customerId: string): Promise<string[]> => (await this.billing.state(customerId)).products.filter((p) => p.quota_limited).map((p) => p.product),
    /** Where to send the customer to set up payment (provider checkout or portal; the manual provider's page). */
    setupLink: (customerId: string, returnUrl: string, opts?: CallOptions): Promise<BillingSetupLink> =>
      this.transport.call('post', '/v1/customers/{id}/billing-setup', { params: { id: customerId }, body: { return_url: returnUrl } }, opts),
  };

  /** The public keys self-managed licenses are signed with (for verifyLicense, which works offline). */
  readonly licenses = {
    keys: (): Promise<LicenseKeyList> => this.transport.call('get', '/v1/license-keys', {}),
  };

  readonly limits = {
    list: async (customerId: string): Promise<BillingLimit[]> => ((await this.transport.call('get', '/v1/customers/{id}/billing-limits', { params: { id: customerId } })) as BillingLimitList).data,
    /** Sets a product's billing limit (minor units of the customer's currency), now or from the next period. */
    set: (customerId: string, input: SetBillingLimitInput, opts?: CallOptions): Promise<BillingLimit> =>
      this.transport.call('post', '/v1/customers/{id}/billing-limits', { params: { id: customerId }, body: input }, opts),
    remove: (customerId: string, product: string, options: { effective?: SetBillingLimitInput['effective'] } & CallOptions = {}): Promise<BillingLimit> => {
      const { effective, ...opts } = options;
      return this.transport.call('post', '/v1/customers/{id}/billing-limits', { params: { id: customerId }, body: { product, amount: null, ...(effective ? { effective } : {}) } }, opts);
    },
  };

  readonly subscriptions = {
    get: (customerId: string): Promise<Subscription> => this.transport.call('get', '/v1/customers/{id}/subscription', { params: { id: customerId } }),
    create: async (customerId: string, input: SubscribeInput, opts?: CallOptions): Promise<Subscription> =>
      this.invalidating(customerId, this.transport.call('post', '/v1/customers/{id}/subscription', { params: { id: customerId }, body: input }, opts)),
    /** Changes one product's plan (or price) now; never prorated. */
    changePlan: async (customerId: string, input: ChangePlanInput, opts?: CallOptions): Promise<Subscription> =>
      this.invalidating(customerId, this.transport.call('post', '/v1/customers/{id}/subscription/change', { params: { id: customerId }, body: input }, opts)),
    cancel: async (customerId: string, input: CancelSubscriptionInput = {}, opts?: CallOptions): Promise<Subscription> =>
      this.invalidating(customerId, this.transport.call('post', '/v1/customers/{id}/subscription/cancel', { params: { id: customerId }, body: input }, opts)),
  };

  readonly trials = {
    /** Premium features until `until` (ISO 8601 or a Date). */
    start: async (customerId: string, until: string | Date, opts?: CallOptions): Promise<TrialState> =>
      this.invalidating(customerId, this.transport.call('post', '/v1/customers/{id}/trial', { params: { id: customerId }, body: { until: typeof until === 'string' ? until : until.toISOString() } }, opts)),
    cancel: async (customerId: string, opts?: CallOptions): Promise<TrialState> =>
      this.invalidating(customerId, this.transport.call('post', '/v1/customers/{id}/trial/cancel', { params: { id: customerId } }, opts)),
  };

  readonly entitlements = {
    /** One feature, from a local cache no older than `maxStalenessMs` (the client's, or this call's). */
    check: (customerId: string, feature: string, opts?: { maxStalenessMs?: number }): Promise<Entitlement> => this.cache.check(customerId, feature, opts),
    /** All available features with where each comes from (not cached). */
    list: (customerId: string): Promise<AvailableFeatures> => this.transport.call('get', '/v1/customers/{id}/features', { params: { id: customerId } }),
    /** Drops cached answers (one customer's, or all): after a change made outside this client, say. */
    invalidate: (customerId?: string): void => this.cache.invalidate(customerId),
  };

  readonly invoices = {
    list: (customerId: string, query: InvoiceListQuery = {}): Promise<InvoiceList> => this.transport.call('get', '/v1/customers/{id}/invoices', { params: { id: customerId }, query }),
    get: (invoiceId: string): Promise<Invoice> => this.transport.call('get', '/v1/invoices/{id}', { params: { id: invoiceId } }),
    /** A finalized invoice's PDF bytes. */
    pdf: (invoiceId: string): Promise<Uint8Array> => this.transport.callBytes('get', '/v1/invoices/{id}/pdf', { params: { id: invoiceId } }),
    /** What would be billed if the current period closed now. */
    upcoming: (customerId: string): Promise<UpcomingInvoice> => this.transport.call('get', '/v1/customers/{id}/upcoming-invoice', { params: { id: customerId } }),
  };

  readonly coupons = {
    get: (customerId: string): Promise<CustomerDiscount> => this.transport.call('get', '/v1/customers/{id}/coupon', { params: { id: customerId } }),
    redeem: (customerId: string, code: ApplyCouponInput['code'], opts?: CallOptions): Promise<ResponseOf<'/v1/customers/{id}/coupon', 'post'>> =>
      this.transport.call('post', '/v1/customers/{id}/coupon', { params: { id: customerId }, body: { code } }, opts),
  };

  /** Changes that move features drop the customer's cached entitlements, so this client sees them at once. */
  private async invalidating<T>(customerId: string, call: Promise<T>): Promise<T> {
    try {
      return await call;
    } finally {
      this.cache.invalidate(customerId);
    }
  }
}
