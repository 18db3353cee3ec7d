import { customerPricesInForce, ratingPriceFrom } from '../pricing/customer-prices.js';
import type { ServiceContext } from '../context.js';
import { getSubscription, type Subscription } from '../subscriptions/index.js';
import { periodInForce } from './common.js';

/**
 * The customer's subscription as its current period's invoice will rate it: each metered item at the
 * customer's own price in force at the period's start (a contract's overage rates, R19; a bespoke price,
 * R7) where there is one, as period close does. Billing limits, quotas and the billing state read the
 * subscription through this, so a limit buys units at the prices the customer actually pays.
 */
export async function ratedSubscription(ctx: ServiceContext, customerId: string): Promise<Subscription | null> {
  const sub = await getSubscription(ctx, customerId);
  const period = periodInForce(sub, ctx.clock.now());
  if (!sub || !period) return sub;
  const inForce = (await customerPricesInForce(ctx.db, [{ customerId, at: period.start }])).get(`${customerId}/${period.start.getTime()}`);
  return inForce ? { ...sub, items: sub.items.map((i) => ({ ...i, price: ratingPriceFrom(i.price, inForce) })) } : sub;
}
