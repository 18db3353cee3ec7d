/**
 * In-memory state. Objects are kept in the SDK's own response types and mutated in place by the resource modules;
 * responses and webhook payloads are serialized copies, so later changes never leak into an earlier answer.
 */
import type Stripe from 'stripe';

export interface InvoiceItemRecord {
  item: Stripe.InvoiceItem;
  /** The `il_...` id the item has as a line of its invoice. */
  lineId: string;
}

export interface InvoiceRecord {
  invoice: Stripe.Invoice;
  /** Items in the order they were attached; the invoice's lines follow this order. */
  itemIds: string[];
  /** `di_...` discount id → coupon id, for `discounts: [{coupon}]`. */
  discounts: Map<string, string>;
  /** Balance applied at finalization (negative = credit consumed), undone if the invoice is voided. */
  appliedBalance: number;
  /** `days_until_due` of a send_invoice invoice: the due date is counted from finalization. */
  daysUntilDue: number | null;
  /** Set by `simulatePaymentFailure`: charges decline until a new payment method is supplied. */
  declineCode: string | null;
}

export interface PaymentMethodRecord {
  id: string;
  customer: string;
  created: number;
  /** Charges on this method are declined (Stripe's `pm_card_chargeCustomerFail`). */
  declines: boolean;
}

/** What a checkout session was created with that the session object itself does not expose. */
export interface CheckoutExtras {
  lines: { price: string; quantity: number }[];
  subscriptionMetadata: Stripe.Metadata;
  subscriptionDescription: string | null;
}

export class Store {
  private seq = 0;
  private readonly order = new Map<string, number>();

  readonly customers = new Map<string, Stripe.Customer>();
  readonly deletedCustomers = new Set<string>();
  readonly taxIds = new Map<string, Stripe.TaxId>();
  readonly balanceTransactions = new Map<string, Stripe.CustomerBalanceTransaction>();
  readonly paymentMethods = new Map<string, PaymentMethodRecord>();
  readonly products = new Map<string, Stripe.Product>();
  /** Prices always carry their `tiers`; responses drop them unless `expand[]=tiers`, as Stripe does. */
  readonly prices = new Map<string, Stripe.Price>();
  readonly coupons = new Map<string, Stripe.Coupon>();
  readonly invoiceItems = new Map<string, InvoiceItemRecord>();
  readonly invoices = new Map<string, InvoiceRecord>();
  readonly subscriptions = new Map<string, Stripe.Subscription>();
  readonly schedules = new Map<string, Stripe.SubscriptionSchedule>();
  readonly checkoutSessions = new Map<string, Stripe.Checkout.Session>();
  readonly checkoutExtras = new Map<string, CheckoutExtras>();
  readonly portalSessions = new Map<string, Stripe.BillingPortal.Session>();

  /** Records creation order: Stripe lists newest first, and `created` alone ties within a second. */
  track(id: string): void {
    this.seq += 1;
    this.order.set(id, this.seq);
  }

  /** Newest first, Stripe's list order. */
  newestFirst<T extends { id: string }>(items: Iterable<T>): T[] {
    return [...items].sort((a, b) => (this.order.get(b.id) ?? 0) - (this.order.get(a.id) ?? 0));
  }

  clear(): void {
    this.seq = 0;
    this.order.clear();
    this.customers.clear();
    this.deletedCustomers.clear();
    this.taxIds.clear();
    this.balanceTransactions.clear();
    this.paymentMethods.clear();
    this.products.clear();
    this.prices.clear();
    this.coupons.clear();
    this.invoiceItems.clear();
    this.invoices.clear();
    this.subscriptions.clear();
    this.schedules.clear();
    this.checkoutSessions.clear();
    this.checkoutExtras.clear();
    this.portalSessions.clear();
  }
}
