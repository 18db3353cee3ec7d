import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/billing/providers/stripe/rate-limiter.js';
import { ManualClock } from '../../src/shared/clock.js';

/** A limiter on a manual clock whose sleep moves the clock: every wait is visible and exact. */
function limiter(limits = { writesPerSecond: 100, perEndpointPerSecond: 25 }) {
  const clock = new ManualClock('2031-01-01T00:00:00Z');
  const t0 = clock.now().getTime();
  const sleeps: number[] = [];
  const l = new RateLimiter(limits, clock, async (ms) => {
    sleeps.push(ms);
    clock.advance(ms);
  });
  return { l, clock, sleeps, elapsed: () => clock.now().getTime() - t0 };
}

describe('Stripe rate limiter (token buckets)', () => {
  it('lets a burst of 25 through one endpoint at once, then spaces calls 40 ms apart (25/s)', async () => {
    const { l, sleeps, elapsed } = limiter();
    for (let i = 0; i < 25; i++) await l.acquire('POST /v1/invoiceitems');
    expect(sleeps).toEqual([]);
    await l.acquire('POST /v1/invoiceitems');
    expect(elapsed()).toBe(40);
    await l.acquire('POST /v1/invoiceitems');
    expect(elapsed()).toBe(80);
  });

  it('caps writes across endpoints at 100/s while each endpoint stays under its own 25/s', async () => {
    const { l, elapsed } = limiter();
    const endpoints = ['POST /v1/invoices', 'POST /v1/invoiceitems', 'POST /v1/customers', 'POST /v1/invoices/:id/finalize'];
    for (let i = 0; i < 100; i++) await l.acquire(endpoints[i % 4] as string);
    expect(elapsed()).toBe(0);
    // A fifth endpoint has its whole bucket, but the global write bucket is empty: 1/100 s.
    await l.acquire('POST /v1/invoices/:id/send');
    expect(elapsed()).toBe(10);
  });

  it('does not count reads against the write budget', async () => {
    const { l, elapsed } = limiter({ writesPerSecond: 2, perEndpointPerSecond: 25 });
    await l.acquire('POST /v1/invoices');
    await l.acquire('POST /v1/invoiceitems');
    for (let i = 0; i < 20; i++) await l.acquire('GET /v1/invoices/:id');
    expect(elapsed()).toBe(0);
    await l.acquire('POST /v1/customers');
    expect(elapsed()).toBe(500);
  });

  it('refills over time: after a quiet second the full burst is available again', async () => {
    const { l, clock, elapsed } = limiter();
    for (let i = 0; i < 25; i++) await l.acquire('POST /v1/invoiceitems');
    clock.advance(1000);
    const before = elapsed();
    for (let i = 0; i < 25; i++) await l.acquire('POST /v1/invoiceitems');
    expect(elapsed()).toBe(before);
  });

  it('refuses limits that are not positive', () => {
    const clock = new ManualClock('2031-01-01T00:00:00Z');
    expect(() => new RateLimiter({ writesPerSecond: 0, perEndpointPerSecond: 25 }, clock)).toThrow(/writesPerSecond/);
  });
});
