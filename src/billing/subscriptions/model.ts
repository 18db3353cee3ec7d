import type { Interval, Price } from '../../core/catalog/model.js';
import type { SubscriptionStatus } from '../../core/subscriptions/status.js';
import type { subscriptionItems, subscriptions } from '../../store/schema.js';

export type SubscriptionRow = typeof subscriptions.$inferSelect;
export type ItemRow = typeof subscriptionItems.$inferSelect;

export interface SubscriptionItem {
  id: string;
  subscriptionId: string;
  productKey: string;
  planKey: string;
  priceKey: string;
  /** The catalog version `price` was read from: a later config does not reprice the item until it is moved. */
  catalogVersionId: string;
  /** The price as that catalog version defines it. */
  price: Price;
  startedAt: Date;
  /** When a change, reset or cancellation ended it; null while live. In force over `[startedAt, endedAt)`. */
  endedAt: Date | null;
  /** Startup expiry of this item (start + valid_days), if its price has startup terms (R6). */
  validUntil: Date | null;
}

export interface Subscription {
  id: string;
  customerId: string;
  status: SubscriptionStatus;
  currency: string;
  interval: Interval;
  billingAnchor: Date;
  currentPeriodStart: Date;
  currentPeriodEnd: Date;
  cancelAtPeriodEnd: boolean;
  canceledAt: Date | null;
  startupExpiresAt: Date | null;
  scheduleId: string | null;
  createdAt: Date;
  updatedAt: Date;
  /** The live items (none once canceled). */
  items: SubscriptionItem[];
}

/** The compact form events and audit rows carry. */
export function itemSummary(i: Pick<SubscriptionItem, 'productKey' | 'planKey' | 'priceKey' | 'catalogVersionId'>): Record<string, string> {
  return { product: i.productKey, plan: i.planKey, price: i.priceKey, catalog_version: i.catalogVersionId };
}

export function subscriptionSnapshot(s: Subscription | null): Record<string, unknown> | null {
  if (!s) return null;
  return {
    id: s.id,
    status: s.status,
    interval: s.interval,
    current_period_start: s.currentPeriodStart.toISOString(),
    current_period_end: s.currentPeriodEnd.toISOString(),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    startup_expires_at: s.startupExpiresAt?.toISOString() ?? null,
    items: s.items.map(itemSummary),
  };
}
