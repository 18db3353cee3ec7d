import { eq } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { Interval } from '../../core/catalog/model.js';
import { periodAt } from '../../core/periods/calendar.js';
import { startOfUtcDay } from '../../core/periods/days.js';
import { checkDayAligned } from '../../core/subscriptions/schedule.js';
import { addonsAmong, checkAddonParents, chooseInterval, resolveItem, type ItemRequest, type ResolvedItem } from '../../core/subscriptions/items.js';
import { assertTransition, type SubscriptionStatus } from '../../core/subscriptions/status.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { subscriptionItems, subscriptions } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import type { Db } from '../../store/database.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion, type CatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { bumpCustomerRevision, getCustomer, type Customer } from '../customers/customers.js';
import { getCustomerInScope, instanceScope, lockCustomerInScope, seesInstance } from '../customers/scope.js';
import { recordEvent } from '../events/record-event.js';
import {
  applyProductTarget,
  insertSubscription,
  latestSubscriptionRow,
  liveSubscription,
  reloadSubscription,
  refreshSubscription,
  toItems,
  withItems,
  type ItemChange,
} from './internal.js';
import { itemSummary, subscriptionSnapshot, type Subscription, type SubscriptionItem } from './model.js';
import { advanceSubscription, cancelNow } from './timeline.js';

export type { ItemRequest } from '../../core/subscriptions/items.js';

export interface SubscribeInput {
  /** One entry per product; `plan` defaults to the product's default plan (R3). */
  items: readonly ItemRequest[];
  /** Billing interval; by default that of the requested prices (monthly when plans offer both). */
  interval?: Interval;
  /** Periods run from this 00:00 UTC instant with month-end clamping; today's 00:00 UTC by default. */
  anchor?: Date;
}

const INTERVALS: readonly string[] = ['month', 'year'];

function auditIfStaff(ctx: ServiceContext, action: string, customerId: string, targetId: string, before: unknown, after: unknown, why: Justification) {
  if (ctx.actor.type !== 'staff') return Promise.resolve();
  return recordAudit(ctx, { action, targetType: 'subscription', targetId, customerId, before, after, ...why });
}

/**
 * Locks the customer, loads their live subscription and applies whatever time transitions are due first
 * (a late job must not reorder history). Throws `no_subscription` when there is none (after those).
 */
async function openLive(ctx: ServiceContext, customerId: string): Promise<{ customer: Customer; sub: Subscription }> {
  const customer = await lockCustomerInScope(ctx, customerId);
  const sub = await liveSubscription(ctx.db, customerId);
  if (sub) await advanceSubscription(ctx, sub, customer.instanceId, ctx.clock.now());
  if (!sub || sub.status === 'canceled') {
    throw conflict('no_subscription', `Customer '${customerId}' has no live subscription; subscribe first.`, 'customer');
  }
  return { customer, sub };
}

/**
 * Subscribes a customer: one item per price of each requested product's plan (default plan when none is
 * named, R3), priced from the current catalog version in the customer's currency. Items start now;
 * billing periods run from `anchor` (default: today 00:00 UTC — usage is kept per UTC day, so periods
 * are whole days), and when the anchor is another day the first period is the stub from today to the
 * anchor's next boundary. Refuses a second live subscription, unknown products/plans/prices, plans without
 * a price in the currency and interval, and add-ons without their parent — each error names its field.
 */
export async function subscribe(ctx: ServiceContext, customerId: string, input: SubscribeInput, why: Justification = {}): Promise<Subscription> {
  requireJustification(ctx, why);
  if (!Array.isArray(input.items) || input.items.length === 0) throw invalid('items_required', 'A subscription needs at least one item.', 'items');
  if (input.interval !== undefined && !INTERVALS.includes(input.interval)) {
    throw invalid('invalid_interval', `interval must be 'month' or 'year'; got '${String(input.interval)}'.`, 'interval');
  }
  if (input.anchor !== undefined) checkDayAligned(input.anchor, 'anchor');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const existing = await liveSubscription(tx, customerId);
    if (existing) throw conflict('subscription_exists', `Customer '${customerId}' already has a live subscription (${existing.id}); change it instead.`, 'customer');
    const cv = await currentCatalogVersion(tx);
    const seen = new Map<string, number>();
    input.items.forEach((r, i) => {
      const first = seen.get(r.product);
      if (first !== undefined) throw invalid('duplicate_product', `'${r.product}' appears twice (items.${first} and items.${i}); a subscription has one plan per product.`, `items.${i}.product`);
      seen.set(r.product, i);
    });
    const interval = input.interval ?? chooseInterval(cv.catalog, input.items, customer.currency);
    const resolved = input.items.map((r, i) => resolveItem(cv.catalog, r, customer.currency, interval, `items.${i}`));
    resolved.forEach((r, i) => {
      if (r.prices.length === 0) throw notBillable(r, `items.${i}.plan`);
    });
    checkAddonParents(cv.catalog, new Set(resolved.map((r) => r.productKey)), (k) => `items.${seen.get(k)}.product`);

    const now = c.clock.now();
    const today = startOfUtcDay(now);
    const anchor = input.anchor ?? today;
    // A past anchor's running period is cut at today: usage before the day of subscribing is not this subscription's.
    const periodStart = new Date(Math.max(periodAt(anchor, interval, now).start.getTime(), today.getTime()));
    const sub = await insertSubscription(c, customerId, customer.currency, { interval, anchor, start: now, periodStart, products: resolved, catalogVersionId: cv.id });
    const id = sub.id;
    const end = sub.currentPeriodEnd;
    await bumpCustomerRevision(c, customerId);
    await recordEvent(c, {
      type: 'subscription.created',
      instanceId: customer.instanceId,
      customerId,
      objectId: id,
      data: { interval, anchor: anchor.toISOString(), current_period_end: end.toISOString(), items: sub.items.map(itemSummary) },
    });
    await auditIfStaff(c, 'subscription.create', customerId, id, null, subscriptionSnapshot(sub), why);
    return sub;
  });
}

function notBillable(r: ResolvedItem, param: string) {
  return invalid(
    'plan_not_billable',
    `Plan '${r.planKey}' of '${r.productKey}' has no prices: it is what customers without the product get. Choose a plan to subscribe to.`,
    param,
  );
}

/**
 * Moves one product to another plan (default: the product's default plan) or price, now (R10): its items
 * end now and new ones start now at the current catalog version — never prorated, never scheduled. A
 * product not yet on the subscription is added; a plan without prices (an add-on's "not subscribed")
 * removes it. Asking for exactly what the product already has changes nothing (a product on an older
 * catalog version is moved to the current one). Metered usage is kept: see `itemsAtPeriodEnd`.
 */
export async function changePlan(ctx: ServiceContext, customerId: string, item: ItemRequest, why: Justification = {}): Promise<Subscription> {
  return changeLive(ctx, customerId, why, async ({ c, sub, cv, products, finish }) => {
    const r = resolveItem(cv.catalog, item, sub.currency, sub.interval, '');
    if (r.prices.length === 0) {
      if (!products.has(r.productKey)) throw notBillable(r, 'plan');
      refuseOrphans(cv.catalog, r.productKey, products);
      refuseEmpty(sub, r.productKey);
    } else {
      checkAddonParents(cv.catalog, new Set([...products, r.productKey]), () => 'product');
    }
    const change = await applyProductTarget(c, sub, r.productKey, r.prices.length ? { planKey: r.planKey, prices: r.prices, catalogVersionId: cv.id } : null, c.clock.now());
    return finish(change, 'subscription.plan_changed', 'subscription.change_plan');
  });
}

/** Adds a product (typically an add-on) that is not on the subscription yet; its parent must be. */
export async function addItem(ctx: ServiceContext, customerId: string, item: ItemRequest, why: Justification = {}): Promise<Subscription> {
  return changeLive(ctx, customerId, why, async ({ c, sub, cv, products, finish }) => {
    const r = resolveItem(cv.catalog, item, sub.currency, sub.interval, '');
    if (products.has(r.productKey)) throw conflict('item_exists', `'${r.productKey}' is already on the subscription; change its plan instead.`, 'product');
    if (r.prices.length === 0) throw notBillable(r, 'plan');
    checkAddonParents(cv.catalog, new Set([...products, r.productKey]), () => 'product');
    const change = await applyProductTarget(c, sub, r.productKey, { planKey: r.planKey, prices: r.prices, catalogVersionId: cv.id }, c.clock.now());
    return finish(change, 'subscription.item_added', 'subscription.add_item');
  });
}

/**
 * Takes a product off the subscription now. Refuses (rather than silently dropping billing) while add-ons
 * of it are on the subscription — remove those first — and refuses to remove the last product (cancel the
 * subscription instead).
 */
export async function removeItem(ctx: ServiceContext, customerId: string, product: string, why: Justification = {}): Promise<Subscription> {
  return changeLive(ctx, customerId, why, async ({ c, sub, cv, products, finish }) => {
    if (!products.has(product)) throw invalid('item_not_found', `'${product}' is not on the subscription.`, 'product');
    refuseOrphans(cv.catalog, product, products);
    refuseEmpty(sub, product);
    const change = await applyProductTarget(c, sub, product, null, c.clock.now());
    return finish(change, 'subscription.item_removed', 'subscription.remove_item');
  });
}

interface LiveChange {
  c: ServiceContext;
  sub: Subscription;
  cv: CatalogVersion;
  /** Product keys on the subscription now. */
  products: ReadonlySet<string>;
  /** Records the change (event, audit with before/after, revision) and returns the subscription after it. */
  finish(change: ItemChange | null, eventType: string, auditAction: string): Promise<Subscription>;
}

/**
 * What every change to a live subscription's items shares: the reason check (before anything is touched),
 * one transaction under the customer lock, due transitions applied first, the catalog in force, and the
 * before-snapshot for the audit row.
 */
async function changeLive(ctx: ServiceContext, customerId: string, why: Justification, fn: (x: LiveChange) => Promise<Subscription>): Promise<Subscription> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const { customer, sub } = await openLive(c, customerId);
    const before = subscriptionSnapshot(sub);
    const cv = await currentCatalogVersion(tx);
    const products = new Set(sub.items.map((i) => i.productKey));
    return fn({ c, sub, cv, products, finish: (change, eventType, auditAction) => finishChange(c, customer, sub, change, eventType, auditAction, before, why) });
  });
}

function refuseOrphans(catalog: Parameters<typeof addonsAmong>[0], product: string, products: ReadonlySet<string>): void {
  const addons = addonsAmong(catalog, product, products);
  if (addons.length > 0) {
    throw conflict('addons_attached', `Remove the add-on(s) ${addons.map((a) => `'${a}'`).join(', ')} of '${product}' first.`, 'product');
  }
}

function refuseEmpty(sub: Subscription, product: string): void {
  if (sub.items.every((i) => i.productKey === product)) {
    throw conflict('last_item', `'${product}' is the subscription's only product; cancel the subscription instead.`, 'product');
  }
}

async function finishChange(
  c: ServiceContext,
  customer: Customer,
  sub: Subscription,
  change: ItemChange | null,
  eventType: string,
  auditAction: string,
  before: unknown,
  why: Justification,
): Promise<Subscription> {
  if (change === null) return reloadSubscription(c.db, sub.id);
  await refreshSubscription(c, sub);
  await bumpCustomerRevision(c, customer.id);
  await recordEvent(c, { type: eventType, instanceId: customer.instanceId, customerId: customer.id, objectId: sub.id, data: { ...change } });
  const after = await reloadSubscription(c.db, sub.id);
  await auditIfStaff(c, auditAction, customer.id, sub.id, before, subscriptionSnapshot(after), why);
  return after;
}

/**
 * Cancels now (items end now, the partial period closes) or at the end of the current period (executed by
 * the period-end job). Asking again for a cancel already pending changes nothing.
 */
export async function cancelSubscription(ctx: ServiceContext, customerId: string, opts: { atPeriodEnd: boolean }, why: Justification = {}): Promise<Subscription> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const { customer, sub } = await openLive(c, customerId);
    const before = subscriptionSnapshot(sub);
    const now = c.clock.now();
    if (opts.atPeriodEnd) {
      if (sub.cancelAtPeriodEnd) return reloadSubscription(tx, sub.id);
      await tx.update(subscriptions).set({ cancelAtPeriodEnd: true, updatedAt: now }).where(eq(subscriptions.id, sub.id));
      await recordEvent(c, {
        type: 'subscription.cancel_scheduled',
        instanceId: customer.instanceId,
        customerId,
        objectId: sub.id,
        data: { cancels_at: sub.currentPeriodEnd.toISOString() },
      });
    } else {
      await cancelNow(c, sub, customer.instanceId, now, true);
    }
    // Even a pending cancel changes when entitlements next change, which entitlement caches remember.
    await bumpCustomerRevision(c, customerId);
    const after = await reloadSubscription(tx, sub.id);
    await auditIfStaff(c, 'subscription.cancel', customerId, sub.id, before, subscriptionSnapshot(after), why);
    return after;
  });
}

/**
 * Moves the live subscription to another status along the legal moves only (trialing → active, active ⇄
 * past_due, any → canceled, which cancels now). For collections: a failed payment marks it past_due.
 */
export async function setSubscriptionStatus(ctx: ServiceContext, customerId: string, status: SubscriptionStatus, why: Justification = {}): Promise<Subscription> {
  if (status === 'canceled') return cancelSubscription(ctx, customerId, { atPeriodEnd: false }, why);
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const { customer, sub } = await openLive(c, customerId);
    if (sub.status === status) return sub;
    assertTransition(sub.status, status);
    const before = subscriptionSnapshot(sub);
    await tx.update(subscriptions).set({ status, updatedAt: c.clock.now() }).where(eq(subscriptions.id, sub.id));
    await recordEvent(c, { type: 'subscription.status_changed', instanceId: customer.instanceId, customerId, objectId: sub.id, data: { from: sub.status, to: status } });
    const after = await reloadSubscription(tx, sub.id);
    await auditIfStaff(c, 'subscription.status', customerId, sub.id, before, subscriptionSnapshot(after), why);
    return after;
  });
}

/**
 * The customer's live subscription with its live items, each with the Price of the item's own catalog
 * version; the most recent canceled one (without items) when none is live; null when they never subscribed.
 */
export async function getSubscription(ctx: ServiceContext, customerId: string): Promise<Subscription | null> {
  await getCustomerInScope(ctx, customerId);
  const row = await latestSubscriptionRow(ctx.db, customerId);
  return row ? withItems(ctx.db, row) : null;
}

async function allItems(ctx: ServiceContext, subscriptionId: string): Promise<SubscriptionItem[]> {
  const [exists] = await ctx.db.select({ customerId: subscriptions.customerId }).from(subscriptions).where(eq(subscriptions.id, subscriptionId));
  if (!exists) throw notFound('subscription', subscriptionId, 'subscription');
  if (instanceScope(ctx) !== undefined && !seesInstance(ctx, (await getCustomer(ctx, exists.customerId)).instanceId)) throw notFound('subscription', subscriptionId, 'subscription');
  const rows = await ctx.db
    .select()
    .from(subscriptionItems)
    .where(eq(subscriptionItems.subscriptionId, subscriptionId))
    .orderBy(subscriptionItems.startedAt, subscriptionItems.id);
  return toItems(ctx.db, rows);
}

/** The items in force at instant `at`: those with `startedAt <= at < endedAt` (or not ended). */
export async function itemsInForce(ctx: ServiceContext, subscriptionId: string, at: Date): Promise<SubscriptionItem[]> {
  return inForceAt(await allItems(ctx, subscriptionId), at);
}

/** Of `items`, those in force at instant `at` (see itemsInForce). */
export function inForceAt(items: readonly SubscriptionItem[], at: Date): SubscriptionItem[] {
  const t = at.getTime();
  return items.filter((i) => i.startedAt.getTime() <= t && (i.endedAt === null || i.endedAt.getTime() > t));
}

/** Of `items`, those that price the period ending at `periodEnd` (see itemsAtPeriodEnd). */
export function pricingPeriodEnding(items: readonly SubscriptionItem[], periodEnd: Date): SubscriptionItem[] {
  const t = periodEnd.getTime();
  return items.filter((i) => i.startedAt.getTime() < t && (i.endedAt === null || i.endedAt.getTime() >= t));
}

/** Every item of each subscription, oldest first, in one query (period close reads a batch at once). */
export async function itemsOfSubscriptions(db: Db, subscriptionIds: readonly string[]): Promise<Map<string, SubscriptionItem[]>> {
  const out = new Map<string, SubscriptionItem[]>(subscriptionIds.map((id) => [id, []]));
  if (subscriptionIds.length === 0) return out;
  const rows = await db
    .select()
    .from(subscriptionItems)
    .where(anyOf(subscriptionItems.subscriptionId, [...subscriptionIds]))
    .orderBy(subscriptionItems.startedAt, subscriptionItems.id);
  for (const item of await toItems(db, rows)) out.get(item.subscriptionId)?.push(item);
  return out;
}

/**
 * The items that price a period ending at `periodEnd` (exclusive): those in force at its last instant.
 * Usage is stored per customer and metric, not per item, and is re-counted for the whole period when the
 * invoice is made; so a metered price swapped mid-period keeps the period's usage (R10) and the whole
 * period is priced at the item in force at period end — no proration, no split. An item ended exactly at
 * `periodEnd` (a cancel at period end) still prices that period.
 */
export async function itemsAtPeriodEnd(ctx: ServiceContext, subscriptionId: string, periodEnd: Date): Promise<SubscriptionItem[]> {
  return pricingPeriodEnding(await allItems(ctx, subscriptionId), periodEnd);
}

/** Every item in force at some instant of `[from, to)`, oldest first: which price applied when. */
export async function itemHistory(ctx: ServiceContext, subscriptionId: string, from: Date, to: Date): Promise<SubscriptionItem[]> {
  const f = from.getTime();
  const t = to.getTime();
  if (t < f) throw invalid('invalid_range', 'to must not be earlier than from.', 'to');
  return (await allItems(ctx, subscriptionId)).filter((i) => {
    const s = i.startedAt.getTime();
    const e = i.endedAt?.getTime() ?? Number.POSITIVE_INFINITY;
    return s < t && e > f;
  });
}
