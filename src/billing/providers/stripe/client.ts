/**
 * The one way Tally talks to Stripe: the official SDK, pinned to the API version its types describe, behind
 * a client-side rate limiter, with Tally's own retries (429, 5xx, 409 "request in flight", timeouts and dropped
 * connections; exponential backoff with jitter, honouring Retry-After). Every POST carries an idempotency key
 * derived from Tally's own IDs, so a retry — by this loop, by a rerun job, or after a crash — replays the first
 * result instead of creating a second object.
 */
import Stripe from 'stripe';
import type { Clock } from '../../../shared/clock.js';
import { TallyError } from '../../../shared/errors.js';
import { RateLimiter, realSleep, type RateLimits, type Sleep } from './rate-limiter.js';

/** The API version the installed SDK's types describe; changing the SDK means reviewing this. */
export const STRIPE_API_VERSION = '2026-10-28.endive' satisfies Stripe.LatestApiVersion;

export interface RetryPolicy {
  /** Retries after the first attempt. */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 4, baseDelayMs: 500, maxDelayMs: 8_000 };

export interface StripeClientOptions {
  readonly secretKey: string;
  /** `http://127.0.0.1:12111` for an emulator; null for api.stripe.com. */
  readonly apiBase: string | null;
  readonly limits: RateLimits;
  readonly clock: Clock;
  readonly retry?: RetryPolicy;
  readonly sleep?: Sleep;
  readonly timeoutMs?: number;
}

function serverOptions(apiBase: string | null): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (apiBase === null) return {};
  const u = new URL(apiBase);
  const protocol = u.protocol === 'http:' ? 'http' : 'https';
  return { host: u.hostname, port: u.port || (protocol === 'http' ? 80 : 443), protocol };
}

/** Whether trying the same request again (same idempotency key) may succeed. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof Stripe.errors.StripeError)) return false;
  if (e instanceof Stripe.errors.StripeConnectionError) return true;
  const status = e.statusCode ?? 0;
  // 409: the same idempotency key is still in flight (or a lock timed out) at Stripe.
  return status === 429 || status === 409 || status >= 500;
}

function retryAfterMs(e: unknown): number {
  if (!(e instanceof Stripe.errors.StripeError)) return 0;
  const raw = (e.headers as Record<string, string> | undefined)?.['retry-after'];
  const s = raw === undefined ? NaN : Number(raw);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 0;
}

export class StripeClient {
  readonly stripe: Stripe;
  private readonly limiter: RateLimiter;
  private readonly retry: RetryPolicy;
  private readonly sleep: Sleep;

  constructor(options: StripeClientOptions) {
    this.stripe = new Stripe(options.secretKey, {
      apiVersion: STRIPE_API_VERSION,
      // Retries are ours (below), so they share the limiter and the backoff.
      maxNetworkRetries: 0,
      telemetry: false,
      timeout: options.timeoutMs ?? 30_000,
      appInfo: { name: 'Tally' },
      ...serverOptions(options.apiBase),
    });
    this.sleep = options.sleep ?? realSleep;
    this.limiter = new RateLimiter(options.limits, options.clock, this.sleep);
    this.retry = options.retry ?? DEFAULT_RETRY;
  }

  /**
   * Calls `endpoint` (`POST /v1/invoices`, used for rate limiting and messages) through `fn`, which receives the
   * request options to pass to the SDK. POSTs must name their idempotency key.
   */
  async call<T>(endpoint: string, idempotencyKey: string | null, fn: (options: Stripe.RequestOptions) => Promise<T>): Promise<T> {
    if (idempotencyKey === null && endpoint.startsWith('POST ')) throw new Error(`${endpoint}: a POST to Stripe needs an idempotency key`);
    const options: Stripe.RequestOptions = idempotencyKey === null ? {} : { idempotencyKey };
    for (let attempt = 0; ; attempt++) {
      await this.limiter.acquire(endpoint);
      try {
        return await fn(options);
      } catch (e) {
        if (!isRetryable(e) || attempt >= this.retry.maxRetries) throw toTallyError(endpoint, e, attempt + 1);
        const backoff = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** attempt);
        const jittered = backoff / 2 + Math.random() * (backoff / 2);
        await this.sleep(Math.min(this.retry.maxDelayMs, Math.max(jittered, retryAfterMs(e))));
      }
    }
  }
}

/** Stripe's failure as a TallyError: unavailable when retrying might help later, invalid otherwise. */
function toTallyError(endpoint: string, e: unknown, attempts: number): unknown {
  if (!(e instanceof Stripe.errors.StripeError)) return e;
  const retryable = isRetryable(e);
  return new TallyError(retryable ? 'unavailable' : 'invalid_request', retryable ? 'provider_unavailable' : 'provider_rejected', `Stripe ${endpoint} failed${retryable ? ` after ${attempts} attempt(s)` : ''}: ${e.message}`, {
    param: e.param,
    details: { stripe_type: e.type, stripe_code: e.code ?? null, status: e.statusCode ?? null, request_id: e.requestId ?? null },
    cause: e,
  });
}
