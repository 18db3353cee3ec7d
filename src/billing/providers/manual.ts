/**
 * The manual provider (no Stripe account configured): Tally issues the invoice itself — the PDF carries the
 * seller's bank transfer details and card payment link (TALLY_BANK_*, TALLY_CARD_PAYMENT_URL) — and staff
 * record each payment when it arrives (`POST /admin/v1/invoices/:id/mark-paid` with the transfer's
 * reference). Nothing lives anywhere else, so there is nothing to create, push or read back.
 */
import type { BillingSetupLink, PaymentProvider, ProviderCustomerInput } from './types.js';

function notHeld(): never {
  throw new Error('The manual provider holds no invoices: there is nothing to finalize, send or void outside Tally.');
}

export class ManualProvider implements PaymentProvider {
  readonly name = 'manual' as const;

  ensureCustomer(): Promise<string | null> {
    return Promise.resolve(null);
  }

  readCustomer(): Promise<null> {
    return Promise.resolve(null);
  }

  /**
   * There is no hosted page: with the manual provider a customer pays each invoice by the instructions printed
   * on it. The link sends the customer back to `return_url`, marked `billing_setup=manual`, so the product can
   * say so instead of pretending a card was saved.
   */
  billingSetupLink(_customer: ProviderCustomerInput, returnUrl: string): Promise<BillingSetupLink> {
    const url = new URL(returnUrl);
    url.searchParams.set('billing_setup', 'manual');
    return Promise.resolve({ url: url.toString(), provider: 'manual', expiresAt: null });
  }

  pushInvoice(): Promise<null> {
    return Promise.resolve(null);
  }

  finalize(): Promise<never> {
    return Promise.resolve().then(notHeld);
  }

  send(): Promise<void> {
    return Promise.resolve().then(notHeld);
  }

  void(): Promise<void> {
    return Promise.resolve().then(notHeld);
  }

  markPaidOutOfBand(): Promise<void> {
    return Promise.resolve().then(notHeld);
  }

  markUncollectible(): Promise<void> {
    return Promise.resolve().then(notHeld);
  }

  readPaymentStatus(): Promise<null> {
    return Promise.resolve(null);
  }

  listOpenInvoices(): Promise<[]> {
    return Promise.resolve([]);
  }
}
