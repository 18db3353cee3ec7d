/**
 * The payment provider behind Tally: Tally computes every invoice; the provider holds payment methods and
 * collects. One interface, two implementations: Stripe (`STRIPE_SECRET_KEY` set) and the manual provider
 * (staff record payments that arrive by bank transfer or card link printed on the invoice).
 *
 * Balance: there is no `applyBalance`. Tally's ledger is the only customer balance; Tally applies it at
 * finalization and the provider receives the result as a line ("Credit applied from balance"), just like
 * the coupon's discount. The provider's own customer balance is never used: a non-zero one would change
 * what the provider charges, so the push refuses to finalize when it finds one (see `mismatchOf`).
 */
import type { Address, TaxId } from '../customers/customers.js';
import type { CollectionMethod, PaymentMethodType } from '../invoices/model.js';

export type ProviderName = 'stripe' | 'manual';

/** A Tally customer as the provider sees it. */
export interface ProviderCustomerInput {
  readonly tallyCustomerId: string;
  readonly instanceSlug: string;
  readonly externalId: string;
  readonly providerCustomerId: string | null;
  readonly name: string | null;
  readonly email: string | null;
  readonly address: Address | null;
  readonly taxIds: readonly TaxId[];
  readonly currency: string;
}

/** The customer's details at the provider. */
export interface ProviderCustomer {
  readonly id: string;
  readonly deleted: boolean;
  readonly name: string | null;
  readonly email: string | null;
  readonly address: Address | null;
  readonly taxIds: readonly TaxId[];
  readonly metadata: Record<string, string>;
  /** Provider-side balance in minor units; Tally expects 0 (it keeps the only ledger). */
  readonly balance: bigint;
  readonly hasPaymentMethod: boolean;
}

export interface BillingSetupLink {
  readonly url: string;
  readonly provider: ProviderName;
  readonly expiresAt: Date | null;
}

/** One line as the provider should show it: an amount, and quantity × unit price when they multiply out exactly. */
export interface MirrorLine {
  /** Tally's line ID, or `discount` / `balance` for the two summary lines. */
  readonly key: string;
  readonly description: string;
  readonly amount: bigint;
  /** Whole units with a decimal unit amount (minor units); null: the line is pushed as a plain amount. */
  readonly quantity: bigint | null;
  readonly unitAmountDecimal: string | null;
  readonly period: { readonly start: Date; readonly end: Date } | null;
}

/** A finalized Tally invoice, ready to mirror. */
export interface InvoiceMirror {
  readonly tallyInvoiceId: string;
  readonly number: string | null;
  readonly providerCustomerId: string;
  readonly currency: string;
  readonly lines: readonly MirrorLine[];
  /** What the provider must end up charging: Tally's amount due (total after discount and applied balance). */
  readonly expectedTotal: bigint;
  readonly collectionMethod: CollectionMethod;
  /** send_invoice: net terms (R23) and the due date Tally set at finalization. */
  readonly daysUntilDue: number | null;
  readonly dueDate: Date | null;
  readonly paymentMethodTypes: readonly PaymentMethodType[];
  readonly memo: string | null;
  readonly footer: string | null;
  readonly metadata: Record<string, string>;
}

export type ProviderInvoiceStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';

/** The provider's copy of an invoice, as far as Tally compares it. */
export interface ProviderInvoice {
  readonly id: string;
  readonly status: ProviderInvoiceStatus;
  readonly total: bigint;
  readonly amountDue: bigint;
  readonly amountPaid: bigint;
  readonly lines: readonly { readonly key: string | null; readonly amount: bigint }[];
  readonly paidAt: Date | null;
  readonly hostedUrl: string | null;
  readonly metadata: Record<string, string>;
}

export interface PushHooks {
  /** The provider invoice ID Tally already stored, if any. */
  readonly known: string | null;
  /** Called as soon as the provider invoice exists, before any line is added, so a rerun finds it. */
  remember(providerInvoiceId: string): Promise<void>;
}

/** An invoice mirrored at the provider, named by both sides' IDs (the idempotency keys use Tally's). */
export interface ProviderInvoiceRef {
  readonly tallyInvoiceId: string;
  readonly providerInvoiceId: string;
}

export interface PaymentProvider {
  readonly name: ProviderName;
  /**
   * Creates the customer at the provider (or updates the one it has) with Tally's details and metadata
   * (tally_customer_id, instance, external_id). Returns the provider's ID; null for the manual provider.
   */
  ensureCustomer(customer: ProviderCustomerInput): Promise<string | null>;
  /** Reads the customer at the provider; null when the provider has no customers (manual). */
  readCustomer(providerCustomerId: string): Promise<ProviderCustomer | null>;
  /** Where the customer sets up a payment method (Stripe Checkout in setup mode, or the billing portal). */
  billingSetupLink(customer: ProviderCustomerInput, returnUrl: string): Promise<BillingSetupLink>;
  /**
   * Mirrors an invoice line for line as a draft at the provider (idempotent: reruns find what exists),
   * and returns the provider's copy for comparison. Null for the manual provider (the PDF is the invoice).
   */
  pushInvoice(invoice: InvoiceMirror, hooks: PushHooks): Promise<ProviderInvoice | null>;
  /** Finalizes a draft; `charge` lets the provider collect automatically from the payment method on file. */
  finalize(ref: ProviderInvoiceRef, options: { charge: boolean }): Promise<ProviderInvoice>;
  /** Emails an open send_invoice invoice; `key` makes a repeat of the same send a no-op. */
  send(ref: ProviderInvoiceRef, key: string): Promise<void>;
  /** Voids an open invoice, or deletes a draft (a draft was never issued). */
  void(ref: ProviderInvoiceRef): Promise<void>;
  /** Records a payment Tally received outside the provider (`paid_out_of_band`). */
  markPaidOutOfBand(ref: ProviderInvoiceRef): Promise<void>;
  markUncollectible(ref: ProviderInvoiceRef): Promise<void>;
  /** The provider's current copy (status, amounts, paid at); null for the manual provider. */
  readPaymentStatus(providerInvoiceId: string): Promise<ProviderInvoice | null>;
  /** Open (or draft) invoices the provider holds for a customer, for sync. */
  listOpenInvoices(providerCustomerId: string): Promise<ProviderInvoice[]>;
}
