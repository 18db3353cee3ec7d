/**
 * Which payment provider runs, from the environment: Stripe when STRIPE_SECRET_KEY is set — then
 * STRIPE_WEBHOOK_SECRET is required too (without it no payment would ever be reported back), STRIPE_API_BASE
 * points the SDK elsewhere (an emulator), and STRIPE_RATE_LIMIT_WRITES / STRIPE_RATE_LIMIT_PER_ENDPOINT tune
 * the client-side limiter (requests per second; default 100 and 25) — else the manual provider.
 */
import { invalid } from '../../shared/errors.js';
import { DEFAULT_RATE_LIMITS, type RateLimits } from './stripe/rate-limiter.js';

export type PaymentSettings =
  | { readonly provider: 'manual' }
  | {
      readonly provider: 'stripe';
      readonly secretKey: string;
      readonly webhookSecret: string;
      readonly apiBase: string | null;
      readonly limits: RateLimits;
    };

function rate(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || n > 10_000) throw invalid('invalid_setting', `${name} must be a number of requests per second above 0, got '${raw}'.`, name);
  return n;
}

export function readPaymentSettings(env: NodeJS.ProcessEnv = process.env): PaymentSettings {
  const secretKey = env.STRIPE_SECRET_KEY?.trim();
  if (!secretKey) return { provider: 'manual' };
  if (!/^(sk|rk)_(test|live)_/.test(secretKey)) throw invalid('invalid_setting', 'STRIPE_SECRET_KEY must be a Stripe secret or restricted key (sk_… or rk_…).', 'STRIPE_SECRET_KEY');
  const webhookSecret = env.STRIPE_WEBHOOK_SECRET?.trim();
  if (!webhookSecret) throw invalid('invalid_setting', 'STRIPE_WEBHOOK_SECRET is required with STRIPE_SECRET_KEY: it verifies the webhooks that report payments (whsec_…).', 'STRIPE_WEBHOOK_SECRET');
  const apiBase = env.STRIPE_API_BASE?.trim() || null;
  if (apiBase !== null) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(apiBase).protocol);
    } catch {
      ok = false;
    }
    if (!ok) throw invalid('invalid_setting', `STRIPE_API_BASE must be an http(s) URL, got '${apiBase}'.`, 'STRIPE_API_BASE');
  }
  return {
    provider: 'stripe',
    secretKey,
    webhookSecret,
    apiBase,
    limits: {
      writesPerSecond: rate(env, 'STRIPE_RATE_LIMIT_WRITES', DEFAULT_RATE_LIMITS.writesPerSecond),
      perEndpointPerSecond: rate(env, 'STRIPE_RATE_LIMIT_PER_ENDPOINT', DEFAULT_RATE_LIMITS.perEndpointPerSecond),
    },
  };
}
