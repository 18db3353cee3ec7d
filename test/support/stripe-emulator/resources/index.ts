/** Every route the emulator serves, object lookup for `expand[]`, and the clock-driven state changes. */
import type Stripe from 'stripe';
import type { HandlerContext, Route } from '../router.js';
import type { Store } from '../store.js';
import { balanceRoutes } from './balance.js';
import { catalogRoutes, renderPrice } from './catalog.js';
import { deepClone, idOf } from './common.js';
import { couponRoutes } from './coupons.js';
import { customerRoutes, renderCustomer } from './customers.js';
import { eventRoutes } from './events.js';
import { invoiceItemRoutes } from './invoice-items.js';
import { advanceInvoices, invoiceRoutes, renderInvoice } from './invoices.js';
import { expireCheckoutSessions, sessionRoutes } from './sessions.js';
import { advanceSchedules, subscriptionRoutes } from './subscriptions.js';

export const allRoutes: readonly Route[] = [
  ...customerRoutes,
  ...balanceRoutes,
  ...catalogRoutes,
  ...couponRoutes,
  ...invoiceItemRoutes,
  ...invoiceRoutes,
  ...subscriptionRoutes,
  ...sessionRoutes,
  ...eventRoutes,
];

/** Applies everything that happens by itself as the emulator clock moves. */
export function advanceTime(ctx: HandlerContext): void {
  advanceSchedules(ctx);
  advanceInvoices(ctx);
  expireCheckoutSessions(ctx);
}

function discountObject(store: Store, id: string): Stripe.Discount | undefined {
  for (const record of store.invoices.values()) {
    const coupon = record.discounts.get(id);
    if (coupon === undefined) continue;
    return {
      id,
      object: 'discount',
      checkout_session: null,
      customer: idOf(record.invoice.customer),
      customer_account: null,
      end: null,
      invoice: record.invoice.id,
      invoice_item: null,
      promotion_code: null,
      source: { coupon, type: 'coupon' },
      start: record.invoice.created,
      subscription: null,
      subscription_item: null,
    };
  }
  return undefined;
}

/** The current response form of the object an id names, or undefined if the emulator has no such object. */
export function resolveObject(store: Store, id: string): unknown {
  const found = ((): unknown => {
    if (id.startsWith('cus_')) {
      if (store.deletedCustomers.has(id)) return { id, object: 'customer', deleted: true };
      const customer = store.customers.get(id);
      return customer && renderCustomer(store, customer);
    }
    if (id.startsWith('in_')) {
      const record = store.invoices.get(id);
      return record && renderInvoice(record);
    }
    if (id.startsWith('ii_')) return store.invoiceItems.get(id)?.item;
    if (id.startsWith('price_')) {
      const price = store.prices.get(id);
      return price && renderPrice(price);
    }
    if (id.startsWith('prod_')) return store.products.get(id);
    if (id.startsWith('sub_sched_')) return store.schedules.get(id);
    if (id.startsWith('sub_')) return store.subscriptions.get(id);
    if (id.startsWith('cbtxn_')) return store.balanceTransactions.get(id);
    if (id.startsWith('txi_')) return store.taxIds.get(id);
    if (id.startsWith('cs_')) return store.checkoutSessions.get(id);
    if (id.startsWith('di_')) return discountObject(store, id);
    return store.coupons.get(id);
  })();
  return found === undefined ? undefined : JSON.parse(JSON.stringify(deepClone(found))) as unknown;
}
