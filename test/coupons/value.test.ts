import { describe, expect, it } from 'vitest';
import type { Coupon } from '../../src/billing/coupons/model.js';
import { couponValueForMonths, planStack } from '../../src/billing/coupons/value.js';
import { Decimal } from '../../src/core/money/decimal.js';
import { catalogOf, exampleText } from '../core/catalog/helpers.js';

const { catalog } = catalogOf(exampleText());

describe('couponValueForMonths: N months of a plan at list price (R11)', () => {
  it('a flat first tier: 3 months of session replay Team ($45/month) is $135', () => {
    expect(couponValueForMonths(catalog, { product: 'session_replay', plan: 'team', currency: 'usd', months: 3 })).toBe(13_500n);
  });

  it('a yearly up-front plan is taken pro rata: 6 months of Enterprise ($30,000/year) is $15,000', () => {
    expect(couponValueForMonths(catalog, { product: 'product_analytics', plan: 'enterprise', currency: 'USD', months: 6 })).toBe(1_500_000n);
    expect(couponValueForMonths(catalog, { product: 'product_analytics', plan: 'annual', currency: 'usd', months: 1 })).toBe(100_000n);
  });

  it('refuses usage-only plans, unknown plans and silly month counts, naming the field', () => {
    expect(() => couponValueForMonths(catalog, { product: 'product_analytics', plan: 'paid', currency: 'usd', months: 1 })).toThrow(expect.objectContaining({ code: 'plan_without_list_amount', param: 'plan' }));
    expect(() => couponValueForMonths(catalog, { product: 'product_analytics', plan: 'nope', currency: 'usd', months: 1 })).toThrow(expect.objectContaining({ type: 'not_found' }));
    expect(() => couponValueForMonths(catalog, { product: 'session_replay', plan: 'team', currency: 'usd', months: 0 })).toThrow(expect.objectContaining({ param: 'months' }));
    expect(() => couponValueForMonths(catalog, { product: 'session_replay', plan: 'team', currency: 'usd', months: 1.5 })).toThrow(expect.objectContaining({ param: 'months' }));
  });
});

let n = 0;
function coupon(over: Partial<Coupon>): Coupon {
  return {
    id: `coupon_${++n}`,
    name: 'c',
    type: 'fixed',
    percentOff: null,
    amountOff: 1000n,
    currency: 'USD',
    duration: 'once',
    durationInMonths: null,
    maxRedemptions: 1,
    timesRedeemed: 0,
    redeemBy: null,
    productKeys: null,
    hasCode: false,
    codeHint: null,
    createdBy: 'stf',
    createdAt: new Date(0),
    retiredAt: null,
    stackedInto: null,
    ...over,
  };
}

describe('planStack: merging two coupons into one (R11)', () => {
  it('two unused once coupons: one once coupon of the summed amount', () => {
    const p = planStack({ coupon: coupon({ amountOff: 5000n }), invoicesApplied: 0 }, { coupon: coupon({ amountOff: 2500n }), invoicesApplied: 0 });
    expect([p.amountOff, p.duration, p.durationInMonths, p.totalValue]).toEqual([7500n, 'once', null, 7500n]);
  });

  it('a partly used repeating coupon counts only its remaining months; the sum is spread over the longer remainder, rounded up', () => {
    // $30 × (6 − 2 used) = $120, plus $50 once = $170 over 4 months → $42.50 each.
    const held = { coupon: coupon({ amountOff: 3000n, duration: 'repeating', durationInMonths: 6 }), invoicesApplied: 2 };
    const p = planStack(held, { coupon: coupon({ amountOff: 5000n }), invoicesApplied: 0 });
    expect([p.amountOff, p.duration, p.durationInMonths, p.totalValue]).toEqual([4250n, 'repeating', 4, 17_000n]);
    expect(p.parts.map((x) => [x.invoicesLeft, x.value])).toEqual([
      [4, 12_000n],
      [1, 5000n],
    ]);
    // 1000 over 3 months does not divide: 334 each, never less than the value merged.
    const q = planStack({ coupon: coupon({ amountOff: 500n }), invoicesApplied: 0 }, { coupon: coupon({ amountOff: 250n, duration: 'repeating', durationInMonths: 2 }), invoicesApplied: 0 });
    expect([q.amountOff, q.durationInMonths, q.totalValue]).toEqual([500n, 2, 1000n]);
    const r = planStack({ coupon: coupon({ amountOff: 400n }), invoicesApplied: 0 }, { coupon: coupon({ amountOff: 200n, duration: 'repeating', durationInMonths: 3 }), invoicesApplied: 0 });
    expect([r.amountOff, r.durationInMonths, r.totalValue]).toEqual([334n, 3, 1000n]);
  });

  it('two forever coupons merge into a forever coupon of the summed amount', () => {
    const p = planStack({ coupon: coupon({ amountOff: 1000n, duration: 'forever' }), invoicesApplied: 7 }, { coupon: coupon({ amountOff: 500n, duration: 'forever' }), invoicesApplied: 0 });
    expect([p.amountOff, p.duration, p.totalValue]).toEqual([1500n, 'forever', null]);
  });

  it('refuses percent + fixed, percent + percent, other currencies, other products, forever + limited — with a reason', () => {
    const pct = (p: string) => coupon({ type: 'percent', percentOff: Decimal.parse(p), amountOff: null, currency: null });
    const refused = (a: Coupon, b: Coupon) => {
      try {
        planStack({ coupon: a, invoicesApplied: 0 }, { coupon: b, invoicesApplied: 0 });
      } catch (e) {
        expect(e).toMatchObject({ type: 'conflict', code: 'coupons_not_stackable' });
        return (e as Error).message;
      }
      throw new Error('expected a refusal');
    };
    expect(refused(pct('20'), coupon({}))).toMatch(/percentage coupon with a fixed-amount/);
    expect(refused(coupon({}), pct('20'))).toMatch(/percentage coupon with a fixed-amount/);
    expect(refused(pct('20'), pct('10'))).toMatch(/20% then 10% off is 28%/);
    expect(refused(coupon({}), coupon({ currency: 'EUR' }))).toMatch(/USD and EUR/);
    expect(refused(coupon({ productKeys: ['session_replay'] }), coupon({}))).toMatch(/different products/);
    expect(refused(coupon({ duration: 'forever' }), coupon({}))).toMatch(/forever coupon with a time-limited/);
  });
});
