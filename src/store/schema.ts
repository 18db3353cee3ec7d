/**
 * The one Drizzle schema for both PGlite and PostgreSQL. Each domain owns its section; other domains go
 * through that domain's service functions rather than joining into its tables. SQL stays within what
 * PostgreSQL 15 runs. Migrations are generated from this file into ./drizzle by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import { bigint, boolean, date, index, integer, jsonb, numeric, pgTable, primaryKey, smallint, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

// ── HTTP idempotency ─────────────────────────────────────────────────────────────────────────────────
/**
 * One row per (scope, Idempotency-Key). A key is reserved before the handler runs and completed with the
 * response after; a repeat replays the stored response, a repeat with a different body is refused.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    scope: text('scope').notNull(), // who sent it: an instance, a staff member, or 'anonymous'
    key: text('key').notNull(),
    method: text('method').notNull(),
    path: text('path').notNull(),
    requestHash: text('request_hash').notNull(),
    state: text('state', { enum: ['in_progress', 'completed'] }).notNull(),
    statusCode: integer('status_code'),
    responseBody: jsonb('response_body'),
    lockedUntil: ts('locked_until').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.key] }), index('idempotency_keys_created_idx').on(t.createdAt)],
);

// ── Server metadata ──────────────────────────────────────────────────────────────────────────────────
/** Small key/value facts about this installation (first-run bootstrap done, etc.). */
export const meta = pgTable('tally_meta', {
  key: text('key').primaryKey(),
  value: jsonb('value').notNull(),
  updatedAt: ts('updated_at').notNull().default(sql`now()`),
});

// ── Catalog (billing config versions) ────────────────────────────────────────────────────────────────
/**
 * Every distinct billing config ever loaded, by content hash. Subscription items point at the version
 * their price came from, so a price edited in the config does not silently reprice existing customers.
 */
export const catalogVersions = pgTable('catalog_versions', {
  id: text('id').primaryKey(),
  hash: text('hash').notNull().unique(),
  sourceName: text('source_name').notNull(),
  configText: text('config_text').notNull(),
  createdAt: ts('created_at').notNull(),
});

/** Which catalog version is in force (one row). */
export const catalogCurrent = pgTable('catalog_current', {
  singleton: integer('singleton').primaryKey().default(1),
  versionId: text('version_id')
    .notNull()
    .references(() => catalogVersions.id),
  activatedAt: ts('activated_at').notNull(),
});

// ── Instances, staff and API keys ────────────────────────────────────────────────────────────────────
/** A product deployment (`us`, `eu`) with its own keys; customers belong to exactly one (R1). */
export const instances = pgTable('instances', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  createdAt: ts('created_at').notNull(),
});

export const staff = pgTable('staff', {
  id: text('id').primaryKey(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  role: text('role', { enum: ['viewer', 'support', 'billing_admin', 'approver', 'owner'] }).notNull(),
  passwordHash: text('password_hash'),
  createdAt: ts('created_at').notNull(),
  disabledAt: ts('disabled_at'),
});

/**
 * API keys for instances and staff automation. Only a SHA-256 of the secret is stored (the secret is
 * shown once); keys are high-entropy random strings, so a fast hash is enough and lookups are O(1).
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    kind: text('kind', { enum: ['instance', 'staff'] }).notNull(),
    instanceId: text('instance_id').references(() => instances.id),
    staffId: text('staff_id').references(() => staff.id),
    name: text('name').notNull(),
    /** The first characters of the key, to recognise it in lists (`tally_ik_3f9a…`). */
    displayPrefix: text('display_prefix').notNull(),
    secretHash: text('secret_hash').notNull().unique(),
    createdAt: ts('created_at').notNull(),
    revokedAt: ts('revoked_at'),
    lastUsedAt: ts('last_used_at'),
  },
  (t) => [index('api_keys_instance_idx').on(t.instanceId)],
);

// ── Customers ────────────────────────────────────────────────────────────────────────────────────────
export const customers = pgTable(
  'customers',
  {
    id: text('id').primaryKey(),
    instanceId: text('instance_id')
      .notNull()
      .references(() => instances.id),
    /** The instance's team or organization ID: what staff search by. */
    externalId: text('external_id').notNull(),
    name: text('name'),
    /** The billing email, which may differ from any user's email. */
    billingEmail: text('billing_email'),
    address: jsonb('address'),
    taxIds: jsonb('tax_ids').notNull().default([]),
    currency: text('currency').notNull(),
    metadata: jsonb('metadata').notNull().default({}),
    /** Set only once billing details are set up at the provider (R16). */
    providerCustomerId: text('provider_customer_id').unique(),
    /** When the customer finished setting up a payment method at the provider (checkout completed). */
    billingSetupAt: ts('billing_setup_at'),
    /** Premium features until this instant (R9). */
    freeTrialUntil: ts('free_trial_until'),
    /** Staff override of the plan per product (R8): `{product_key: plan_key}`. */
    planOverrides: jsonb('plan_overrides').notNull().default({}),
    /** Bumped on every change that can alter entitlements; caches compare it. */
    revision: integer('revision').notNull().default(1),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    uniqueIndex('customers_instance_external_idx').on(t.instanceId, t.externalId),
    index('customers_billing_email_idx').on(sql`lower(${t.billingEmail})`),
    index('customers_name_idx').on(sql`lower(${t.name})`),
  ],
);

// ── Subscriptions ────────────────────────────────────────────────────────────────────────────────────
/** A customer has at most one live subscription, holding one item per subscribed product. */
export const subscriptions = pgTable(
  'subscriptions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    status: text('status', { enum: ['trialing', 'active', 'past_due', 'canceled'] }).notNull(),
    currency: text('currency').notNull(),
    interval: text('interval', { enum: ['month', 'year'] }).notNull(),
    /** Periods are computed from this anchor with month-end clamping. */
    billingAnchor: ts('billing_anchor').notNull(),
    currentPeriodStart: ts('current_period_start').notNull(),
    currentPeriodEnd: ts('current_period_end').notNull(),
    cancelAtPeriodEnd: boolean('cancel_at_period_end').notNull().default(false),
    canceledAt: ts('canceled_at'),
    /** Earliest expiry among the items' startup prices (R6); null when none. */
    startupExpiresAt: ts('startup_expires_at'),
    scheduleId: text('schedule_id'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [
    index('subscriptions_customer_idx').on(t.customerId),
    uniqueIndex('subscriptions_one_live_per_customer').on(t.customerId).where(sql`${t.status} <> 'canceled'`),
    index('subscriptions_period_end_idx').on(t.currentPeriodEnd),
  ],
);

/**
 * What a subscription bills, over time: an item is never edited in place. A change ends the old item
 * (`endedAt`) and starts a new one, so the history says which price applied when (R10, no proration).
 */
export const subscriptionItems = pgTable(
  'subscription_items',
  {
    id: text('id').primaryKey(),
    subscriptionId: text('subscription_id')
      .notNull()
      .references(() => subscriptions.id),
    productKey: text('product_key').notNull(),
    planKey: text('plan_key').notNull(),
    priceKey: text('price_key').notNull(),
    /** The catalog version the price was read from: later config edits do not reprice this item. */
    catalogVersionId: text('catalog_version_id')
      .notNull()
      .references(() => catalogVersions.id),
    /** Custom (bespoke) price definition when the item does not use a catalog price. */
    customPrice: jsonb('custom_price'),
    startedAt: ts('started_at').notNull(),
    endedAt: ts('ended_at'),
    /** Startup price expiry for this item (start + valid_days), if its price has one. */
    validUntil: ts('valid_until'),
  },
  (t) => [index('subscription_items_sub_idx').on(t.subscriptionId), index('subscription_items_product_idx').on(t.subscriptionId, t.productKey)],
);

/** A future-dated plan: phases that take over a customer's subscription at their start (R19). */
export const subscriptionSchedules = pgTable(
  'subscription_schedules',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    status: text('status', { enum: ['not_started', 'active', 'completed', 'released', 'canceled'] }).notNull(),
    endBehavior: text('end_behavior', { enum: ['release', 'cancel'] }).notNull(),
    /** `[{start, end, interval, items: [{product_key, plan_key, price_key}]}]`, ordered. */
    phases: jsonb('phases').notNull(),
    currentPhase: integer('current_phase'),
    subscriptionId: text('subscription_id'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [index('subscription_schedules_customer_idx').on(t.customerId)],
);

// ── Events and audit ─────────────────────────────────────────────────────────────────────────────────
/** Every state change, in order: the source of outbound webhooks and of the customer timeline. */
export const events = pgTable(
  'events',
  {
    id: text('id').primaryKey(),
    type: text('type').notNull(),
    instanceId: text('instance_id'),
    customerId: text('customer_id'),
    objectId: text('object_id'),
    data: jsonb('data').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('events_customer_idx').on(t.customerId, t.createdAt), index('events_type_idx').on(t.type, t.createdAt)],
);

/** Who did what, when and why (R15). Append-only: a trigger refuses UPDATE and DELETE. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: text('id').primaryKey(),
    at: ts('at').notNull(),
    actorType: text('actor_type', { enum: ['staff', 'instance', 'system'] }).notNull(),
    actorId: text('actor_id').notNull(),
    action: text('action').notNull(),
    targetType: text('target_type').notNull(),
    targetId: text('target_id').notNull(),
    customerId: text('customer_id'),
    reason: text('reason'),
    ticket: text('ticket'),
    before: jsonb('before'),
    after: jsonb('after'),
  },
  (t) => [
    index('audit_customer_idx').on(t.customerId, t.at),
    index('audit_actor_idx').on(t.actorId, t.at),
    index('audit_action_idx').on(t.action, t.at),
  ],
);

// ── Jobs ─────────────────────────────────────────────────────────────────────────────────────────────
/**
 * Durable background work: claimed with FOR UPDATE SKIP LOCKED under a lease, retried with backoff.
 * `dedupeKey` makes enqueueing the same logical job twice a no-op (e.g. `trial_expiry:cus_…:<instant>`).
 */
export const jobs = pgTable(
  'jobs',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    dedupeKey: text('dedupe_key').unique(),
    payload: jsonb('payload').notNull(),
    status: text('status', { enum: ['pending', 'running', 'succeeded', 'failed'] }).notNull(),
    runAt: ts('run_at').notNull(),
    attempts: integer('attempts').notNull().default(0),
    maxAttempts: integer('max_attempts').notNull().default(10),
    lockedBy: text('locked_by'),
    lockedUntil: ts('locked_until'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  // Partial indexes, so a claim walks only jobs it could take: a pending job's entries leave the first two
  // when it is claimed, and a running job's the third when it finishes. One full index over every status
  // let a claim for one kind sort the whole table whenever the statistics said few were due (see claimJobs).
  (t) => [
    index('jobs_pending_idx').on(t.runAt, t.id).where(sql`status = 'pending'`),
    index('jobs_pending_kind_idx').on(t.kind, t.runAt, t.id).where(sql`status = 'pending'`),
    index('jobs_running_idx').on(t.lockedUntil, t.id).where(sql`status = 'running'`),
  ],
);

// ── Usage ────────────────────────────────────────────────────────────────────────────────────────────
const qty = (name: string) => numeric(name, { precision: 38, scale: 12 });
const minor = (name: string) => bigint(name, { mode: 'bigint' });

/**
 * Raw usage events, kept for audit and re-counting. The instance's event id is unique per customer
 * forever: a repeat is a duplicate, never counted twice.
 */
export const usageEvents = pgTable(
  'usage_events',
  {
    customerId: text('customer_id').notNull(),
    eventId: text('event_id').notNull(),
    metric: text('metric').notNull(),
    value: qty('value').notNull(),
    timestamp: ts('timestamp').notNull(),
    properties: jsonb('properties'),
    receivedAt: ts('received_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.eventId] }), index('usage_events_customer_metric_ts_idx').on(t.customerId, t.metric, t.timestamp)],
);

/**
 * Per-day aggregates kept in step with ingestion (same transaction), so reads of a period never scan
 * raw events. Billing periods start at 00:00 UTC, so a period is an exact union of days. Each row is
 * split into a few shards: concurrent batches for the same customers write different shards instead of
 * queueing on one row lock, and reads combine the shards (sum, count and max combine exactly).
 */
export const usageDaily = pgTable(
  'usage_daily',
  {
    customerId: text('customer_id').notNull(),
    metric: text('metric').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    shard: smallint('shard').notNull().default(0),
    sum: qty('sum').notNull(),
    count: bigint('count', { mode: 'number' }).notNull(),
    max: qty('max').notNull(),
    lastValue: qty('last_value').notNull(),
    lastAt: ts('last_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.metric, t.day, t.shard] })],
);

/** Distinct keys per day for the `unique` aggregation (a count of distinct keys does not add up across days). */
export const usageUniqueKeys = pgTable(
  'usage_unique_keys',
  {
    customerId: text('customer_id').notNull(),
    metric: text('metric').notNull(),
    day: date('day', { mode: 'string' }).notNull(),
    uniqueKey: text('unique_key').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.metric, t.day, t.uniqueKey] })],
);

/** A customer's billing limit per product, in currency (R12); optionally effective from the next period. */
export const billingLimits = pgTable(
  'billing_limits',
  {
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    productKey: text('product_key').notNull(),
    amount: minor('amount'),
    currency: text('currency').notNull(),
    /** A limit set "for the next period" waits here until that period starts. */
    nextAmount: minor('next_amount'),
    nextFrom: ts('next_from'),
    /** Whether the customer is currently over the limit (quota limited), so each crossing is reported once. */
    limited: boolean('limited').notNull().default(false),
    updatedAt: ts('updated_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerId, t.productKey] })],
);

// ── Invoices and the customer balance ────────────────────────────────────────────────────────────────
export const invoices = pgTable(
  'invoices',
  {
    id: text('id').primaryKey(),
    instanceId: text('instance_id').notNull(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    subscriptionId: text('subscription_id'),
    /** Assigned at finalization, gapless per prefix. */
    number: text('number').unique(),
    status: text('status', { enum: ['draft', 'open', 'paid', 'void', 'uncollectible'] }).notNull(),
    collectionMethod: text('collection_method', { enum: ['charge_automatically', 'send_invoice'] }).notNull(),
    paymentMethodTypes: jsonb('payment_method_types').notNull().default(['card']),
    currency: text('currency').notNull(),
    periodStart: ts('period_start'),
    periodEnd: ts('period_end'),
    subtotal: minor('subtotal').notNull(),
    discountTotal: minor('discount_total').notNull(),
    total: minor('total').notNull(),
    startingBalance: minor('starting_balance').notNull(),
    appliedBalance: minor('applied_balance').notNull(),
    amountDue: minor('amount_due').notNull(),
    amountPaid: minor('amount_paid').notNull(),
    couponId: text('coupon_id'),
    /**
     * The discount the totals were computed with (`{couponId, name, discount, productKeys}`), kept on the
     * invoice so every recomputation of a draft, and the document, use the same one.
     */
    discount: jsonb('discount'),
    /** send_invoice: the due date is set at finalization to finalizedAt + this many days (R23), unless `dueDate` was given. */
    daysUntilDue: integer('days_until_due'),
    dueDate: ts('due_date'),
    memo: text('memo'),
    footer: text('footer'),
    metadata: jsonb('metadata').notNull().default({}),
    providerInvoiceId: text('provider_invoice_id').unique(),
    createdAt: ts('created_at').notNull(),
    finalizedAt: ts('finalized_at'),
    paidAt: ts('paid_at'),
    /** What identifies the payment outside Tally (a bank transfer reference, a check number) for manual payments. */
    paymentReference: text('payment_reference'),
    voidedAt: ts('voided_at'),
    markedUncollectibleAt: ts('marked_uncollectible_at'),
    /** Last time a send_invoice invoice was sent to the customer. */
    sentAt: ts('sent_at'),
  },
  (t) => [
    index('invoices_customer_idx').on(t.customerId, t.createdAt),
    index('invoices_status_idx').on(t.status, t.createdAt),
    // Exactly one invoice per subscription and period, whatever crashes or reruns happen (R17).
    uniqueIndex('invoices_one_per_subscription_period').on(t.subscriptionId, t.periodStart).where(sql`${t.subscriptionId} is not null`),
  ],
);

export const invoiceLines = pgTable(
  'invoice_lines',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    position: integer('position').notNull(),
    description: text('description').notNull(),
    source: text('source', { enum: ['recurring', 'usage', 'up_front', 'manual'] }).notNull(),
    productKey: text('product_key'),
    priceKey: text('price_key'),
    periodStart: ts('period_start'),
    periodEnd: ts('period_end'),
    quantity: qty('quantity').notNull(),
    unitAmount: qty('unit_amount'),
    flatAmount: qty('flat_amount'),
    tier: integer('tier'),
    /** The tier's range (exclusive lower, inclusive upper bound; null = open), as the document prints it. */
    tierFrom: qty('tier_from'),
    tierUpTo: qty('tier_up_to'),
    amount: minor('amount').notNull(),
    discountAmount: minor('discount_amount').notNull(),
    discountable: boolean('discountable').notNull().default(true),
  },
  (t) => [uniqueIndex('invoice_lines_position_idx').on(t.invoiceId, t.position)],
);

/** Gapless invoice numbers: the counter row is locked and bumped in the finalizing transaction. */
export const invoiceNumberSequences = pgTable('invoice_number_sequences', {
  prefix: text('prefix').primaryKey(),
  nextNumber: integer('next_number').notNull(),
});

/**
 * The customer balance ledger, as at the provider: negative amounts are credit in the customer's favour.
 * The balance is the sum of a customer's rows; `endingBalance` records it after each row for audits.
 */
export const balanceTransactions = pgTable(
  'balance_transactions',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    amount: minor('amount').notNull(),
    currency: text('currency').notNull(),
    type: text('type', { enum: ['credit', 'applied_to_invoice', 'adjustment', 'invoice_voided'] }).notNull(),
    description: text('description'),
    invoiceId: text('invoice_id'),
    creditRequestId: text('credit_request_id').unique(),
    endingBalance: minor('ending_balance').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    index('balance_transactions_customer_idx').on(t.customerId, t.createdAt),
    // An invoice consumes the balance once and gives it back at most once, whatever retries happen.
    uniqueIndex('balance_transactions_once_per_invoice')
      .on(t.invoiceId, t.type)
      .where(sql`${t.invoiceId} is not null and ${t.type} in ('applied_to_invoice', 'invoice_voided')`),
  ],
);

// ── Coupons, credit requests and approvals ───────────────────────────────────────────────────────────
/**
 * A coupon (R11): percent or fixed amount off, for once / N months / forever. Customer-facing codes are
 * never stored: only their SHA-256 (`codeHash`) and a short hint of the last characters for lists.
 */
export const coupons = pgTable(
  'coupons',
  {
    id: text('id').primaryKey(),
    /** Why it was issued (the seeds' "a name describing the reason"). */
    name: text('name').notNull(),
    type: text('type', { enum: ['percent', 'fixed'] }).notNull(),
    percentOff: qty('percent_off'),
    amountOff: minor('amount_off'),
    /** Upper-case ISO code; fixed coupons only. */
    currency: text('currency'),
    duration: text('duration', { enum: ['once', 'repeating', 'forever'] }).notNull(),
    durationInMonths: integer('duration_in_months'),
    /** Null = unlimited; customer-facing coupons default to 1. */
    maxRedemptions: integer('max_redemptions'),
    timesRedeemed: integer('times_redeemed').notNull().default(0),
    redeemBy: ts('redeem_by'),
    /** Product keys the discount is restricted to; null = every discountable line. */
    productKeys: jsonb('product_keys'),
    codeHash: text('code_hash').unique(),
    codeHint: text('code_hint'),
    createdBy: text('created_by').notNull(),
    createdAt: ts('created_at').notNull(),
    retiredAt: ts('retired_at'),
    /** Set when this coupon's remaining value was merged into another one (stacking). */
    stackedInto: text('stacked_into'),
  },
  (t) => [index('coupons_created_idx').on(t.createdAt)],
);

/**
 * A coupon applied to a customer (Stripe's "discount"). At most one active per customer (R11): the
 * partial unique index holds even under concurrent applies.
 */
export const customerCoupons = pgTable(
  'customer_coupons',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    couponId: text('coupon_id')
      .notNull()
      .references(() => coupons.id),
    appliedAt: ts('applied_at').notNull(),
    appliedBy: text('applied_by').notNull(),
    /** `repeating`: applied_at + N months; null otherwise. */
    endsAt: ts('ends_at'),
    /** Invoices this coupon has reduced (a `once` coupon retires after the first). */
    invoicesApplied: integer('invoices_applied').notNull().default(0),
    retiredAt: ts('retired_at'),
    retireReason: text('retire_reason', { enum: ['used', 'expired', 'stacked_into', 'removed'] }),
    /** With retire_reason `stacked_into`: the merged coupon that replaced it. */
    stackedInto: text('stacked_into'),
  },
  (t) => [
    index('customer_coupons_customer_idx').on(t.customerId, t.appliedAt),
    uniqueIndex('customer_coupons_one_active').on(t.customerId).where(sql`${t.retiredAt} is null`),
  ],
);

/** Which invoices a customer coupon reduced: recording a use twice for one invoice is a no-op. */
export const couponUses = pgTable(
  'coupon_uses',
  {
    customerCouponId: text('customer_coupon_id')
      .notNull()
      .references(() => customerCoupons.id),
    invoiceId: text('invoice_id').notNull(),
    usedAt: ts('used_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.customerCouponId, t.invoiceId] })],
);

/** Code redemption attempts, successful or not, for the per-customer rate limit. */
export const couponRedemptionAttempts = pgTable(
  'coupon_redemption_attempts',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    attemptedAt: ts('attempted_at').notNull(),
    succeeded: boolean('succeeded').notNull().default(false),
  },
  (t) => [index('coupon_redemption_attempts_customer_idx').on(t.customerId, t.attemptedAt)],
);

/** A goodwill credit (R13): pending until an approver who is not the requester decides; decisions are final. */
export const creditRequests = pgTable(
  'credit_requests',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    /** Minor units, positive: the credit in the customer's favour (the ledger row is its negation). */
    amount: minor('amount').notNull(),
    currency: text('currency').notNull(),
    reason: text('reason').notNull(),
    ticket: text('ticket'),
    requestedBy: text('requested_by').notNull(),
    status: text('status', { enum: ['pending', 'approved', 'rejected'] }).notNull(),
    approvalId: text('approval_id'),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    decisionNote: text('decision_note'),
    balanceTransactionId: text('balance_transaction_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('credit_requests_customer_idx').on(t.customerId, t.createdAt), index('credit_requests_status_idx').on(t.status, t.createdAt)],
);

/**
 * A staff action waiting for a second person (R14): `payload` is what the kind's executor needs. Approval
 * runs the executor in the approving transaction and sets `executedAt`, so an action runs exactly once.
 */
export const approvalRequests = pgTable(
  'approval_requests',
  {
    id: text('id').primaryKey(),
    kind: text('kind').notNull(),
    payload: jsonb('payload').notNull(),
    customerId: text('customer_id'),
    requestedBy: text('requested_by').notNull(),
    reason: text('reason'),
    ticket: text('ticket'),
    status: text('status', { enum: ['pending', 'approved', 'rejected'] }).notNull(),
    decidedBy: text('decided_by'),
    decidedAt: ts('decided_at'),
    decisionNote: text('decision_note'),
    executedAt: ts('executed_at'),
    result: jsonb('result'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('approval_requests_status_idx').on(t.status, t.createdAt), index('approval_requests_customer_idx').on(t.customerId, t.createdAt)],
);

// ── Staff sign-in sessions ───────────────────────────────────────────────────────────────────────────
/** Sessions for the admin UI: a random bearer token (only its SHA-256 is kept), valid for a fixed time. */
export const staffSessions = pgTable(
  'staff_sessions',
  {
    id: text('id').primaryKey(),
    staffId: text('staff_id')
      .notNull()
      .references(() => staff.id),
    tokenHash: text('token_hash').notNull().unique(),
    createdAt: ts('created_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [index('staff_sessions_staff_idx').on(t.staffId)],
);

// ── Outbound webhooks ────────────────────────────────────────────────────────────────────────────────
/**
 * Where an instance wants its events POSTed. The signing secret must be readable to sign with, so it is
 * stored as is (unlike API keys) and shown to the caller only when created or rotated. After a rotation
 * the previous secret keeps signing too until `previousSecretExpiresAt`, so receivers can switch over.
 */
export const webhookEndpoints = pgTable(
  'webhook_endpoints',
  {
    id: text('id').primaryKey(),
    instanceId: text('instance_id')
      .notNull()
      .references(() => instances.id),
    url: text('url').notNull(),
    description: text('description'),
    /** Public event types this endpoint receives; `['*']` for all. */
    enabledEvents: jsonb('enabled_events').notNull(),
    status: text('status', { enum: ['enabled', 'disabled'] }).notNull(),
    secret: text('secret').notNull(),
    previousSecret: text('previous_secret'),
    previousSecretExpiresAt: ts('previous_secret_expires_at'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    /** Deleted endpoints are kept (with their deliveries) but no longer listed or sent to. */
    deletedAt: ts('deleted_at'),
  },
  (t) => [index('webhook_endpoints_instance_idx').on(t.instanceId)],
);

/**
 * One event to one endpoint: created once per (endpoint, event) by the fan-out job, with the body frozen
 * at that moment so every attempt sends the same bytes. `jobId` is the job currently in charge of the
 * next attempt: a job that is no longer in charge (superseded by a redelivery) does nothing.
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    endpointId: text('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id),
    eventId: text('event_id').notNull(),
    eventType: text('event_type').notNull(),
    /** The exact JSON sent (text, not jsonb, so every attempt sends the same bytes). */
    body: text('body').notNull(),
    status: text('status', { enum: ['pending', 'succeeded', 'failed', 'canceled'] }).notNull(),
    attempts: integer('attempts').notNull().default(0),
    /** Retries stop once the next one would fall later than this plus the retry window. */
    retryFrom: ts('retry_from').notNull(),
    nextAttemptAt: ts('next_attempt_at'),
    jobId: text('job_id'),
    lastAttemptAt: ts('last_attempt_at'),
    lastStatusCode: integer('last_status_code'),
    lastError: text('last_error'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    completedAt: ts('completed_at'),
  },
  (t) => [uniqueIndex('webhook_deliveries_endpoint_event_idx').on(t.endpointId, t.eventId), index('webhook_deliveries_endpoint_idx').on(t.endpointId, t.id)],
);

/** Each recorded HTTP attempt of a delivery (an attempt whose worker died before recording it is not here). */
export const webhookDeliveryAttempts = pgTable(
  'webhook_delivery_attempts',
  {
    deliveryId: text('delivery_id')
      .notNull()
      .references(() => webhookDeliveries.id),
    attempt: integer('attempt').notNull(),
    at: ts('at').notNull(),
    durationMs: integer('duration_ms').notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
    /** The start of the response body, for debugging a receiver. */
    responseExcerpt: text('response_excerpt'),
  },
  (t) => [primaryKey({ columns: [t.deliveryId, t.attempt] })],
);

/**
 * The features last announced for a customer in `customer.entitlements_updated`, so the event is sent
 * only when what the customer may use actually changed.
 */
export const webhookEntitlementStates = pgTable('webhook_entitlement_states', {
  customerId: text('customer_id').primaryKey(),
  features: jsonb('features').notNull(),
  updatedAt: ts('updated_at').notNull(),
});
// ── Payment provider ─────────────────────────────────────────────────────────────────────────────────
/**
 * Webhook events received from the payment provider, keyed by the provider's own event ID: a redelivered
 * event hits the primary key and is not processed twice. `processedAt` is set in the transaction that
 * applied the event's effects.
 */
export const providerWebhookEvents = pgTable(
  'provider_webhook_events',
  {
    id: text('id').primaryKey(),
    provider: text('provider').notNull(),
    type: text('type').notNull(),
    payload: jsonb('payload').notNull(),
    receivedAt: ts('received_at').notNull(),
    processedAt: ts('processed_at'),
    /** What processing did (`invoice_paid`, `ignored`, …), for support. */
    outcome: text('outcome'),
  },
  (t) => [index('provider_webhook_events_received_idx').on(t.receivedAt)],
);

// ── Contracts (annual deals from order forms), per-customer prices, revenue schedules ────────────────
/**
 * An annual contract from an order form (R18–R20): imported into `review` (staff fix fields), `created`
 * (draft invoice, custom prices, amortization and schedule made in one transaction), then `live`.
 * `source` is the order form as read (what staff edit); `form` its validated JSON; `problems` what
 * blocks creation.
 */
export const contracts = pgTable(
  'contracts',
  {
    id: text('id').primaryKey(),
    status: text('status', { enum: ['review', 'created', 'live'] }).notNull(),
    format: text('format', { enum: ['yaml', 'json', 'csv'] }).notNull(),
    source: jsonb('source').notNull(),
    form: jsonb('form'),
    problems: jsonb('problems').notNull().default([]),
    quote: text('quote'),
    customerId: text('customer_id'),
    invoiceId: text('invoice_id'),
    scheduleId: text('schedule_id'),
    subscriptionId: text('subscription_id'),
    /** When the up-front invoice is finalized and sent: the contract start (R18: drafted, reviewed, then sent). */
    invoiceIssueAt: ts('invoice_issue_at'),
    importedBy: text('imported_by').notNull(),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    contractCreatedAt: ts('contract_created_at'),
    liveAt: ts('live_at'),
  },
  (t) => [index('contracts_status_idx').on(t.status, t.createdAt), index('contracts_customer_idx').on(t.customerId)],
);

/**
 * A customer's own price for a product (R7 bespoke prices, R19 custom overage rates): graduated tiers,
 * metered, aggregated by maximum during the period. Period close rates the product's usage with it instead
 * of the subscription item's catalog price while it is in force ([validFrom, validUntil)).
 */
export const customerPrices = pgTable(
  'customer_prices',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    productKey: text('product_key').notNull(),
    currency: text('currency').notNull(),
    /** `[{up_to: "60000000"|null, unit_amount: "0.0045", flat_amount: "0"}]`, decimal minor units. */
    tiers: jsonb('tiers').notNull(),
    aggregation: text('aggregation', { enum: ['max', 'sum'] }).notNull(),
    description: text('description').notNull(),
    contractId: text('contract_id'),
    validFrom: ts('valid_from').notNull(),
    validUntil: ts('valid_until'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('customer_prices_customer_idx').on(t.customerId, t.productKey)],
);

/**
 * The revenue schedule an up-front invoice carries (R20): one row per invoice line product plus one for
 * the invoice total (`productKey` null), each with its monthly slices `[{month, start, end, amount}]`.
 */
export const revenueSchedules = pgTable(
  'revenue_schedules',
  {
    id: text('id').primaryKey(),
    invoiceId: text('invoice_id')
      .notNull()
      .references(() => invoices.id),
    contractId: text('contract_id'),
    customerId: text('customer_id').notNull(),
    productKey: text('product_key'),
    currency: text('currency').notNull(),
    total: minor('total').notNull(),
    startDate: ts('start_date').notNull(),
    months: integer('months').notNull(),
    slices: jsonb('slices').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('revenue_schedules_invoice_idx').on(t.invoiceId), index('revenue_schedules_contract_idx').on(t.contractId)],
);

// ── Self-managed licenses (R21) ──────────────────────────────────────────────────────────────────────
/**
 * Ed25519 signing keys. The newest key without `retiredAt` signs; rotation retires the previous one but
 * keeps it published, so licenses it signed still verify. `privateKey` is PKCS#8 PEM, or AES-256-GCM
 * ciphertext (`enc:v1:…`) when TALLY_SECRET_KEY is set.
 */
export const licenseKeys = pgTable('license_keys', {
  kid: text('kid').primaryKey(),
  publicKey: text('public_key').notNull(),
  privateKey: text('private_key').notNull(),
  createdAt: ts('created_at').notNull(),
  retiredAt: ts('retired_at'),
});

export const licenses = pgTable(
  'licenses',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id')
      .notNull()
      .references(() => customers.id),
    kid: text('kid')
      .notNull()
      .references(() => licenseKeys.kid),
    plan: text('plan').notNull(),
    payload: jsonb('payload').notNull(),
    /** The license file exactly as issued. */
    file: jsonb('file').notNull(),
    startsAt: ts('starts_at').notNull(),
    expiresAt: ts('expires_at').notNull(),
    issuedAt: ts('issued_at').notNull(),
    issuedBy: text('issued_by').notNull(),
    contractId: text('contract_id'),
  },
  (t) => [index('licenses_customer_idx').on(t.customerId, t.issuedAt)],
);
