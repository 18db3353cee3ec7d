import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { totalInvoice, withoutBalance, type DraftLine } from '../../../src/core/invoicing/index.js';
import { Decimal } from '../../../src/core/money/index.js';

const line = (amount: bigint, productKey: string | null = 'product_analytics', discountable = true): DraftLine => ({
  description: `line ${amount}`,
  source: 'usage',
  productKey,
  priceKey: null,
  period: null,
  quantity: Decimal.ONE,
  unitAmount: null,
  flatAmount: null,
  tier: null,
  tierFrom: null,
  tierUpTo: null,
  amount,
  discountable,
});
const pct = (p: string) => ({ couponId: 'coupon_x', discount: { type: 'percent' as const, percent: Decimal.parse(p) }, productKeys: null });
const fixed = (a: bigint, productKeys: string[] | null = null) => ({ couponId: 'coupon_x', discount: { type: 'fixed' as const, amount: a }, productKeys });

describe('totalInvoice', () => {
  it('without coupon or balance: total = amount due = Σ lines', () => {
    const t = totalInvoice({ lines: [line(4150n), line(0n), line(1n)], discount: null, customerBalance: 0n });
    expect([t.subtotal, t.discountTotal, t.total, t.amountDue]).toEqual([4151n, 0n, 4151n, 4151n]);
  });

  it('20% off is computed once on the sum and spread exactly over the lines', () => {
    // 20% of (999 + 1) = 200 exactly; per line: 199.8 → 200 and 0.2 → 0 by largest remainder.
    const t = totalInvoice({ lines: [line(999n), line(1n)], discount: pct('20'), customerBalance: 0n });
    expect(t.discountTotal).toBe(200n);
    expect(t.lines.map((l) => l.discountAmount)).toEqual([200n, 0n]);
    expect(t.total).toBe(800n);
  });

  it('rounds a percentage half-up once: 12.5% of 999 = 124.875 → 125', () => {
    const t = totalInvoice({ lines: [line(333n), line(333n), line(333n)], discount: pct('12.5'), customerBalance: 0n });
    expect(t.discountTotal).toBe(125n);
    // 41.625 each: floors 41,41,41 (123), the remaining 2 go to the first two (equal remainders → earlier first).
    expect(t.lines.map((l) => l.discountAmount)).toEqual([42n, 42n, 41n]);
    expect(t.total).toBe(874n);
  });

  it('a fixed coupon never takes the invoice or a line below zero', () => {
    const t = totalInvoice({ lines: [line(300n), line(700n)], discount: fixed(5000n), customerBalance: 0n });
    expect(t.discountTotal).toBe(1000n);
    expect(t.lines.map((l) => l.amountAfterDiscount)).toEqual([0n, 0n]);
    expect(t.total).toBe(0n);
  });

  it('a fixed coupon spreads in proportion: $5 over $3 and $7 lines → $1.50 and $3.50', () => {
    const t = totalInvoice({ lines: [line(300n), line(700n)], discount: fixed(500n), customerBalance: 0n });
    expect(t.lines.map((l) => l.discountAmount)).toEqual([150n, 350n]);
    expect(t.total).toBe(500n);
  });

  it('a coupon restricted to a product only touches that product’s lines', () => {
    const t = totalInvoice({ lines: [line(1000n, 'session_replay'), line(2000n, 'product_analytics')], discount: fixed(1500n, ['session_replay']), customerBalance: 0n });
    expect(t.lines.map((l) => l.discountAmount)).toEqual([1000n, 0n]);
    expect(t.total).toBe(2000n);
  });

  it('non-discountable lines (e.g. up-front contract lines) are left alone', () => {
    const t = totalInvoice({ lines: [line(1000n, 'x', false), line(1000n)], discount: pct('50'), customerBalance: 0n });
    expect(t.lines.map((l) => l.discountAmount)).toEqual([0n, 500n]);
  });

  it('a credit smaller than the total lowers amount due, not total, and is used up', () => {
    const t = totalInvoice({ lines: [line(10_000n)], discount: null, customerBalance: -2_500n });
    expect(t.total).toBe(10_000n);
    expect(t.appliedBalance).toBe(-2_500n);
    expect(t.amountDue).toBe(7_500n);
    expect(t.endingBalance).toBe(0n);
  });

  it('a credit larger than the total pays it all and leaves the rest for later', () => {
    const t = totalInvoice({ lines: [line(10_000n)], discount: pct('10'), customerBalance: -25_000n });
    expect(t.total).toBe(9_000n);
    expect(t.appliedBalance).toBe(-9_000n);
    expect(t.amountDue).toBe(0n);
    expect(t.endingBalance).toBe(-16_000n);
  });

  it('a debit balance (customer owes) is added to the amount due', () => {
    const t = totalInvoice({ lines: [line(1_000n)], discount: null, customerBalance: 300n });
    expect(t.amountDue).toBe(1_300n);
    expect(t.endingBalance).toBe(0n);
  });

  it('a zero invoice consumes no credit', () => {
    const t = totalInvoice({ lines: [line(0n)], discount: null, customerBalance: -500n });
    expect([t.total, t.appliedBalance, t.amountDue, t.endingBalance]).toEqual([0n, 0n, 0n, -500n]);
  });

  it('refuses negative lines, naming the line', () => {
    expect(() => totalInvoice({ lines: [line(1n), line(-5n)], discount: null, customerBalance: 0n })).toThrowError(
      expect.objectContaining({ code: 'negative_line', param: 'lines.1.amount' }),
    );
  });

  it('properties: discounts add up, lines stay ≥ 0, balance is conserved', () => {
    const discountArb = fc.oneof(
      fc.constant(null),
      fc.integer({ min: 0, max: 100_000_000 }).map((n) => pct(Decimal.fromScaled(BigInt(n) * 1_000_000n).toString())), // 0–100 with 6 decimals
      fc.bigInt({ min: 0n, max: 10_000_000n }).map((a) => fixed(a)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 0n, max: 100_000_000n }), { minLength: 1, maxLength: 12 }),
        discountArb,
        fc.bigInt({ min: -50_000_000n, max: 5_000_000n }),
        (amounts, discount, balance) => {
          const t = totalInvoice({ lines: amounts.map((a) => line(a)), discount, customerBalance: balance });
          const sumOff = t.lines.reduce((s, l) => s + l.discountAmount, 0n);
          expect(sumOff).toBe(t.discountTotal);
          for (const l of t.lines) expect(l.amountAfterDiscount >= 0n).toBe(true);
          expect(t.total).toBe(t.subtotal - t.discountTotal);
          expect(t.total >= 0n).toBe(true);
          expect(t.amountDue >= 0n).toBe(true);
          expect(t.startingBalance - t.endingBalance).toBe(t.appliedBalance);
          expect(t.amountDue).toBe(t.total + t.appliedBalance);
          if (balance <= 0n) expect(t.amountDue <= t.total).toBe(true);
          // What a draft shows, derived from these totals, is exactly the totals without a balance.
          expect(withoutBalance(t)).toEqual(totalInvoice({ lines: amounts.map((a) => line(a)), discount, customerBalance: 0n }));
        },
      ),
      { numRuns: 500 },
    );
  });
});
