import type { Clock } from '../../shared/clock.js';
import { ManualProvider } from './manual.js';
import type { PaymentSettings } from './settings.js';
import type { RetryPolicy } from './stripe/client.js';
import type { Sleep } from './stripe/rate-limiter.js';
import { StripeProvider } from './stripe/stripe-provider.js';
import type { PaymentProvider } from './types.js';

/** What the edges hold: the provider, and the webhook secret when it is Stripe. */
export interface Payments {
  readonly provider: PaymentProvider;
  readonly stripeWebhookSecret: string | null;
}

export const manualPayments = (): Payments => ({ provider: new ManualProvider(), stripeWebhookSecret: null });

/** Builds the provider the settings name (tests may pass a faster retry policy and sleep). */
export function createPayments(settings: PaymentSettings, clock: Clock, tuning: { retry?: RetryPolicy; sleep?: Sleep } = {}): Payments {
  if (settings.provider === 'manual') return manualPayments();
  const provider = new StripeProvider({ secretKey: settings.secretKey, apiBase: settings.apiBase, limits: settings.limits, clock, ...tuning }, clock);
  return { provider, stripeWebhookSecret: settings.webhookSecret };
}
