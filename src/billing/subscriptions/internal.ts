/**
 * Row-level building blocks shared by the subscription services, the timeline (roll-over, startup expiry)
 * and schedules. Not exported from the module: callers hold the customer lock and a transaction.
 */
import { and, desc, eq, isNull, ne } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { Interval, Price } from '../../core/catalog/model.js';
import { periodAt } from '../../core/periods/calendar.js';
import { itemValidUntil, startupExpiryOf } from '../../core/subscriptions/startup.js';
import { conflict } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { isUniqueViolation } from '../../store/transaction.js';
import type { Db } from '../../store/database.js';
import { subscriptionItems, subscriptions } from '../../store/schema.js';
import { catalogOfVersion } from '../catalog/catalog-versions.js';
import type { ServiceContext } from '../context.js';
import { enqueueJob, type NewJob } from '../../jobs/enqueue.js';
import type { ItemRow, Subscription, SubscriptionItem, SubscriptionRow } from './model.js';

import { OPEN_PERIOD_JOB, openPeriodDedupeKey } from '../invoicing/job-kinds.js';

export const PERIOD_END_JOB = 'subscription.period_end';
export const STARTUP_EXPIRY_JOB = 'subscription.startup_expiry';

export const catalogOf = catalogOfVersion;

/** An item with its price read from the item's own catalog version. */
export async function toItem(db: Db, r: ItemRow): Promise<SubscriptionItem> {
  const catalog = await catalogOf(db, r.catalogVersionId);
  const price = catalog.prices.get(r.priceKey);
  // Versions are immutable, so a price an item was created from is always in its version.
  if (!price) throw new Error(`price '${r.priceKey}' missing from catalog version ${r.catalogVersionId}`);
  return {
    id: r.id,
    subscriptionId: r.subscriptionId,
    productKey: r.productKey,
    planKey: r.planKey,
    priceKey: r.priceKey,
    catalogVersionId: r.catalogVersionId,
    price,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    validUntil: r.validUntil,
  };
}

export async function toItems(db: Db, rows: readonly ItemRow[]): Promise<SubscriptionItem[]> {
  const out: SubscriptionItem[] = [];
  for (const r of rows) out.push(await toItem(db, r));
  return out;
}

export async function liveItemsOf(db: Db, subscriptionId: string): Promise<SubscriptionItem[]> {
  const rows = await db
    .select()
    .from(subscriptionItems)
    .where(and(eq(subscriptionItems.subscriptionId, subscriptionId), isNull(subscriptionItems.endedAt)))
    .orderBy(subscriptionItems.startedAt, subscriptionItems.id);
  return toItems(db, rows);
}

export async function withItems(db: Db, r: SubscriptionRow): Promise<Subscription> {
  return { ...r, items: r.status === 'canceled' ? [] : await liveItemsOf(db, r.id) };
}

/** The customer's live (not canceled) subscription; at most one exists (a partial unique index says so). */
export async function liveSubscriptionRow(db: Db, customerId: string): Promise<SubscriptionRow | null> {
  const [row] = await db
    .select()
    .from(subscriptions)
    .where(and(eq(subscriptions.customerId, customerId), ne(subscriptions.status, 'canceled')));
  return row ?? null;
}

export async function liveSubscription(db: Db, customerId: string): Promise<Subscription | null> {
  const row = await liveSubscriptionRow(db, customerId);
  return row ? withItems(db, row) : null;
}

/** The live subscription, else the most recent one (canceled), else null. */
export async function latestSubscriptionRow(db: Db, customerId: string): Promise<SubscriptionRow | null> {
  const live = await liveSubscriptionRow(db, customerId);
  if (live) return live;
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.customerId, customerId)).orderBy(desc(subscriptions.createdAt), desc(subscriptions.id)).limit(1);
  return row ?? null;
}

export async function reloadSubscription(db: Db, id: string): Promise<Subscription> {
  const [row] = await db.select().from(subscriptions).where(eq(subscriptions.id, id));
  if (!row) throw new Error(`subscription ${id} vanished`);
  return withItems(db, row);
}

/** What one product is asked to become: a plan's prices from one catalog version; null removes the product. */
export interface ProductTarget {
  planKey: string;
  prices: readonly Price[];
  catalogVersionId: string;
}

export interface ProductSide {
  plan: string;
  prices: string[];
  catalog_version: string;
}

/** One product's change, as events and the audit log record it. */
export interface ItemChange {
  product: string;
  from: ProductSide | null;
  to: ProductSide | null;
}

function side(items: readonly { planKey: string; priceKey: string; catalogVersionId: string }[]): ProductSide | null {
  const first = items[0];
  return first ? { plan: first.planKey, prices: items.map((i) => i.priceKey), catalog_version: first.catalogVersionId } : null;
}

/**
 * Puts one product of `sub` on `target` at `at`: its live items end and new ones start (items are never
 * edited, R10: immediate, no proration). Null when the product already is exactly there (same prices from
 * the same catalog version), unless `renew` (an expired startup price is replaced even by itself).
 * `sub.items` is updated in place.
 */
export async function applyProductTarget(
  ctx: ServiceContext,
  sub: Subscription,
  productKey: string,
  target: ProductTarget | null,
  at: Date,
  renew = false,
): Promise<ItemChange | null> {
  const current = sub.items.filter((i) => i.productKey === productKey);
  const wanted = target?.prices ?? [];
  if (current.length === 0 && wanted.length === 0) return null;
  const same =
    target !== null &&
    current.length === wanted.length &&
    wanted.every((p) => current.some((i) => i.priceKey === p.key && i.planKey === target.planKey && i.catalogVersionId === target.catalogVersionId));
  if (same && !renew) return null;
  if (current.length > 0) {
    await ctx.db.update(subscriptionItems).set({ endedAt: at }).where(anyOf(subscriptionItems.id, current.map((i) => i.id)));
  }
  const started: SubscriptionItem[] = [];
  if (target !== null && wanted.length > 0) {
    const rows = wanted.map((price) => ({
      id: newId('subscriptionItem', at),
      subscriptionId: sub.id,
      productKey,
      planKey: target.planKey,
      priceKey: price.key,
      catalogVersionId: target.catalogVersionId,
      customPrice: null,
      startedAt: at,
      endedAt: null,
      validUntil: itemValidUntil(price, at),
    }));
    await ctx.db.insert(subscriptionItems).values(rows);
    rows.forEach((r, k) => started.push({ ...r, price: wanted[k]! }));
  }
  sub.items = [...sub.items.filter((i) => i.productKey !== productKey), ...started];
  return { product: productKey, from: side(current), to: side(started) };
}

/**
 * After items changed: recomputes the startup expiry (the earliest validUntil among live items, R6),
 * saves it and queues the expiry job for it. The caller bumps the customer's revision.
 */
export async function refreshSubscription(ctx: ServiceContext, sub: Subscription): Promise<void> {
  const expiry = startupExpiryOf(sub.items);
  sub.startupExpiresAt = expiry;
  sub.updatedAt = ctx.clock.now();
  await ctx.db.update(subscriptions).set({ startupExpiresAt: expiry, updatedAt: sub.updatedAt }).where(eq(subscriptions.id, sub.id));
  if (expiry) await enqueueStartupExpiry(ctx, sub.id, expiry);
}

export async function enqueueStartupExpiry(ctx: ServiceContext, subscriptionId: string, at: Date): Promise<void> {
  await enqueueJob(ctx, {
    kind: STARTUP_EXPIRY_JOB,
    payload: { subscription_id: subscriptionId, at: at.toISOString() },
    runAt: at,
    dedupeKey: `${STARTUP_EXPIRY_JOB}:${subscriptionId}:${at.toISOString()}`,
  });
}

export async function enqueueRollOver(ctx: ServiceContext, subscriptionId: string, periodEnd: Date): Promise<void> {
  await enqueueJob(ctx, rollOverJob(subscriptionId, periodEnd));
}

/** The job that rolls `subscriptionId` over at `periodEnd`; one per period end (dedupe key). */
export function rollOverJob(subscriptionId: string, periodEnd: Date): NewJob {
  return {
    kind: PERIOD_END_JOB,
    payload: { subscription_id: subscriptionId, period_end: periodEnd.toISOString() },
    runAt: periodEnd,
    dedupeKey: `${PERIOD_END_JOB}:${subscriptionId}:${periodEnd.toISOString()}`,
  };
}

/** The latest start among live items: a backdated transition must not end an item before it began. */
export function notBeforeItems(sub: Subscription, at: Date): Date {
  let t = at.getTime();
  for (const i of sub.items) t = Math.max(t, i.startedAt.getTime());
  return new Date(t);
}

export interface NewSubscription {
  interval: Interval;
  anchor: Date;
  /** When the items start (now, or a schedule phase's start). */
  start: Date;
  /**
   * Where the first period starts: a 00:00 UTC instant at or before `start`. It runs to the anchor's next
   * boundary. Usage is kept per UTC day, so periods are whole UTC days.
   */
  periodStart: Date;
  products: readonly { productKey: string; planKey: string; prices: readonly Price[] }[];
  catalogVersionId: string;
  scheduleId?: string | null;
}

/** Inserts a live subscription with its items and queues its first roll-over and startup expiry. */
export async function insertSubscription(ctx: ServiceContext, customerId: string, currency: string, n: NewSubscription): Promise<Subscription> {
  const now = ctx.clock.now();
  const id = newId('subscription', now);
  const end = periodAt(n.anchor, n.interval, n.periodStart).end;
  const rows = n.products.flatMap((r) =>
    r.prices.map((price) => ({
      id: newId('subscriptionItem', now),
      subscriptionId: id,
      productKey: r.productKey,
      planKey: r.planKey,
      priceKey: price.key,
      catalogVersionId: n.catalogVersionId,
      customPrice: null,
      startedAt: n.start,
      endedAt: null,
      validUntil: itemValidUntil(price, n.start),
    })),
  );
  const startupExpiresAt = startupExpiryOf(rows);
  try {
    await ctx.db.insert(subscriptions).values({
      id,
      customerId,
      status: 'active',
      currency,
      interval: n.interval,
      billingAnchor: n.anchor,
      currentPeriodStart: n.periodStart,
      currentPeriodEnd: end,
      startupExpiresAt,
      scheduleId: n.scheduleId ?? null,
      createdAt: now,
      updatedAt: now,
    });
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('subscription_exists', `Customer '${customerId}' already has a live subscription.`, 'customer');
    throw e;
  }
  if (rows.length > 0) await ctx.db.insert(subscriptionItems).values(rows);
  await enqueueRollOver(ctx, id, end);
  if (startupExpiresAt) await enqueueStartupExpiry(ctx, id, startupExpiresAt);
  // Flat and up-front fees of the first period are billed in advance, now.
  const periodStart = n.periodStart.toISOString();
  await enqueueJob(ctx, {
    kind: OPEN_PERIOD_JOB,
    payload: { subscription_id: id, period_start: periodStart, period_end: end.toISOString(), items_at: n.start.toISOString() },
    runAt: n.start,
    dedupeKey: openPeriodDedupeKey(id, periodStart),
  });
  return reloadSubscription(ctx.db, id);
}
