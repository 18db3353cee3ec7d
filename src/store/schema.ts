/**
 * The one Drizzle schema for both PGlite and PostgreSQL. Each domain owns its section; other domains go
 * through that domain's service functions rather than joining into its tables. SQL stays within what
 * PostgreSQL 15 runs. Migrations are generated from this file into ./drizzle by `npm run db:generate`.
 */
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

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
  (t) => [index('jobs_due_idx').on(t.status, t.runAt)],
);
