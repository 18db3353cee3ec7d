/** Billing setup (R16): the link a customer follows to give the provider a payment method, or staff doing it. */
import { recordAudit } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import { getCustomer, updateCustomer, type Customer } from '../customers/customers.js';
import { invalid } from '../../shared/errors.js';
import { providerCustomerInput } from './push.js';
import type { BillingSetupLink, PaymentProvider } from './types.js';
import { enqueueUnpushed } from './webhooks.js';

function checkReturnUrl(returnUrl: string): void {
  let ok = false;
  try {
    ok = ['https:', 'http:'].includes(new URL(returnUrl).protocol);
  } catch {
    ok = false;
  }
  if (!ok) throw invalid('return_url_invalid', `return_url must be an absolute http(s) URL, got '${returnUrl}'.`, 'return_url');
}

/** Where the customer sets up payment (Stripe Checkout / portal, or the manual provider's note). */
export async function billingSetupLink(ctx: ServiceContext, provider: PaymentProvider, customerId: string, returnUrl: string, instanceId?: string): Promise<BillingSetupLink> {
  checkReturnUrl(returnUrl);
  const customer = await getCustomer(ctx, customerId, instanceId);
  return provider.billingSetupLink(await providerCustomerInput(ctx, customer), returnUrl);
}

/**
 * Staff put a customer at the provider now (R16's "admin action"), e.g. an annual customer who pays sent
 * invoices by ACH and never goes through Checkout. Creates the provider customer with Tally's details and
 * metadata (or refreshes the existing one), links it, pushes the customer's open invoices. Audited.
 */
export async function setUpProviderCustomer(ctx: ServiceContext, provider: PaymentProvider, customerId: string, why: Justification): Promise<Customer> {
  if (provider.name === 'manual') throw invalid('provider_manual', 'No payment provider is configured (STRIPE_SECRET_KEY): with the manual provider there is no customer to create.', 'provider');
  const before = await getCustomer(ctx, customerId);
  const providerId = await provider.ensureCustomer(await providerCustomerInput(ctx, before));
  const after = await updateCustomer(ctx, customerId, { providerCustomerId: providerId }, why.reason || why.ticket ? why : { reason: 'set up at the payment provider' });
  await enqueueUnpushed(ctx, customerId);
  if (ctx.actor.type !== 'staff') {
    await recordAudit(ctx, { action: 'provider.customer_setup', targetType: 'customer', targetId: customerId, customerId, after: { provider_customer_id: providerId }, reason: why.reason ?? 'set up at the payment provider' });
  }
  return after;
}
