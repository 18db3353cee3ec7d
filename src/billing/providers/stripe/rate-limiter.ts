/**
 * Client-side rate limiting for the Stripe API: token buckets, one shared by all writes (default 100/s) and one
 * per endpoint (default 25/s), so a burst of invoice pushes slows down here instead of collecting 429s. Each
 * process has its own buckets; several workers together may exceed them, and then the retries take over.
 */
import type { Clock } from '../../../shared/clock.js';

export interface RateLimits {
  /** Writes (POST/DELETE) per second across all endpoints. */
  readonly writesPerSecond: number;
  /** Requests per second to one endpoint (`POST /v1/invoiceitems`). */
  readonly perEndpointPerSecond: number;
}

export const DEFAULT_RATE_LIMITS: RateLimits = { writesPerSecond: 100, perEndpointPerSecond: 25 };

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A bucket holding up to `rate` tokens (one second's worth), refilled continuously. */
class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    now: number,
  ) {
    this.tokens = rate;
    this.last = now;
  }

  private refill(now: number): void {
    if (now > this.last) {
      this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
      this.last = now;
    }
  }

  /** Milliseconds until a token is available (0: one is). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }
}

export class RateLimiter {
  private readonly writes: TokenBucket;
  private readonly endpoints = new Map<string, TokenBucket>();

  constructor(
    private readonly limits: RateLimits,
    private readonly clock: Clock,
    private readonly sleep: Sleep = realSleep,
  ) {
    for (const [name, v] of Object.entries(limits)) {
      if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`rate limit ${name} must be a positive number, got ${v}`);
    }
    this.writes = new TokenBucket(limits.writesPerSecond, clock.now().getTime());
  }

  /** Waits until `endpoint` (`POST /v1/invoices`) may be called, then takes its tokens. */
  async acquire(endpoint: string): Promise<void> {
    const write = !endpoint.startsWith('GET ');
    let bucket = this.endpoints.get(endpoint);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.perEndpointPerSecond, this.clock.now().getTime());
      this.endpoints.set(endpoint, bucket);
    }
    for (;;) {
      const now = this.clock.now().getTime();
      const wait = Math.max(bucket.waitMs(now), write ? this.writes.waitMs(now) : 0);
      if (wait === 0) {
        bucket.take(now);
        if (write) this.writes.take(now);
        return;
      }
      await this.sleep(wait);
    }
  }
}
