import type { Catalog } from '../../core/catalog/model.js';
import { planStartupReset } from '../../core/subscriptions/startup.js';
import type { Db } from '../../store/database.js';
import { liveSubscription } from './internal.js';

export interface SubscribedPlans {
  /** Product → plan the customer is subscribed to as of the instant asked about. */
  plans: Map<string, string>;
  /** The next instant a time-driven transition changes these plans (startup expiry, cancel at period end); null when none is pending. */
  nextChange: Date | null;
}

/**
 * What the entitlements ask of subscriptions: the plan per subscribed product at `at`. Transitions that
 * are due but whose job has not run yet are already taken into account (a pending cancel whose period
 * ended: no plans; an expired startup price: the plans the reset will put the products on), so features
 * are right on the instant, not when a worker gets to it. `catalog` is the current catalog (reset targets).
 */
export async function subscribedPlansAt(db: Db, customerId: string, at: Date, catalog: Catalog): Promise<SubscribedPlans> {
  const sub = await liveSubscription(db, customerId);
  const plans = new Map<string, string>();
  if (!sub) return { plans, nextChange: null };
  const t = at.getTime();
  const cancelAt = sub.cancelAtPeriodEnd ? sub.currentPeriodEnd : null;
  if (cancelAt && cancelAt.getTime() <= t) return { plans, nextChange: null };
  const expiry = sub.startupExpiresAt;
  if (expiry && expiry.getTime() <= t) {
    const byProduct = new Map(sub.items.map((i) => [i.productKey, i.planKey]));
    for (const r of planStartupReset(catalog, sub.items, sub.currency, sub.interval, expiry)) {
      if (r.action === 'keep') plans.set(r.productKey, byProduct.get(r.productKey)!);
      else if (r.action === 'replace') plans.set(r.productKey, r.planKey);
    }
  } else {
    for (const i of sub.items) plans.set(i.productKey, i.planKey);
  }
  const pending = [expiry && expiry.getTime() > t ? expiry : null, cancelAt].filter((d): d is Date => d !== null && d.getTime() > t);
  const nextChange = pending.length ? new Date(Math.min(...pending.map((d) => d.getTime()))) : null;
  return { plans, nextChange };
}
