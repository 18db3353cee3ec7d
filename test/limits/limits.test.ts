import { and, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateQuota, evaluateTouched, getBillingLimits, getBillingState, removeBillingLimit, setBillingLimit, type DiscountLookup } from '../../src/billing/limits/index.js';
import { createCustomerPrice } from '../../src/billing/pricing/customer-prices.js';
import { subscribe } from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { Decimal } from '../../src/core/money/index.js';
import { ratePrice } from '../../src/core/pricing/rate.js';
import { billingLimits } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { world, type World } from '../subscriptions/helpers.js';
import { limitsConfig } from './configs.js';

const twentyOff: DiscountLookup = async () => ({ type: 'percent', percent: Decimal.from(20) });
let seq = 0;

/** Ingests one event of `value` at `at` and evaluates quotas the way POST /v1/usage does. */
async function use(w: World, customerId: string, metric: string, value: number | string, at: string, opts: { discountFor?: DiscountLookup } = {}) {
  const r = await ingestUsage(w.ctx, w.instanceId, [{ id: `u${++seq}`, customer: customerId, metric, value, timestamp: at }]);
  expect(r.results[0]?.reason ?? "accepted").toBe("accepted");
  return evaluateTouched(w.ctx, r.touched, opts);
}

const types = async (w: World, customerId: string) => (await w.events(customerId)).map((e) => e.type).filter((t) => t.startsWith('customer.quota_'));

describeDb('billing limits (R12)', (database) => {
  describe('the seed example: a $200 limit with 20% off allows $250 of list-price usage', () => {
    let w: World;
    let customer: string;
    beforeAll(async () => {
      w = await world(database().db, '2026-03-10T12:00:00Z');
      customer = (await w.customer()).id;
      await subscribe(w.ctx, customer, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    });

    it('turns $200 into $250 of list price and into units through the tiers', async () => {
      const l = await setBillingLimit(w.ctx, customer, { product: 'product_analytics', amount: 20_000 }, { discountFor: twentyOff });
      expect(l.amount).toBe(20_000n);
      expect(l.unitLimit?.listAmountAllowed).toBe(25_000n);
      // 1M free, 1M × 0.005¢ = 5,000¢, then 20,000¢ ÷ 0.00343¢ → 5,831,049 events (5,831,049 × 0.00343 = 20,000.498 → 20,000¢).
      expect(l.unitLimit?.quantity?.toString()).toBe('7831049');
      const scheme = (await getBillingState(w.ctx, customer)).products[0]!.scheme;
      expect(ratePrice(scheme, Decimal.from(7_831_049), 'usd').amount).toBe(25_000n);
      expect(ratePrice(scheme, Decimal.from(7_831_050), 'usd').amount).toBe(25_001n);
      // Without the discount the same $200 buys less.
      expect((await getBillingLimits(w.ctx, customer))[0]?.unitLimit?.listAmountAllowed).toBe(20_000n);
    });

    it('is quota limited exactly when usage reaches the unit limit, and the bill is then $200', async () => {
      await use(w, customer, 'events', 7_831_048, '2026-03-10T01:00:00Z', { discountFor: twentyOff });
      expect(await types(w, customer)).toEqual([]);
      const r = await use(w, customer, 'events', 1, '2026-03-10T01:01:00Z', { discountFor: twentyOff });
      expect(r.statuses[0]).toMatchObject({ limited: true, changed: true });
      expect(await types(w, customer)).toEqual(['customer.quota_limited']);
      const state = await getBillingState(w.ctx, customer, { discountFor: twentyOff });
      expect(state.products[0]).toMatchObject({ quotaLimited: true, amount: 25_000n });
      expect(state.totals).toMatchObject({ amount: 25_000n, discountAmount: 5_000n, amountAfterDiscount: 20_000n });
      const [ev] = await w.events(customer, 'customer.quota_limited');
      expect(ev?.data).toMatchObject({ product: 'product_analytics', usage: '7831049', unit_limit: '7831049', billing_limit: 20_000, currency: 'usd' });
    });
  });

  describe('unit limits at tier boundaries with flat tier amounts', () => {
    let w: World;
    beforeAll(async () => {
      w = await world(database().db, '2026-03-10T12:00:00Z', limitsConfig, 'limits.yaml');
    });

    const cases: [plan: string, amount: number, units: string][] = [
      ['paid', 0, '100'], // the free tier, and not one unit of the next (its flat 500¢ is charged at 101)
      ['paid', 500, '100'],
      ['paid', 501, '101'],
      ['paid', 599, '199'],
      ['paid', 600, '200'],
      ['paid', 601, '200'], // 201 costs 602
      ['paid', 602, '201'],
      ['team', 4_499, '0'], // below the flat first tier: nothing fits
      ['team', 4_500, '1001'], // 1,001 → 4,500.35 → 4,500¢; 1,002 → 4,500.70 → 4,501¢
      ['team', 4_535, '1101'],
    ];
    for (const [plan, amount, units] of cases) {
      it(`${plan}: ${amount}¢ → ${units} units`, async () => {
        const c = (await w.customer()).id;
        await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan }] });
        const l = await setBillingLimit(w.ctx, c, { product: 'widgets', amount });
        expect(l.unitLimit?.quantity?.toString()).toBe(units);
        expect(l.unitLimit?.budgetBelowBaseCost).toBe(units === '0');
        const scheme = (await getBillingState(w.ctx, c)).products[0]!.scheme;
        const q = BigInt(units);
        if (units !== '0') expect(ratePrice(scheme, Decimal.fromBigInt(q), 'usd').amount <= BigInt(amount)).toBe(true);
        expect(ratePrice(scheme, Decimal.fromBigInt(q + 1n), 'usd').amount > BigInt(amount)).toBe(true);
        // A budget below the flat first tier leaves the customer limited before any usage.
        expect(l.quotaLimited).toBe(units === '0');
      });
    }

    it('flips at the boundary, not one unit before', async () => {
      const c = (await w.customer()).id;
      await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan: 'paid' }] });
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 600 });
      await use(w, c, 'widget_calls', 199, '2026-03-10T01:00:00Z');
      expect(await types(w, c)).toEqual([]);
      await use(w, c, 'widget_calls', 1, '2026-03-10T01:00:01Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited']);
    });

    it('a max-aggregated price compares the period maximum', async () => {
      const c = (await w.customer()).id;
      await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan: 'peak' }] });
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 1_000 }); // 100 units at 10¢
      await use(w, c, 'widget_calls', 60, '2026-03-10T01:00:00Z');
      await use(w, c, 'widget_calls', 90, '2026-03-10T01:00:01Z');
      expect(await types(w, c)).toEqual([]);
      await use(w, c, 'widget_calls', 100, '2026-03-10T01:00:02Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited']);
    });
  });

  describe('limited / restored: once per crossing', () => {
    let w: World;
    let c: string;
    beforeAll(async () => {
      w = await world(database().db, '2026-03-10T12:00:00Z', limitsConfig, 'limits.yaml');
      c = (await w.customer()).id;
      await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan: 'paid' }] });
    });

    it('records nothing new when evaluated again and again', async () => {
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 600 });
      await ingestUsage(w.ctx, w.instanceId, [{ id: 'big', customer: c, metric: 'widget_calls', value: 250, timestamp: '2026-03-10T01:00:00Z' }]);
      // Concurrent evaluations of one crossing (on PostgreSQL they race on the row lock): one event.
      const racing = await Promise.all(Array.from({ length: 6 }, () => evaluateQuota(w.ctx, c, 'widget_calls')));
      expect(racing.filter((s) => s?.changed)).toHaveLength(1);
      expect(racing.every((s) => s?.limited)).toBe(true);
      for (let i = 0; i < 3; i++) expect((await evaluateQuota(w.ctx, c, 'widgets'))?.changed).toBe(false);
      await use(w, c, 'widget_calls', 5, '2026-03-10T01:05:00Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited']);
    });

    it('raising the limit restores once; lowering limits again; removing restores', async () => {
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 800 }); // 300 units: 255 fit
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 800 });
      expect(await types(w, c)).toEqual(['customer.quota_limited', 'customer.quota_restored']);
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 501 });
      await evaluateQuota(w.ctx, c, 'widgets');
      expect(await types(w, c)).toEqual(['customer.quota_limited', 'customer.quota_restored', 'customer.quota_limited']);
      const removed = await removeBillingLimit(w.ctx, c, 'widgets');
      expect(removed).toMatchObject({ amount: null, quotaLimited: false });
      await removeBillingLimit(w.ctx, c, 'widgets');
      await evaluateQuota(w.ctx, c, 'widgets');
      const quota = await w.events(c);
      expect(quota.filter((e) => e.type.startsWith('customer.quota_')).map((e) => [e.type, (e.data as { reason: string }).reason])).toEqual([
        ['customer.quota_limited', 'usage_reached_limit'],
        ['customer.quota_restored', 'limit_raised'],
        ['customer.quota_limited', 'limit_lowered'],
        ['customer.quota_restored', 'limit_removed'],
      ]);
      expect(await getBillingLimits(w.ctx, c)).toEqual([]);
      expect(await database().db.select().from(billingLimits).where(eq(billingLimits.customerId, c))).toEqual([]);
      // Setting the same limit twice records one change.
      expect((await w.events(c, 'customer.billing_limit_updated')).length).toBe(4);
    });
  });

  describe('a limit for the next period takes effect at the roll-over', () => {
    let w: World;
    let c: string;
    beforeAll(async () => {
      w = await world(database().db, '2026-03-10T12:00:00Z', limitsConfig, 'limits.yaml');
      c = (await w.customer()).id;
      await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan: 'paid' }] });
    });

    it('waits for the period end, is read as in force as soon as it comes, and the roll-over job restores the quota', async () => {
      await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 600 });
      await use(w, c, 'widget_calls', 250, '2026-03-10T01:00:00Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited']);

      const next = await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 601, effective: 'next_period' });
      expect(next).toMatchObject({ amount: 600n, nextAmount: 601n, nextFrom: new Date('2026-04-10T00:00:00Z'), quotaLimited: true });
      await w.advanceTo('2026-04-09T23:59:59Z');
      expect((await getBillingLimits(w.ctx, c))[0]).toMatchObject({ amount: 600n, nextAmount: 601n });

      // The instant it starts, reads see the new period (no usage yet) and the promoted limit, before any job ran.
      w.clock.set('2026-04-10T00:00:00Z');
      expect((await getBillingLimits(w.ctx, c))[0]).toMatchObject({ amount: 601n, nextAmount: null, nextFrom: null, quotaLimited: false });
      const [stored] = await database().db.select().from(billingLimits).where(and(eq(billingLimits.customerId, c), eq(billingLimits.productKey, 'widgets')));
      expect(stored).toMatchObject({ amount: 600n, nextAmount: 601n, limited: true });

      await w.runJobs();
      const [after] = await database().db.select().from(billingLimits).where(and(eq(billingLimits.customerId, c), eq(billingLimits.productKey, 'widgets')));
      expect(after).toMatchObject({ amount: 601n, nextAmount: null, nextFrom: null, limited: false });
      const restored = await w.events(c, 'customer.quota_restored');
      expect(restored.map((e) => e.data)).toEqual([expect.objectContaining({ reason: 'period_started', period_start: '2026-04-10T00:00:00.000Z', billing_limit: 601 })]);
      await w.runJobs();
      expect(await types(w, c)).toEqual(['customer.quota_limited', 'customer.quota_restored']);

      // The new period's usage counts against the new limit.
      await use(w, c, 'widget_calls', 201, '2026-04-10T00:00:00Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited', 'customer.quota_restored', 'customer.quota_limited']);
    });

    it('a removal can wait for the next period too', async () => {
      await removeBillingLimit(w.ctx, c, 'widgets', { effective: 'next_period' });
      expect((await getBillingLimits(w.ctx, c))[0]).toMatchObject({ amount: 601n, nextAmount: null, nextFrom: new Date('2026-05-10T00:00:00Z') });
      await w.advanceTo('2026-05-10T00:00:01Z');
      expect(await getBillingLimits(w.ctx, c)).toEqual([]);
      expect((await types(w, c)).at(-1)).toBe('customer.quota_restored');
    });
  });

  describe("a customer's own price (a contract's overage rate, R19) is what the limit buys units at", () => {
    it('converts, limits and states at the customer price in force at the period start, not the catalog tiers', async () => {
      const w = await world(database().db, '2026-03-10T12:00:00Z');
      const c = (await w.customer()).id;
      await subscribe(w.ctx, c, { items: [{ product: 'product_analytics', plan: 'paid' }] });
      // 1,000 events included, then 2¢ each; summed over the period like the catalog price.
      await createCustomerPrice(w.system, {
        customerId: c,
        productKey: 'product_analytics',
        currency: 'usd',
        tiers: [
          { upTo: Decimal.from(1000), unitAmount: Decimal.ZERO, flatAmount: Decimal.ZERO },
          { upTo: null, unitAmount: Decimal.from(2), flatAmount: Decimal.ZERO },
        ],
        aggregation: 'sum',
        validFrom: new Date('2026-03-01T00:00:00Z'),
        validUntil: null,
      });
      // $100 = 10,000¢ buys 10,000 / 2 = 5,000 events past the 1,000 included: 6,000. (The catalog's
      // 1M free events would put it above 1,000,000.)
      const l = await setBillingLimit(w.ctx, c, { product: 'product_analytics', amount: 10_000 });
      expect(l.unitLimit?.quantity?.toString()).toBe('6000');
      await use(w, c, 'events', 5_999, '2026-03-10T11:00:00Z');
      expect(await types(w, c)).toEqual([]);
      const r = await use(w, c, 'events', 1, '2026-03-10T11:01:00Z');
      expect(r.statuses[0]).toMatchObject({ limited: true, changed: true });
      const state = await getBillingState(w.ctx, c);
      // 5,000 × 2¢ at the customer's tiers; the state shows those tiers.
      expect(state.products[0]).toMatchObject({ usage: Decimal.from(6000), amount: 10_000n, unitLimit: Decimal.from(6000), quotaLimited: true });
      expect(state.products[0]?.tiers?.map((t) => t.upTo?.toString() ?? null)).toEqual(['1000', null]);
    });
  });

  describe('input checks', () => {
    let w: World;
    let c: string;
    beforeAll(async () => {
      w = await world(database().db, '2026-03-10T12:00:00Z', limitsConfig, 'limits.yaml');
      c = (await w.customer()).id;
    });

    it('names the field and writes nothing', async () => {
      const bad: [Parameters<typeof setBillingLimit>[2], string][] = [
        [{ product: 'nope', amount: 100 }, 'product'],
        [{ product: 'widgets', amount: -1 }, 'amount'],
        [{ product: 'widgets', amount: 1.5 }, 'amount'],
        [{ product: 'widgets', amount: 100, effective: 'later' as never }, 'effective'],
        [{ product: 'widgets', amount: 100, effective: 'next_period' }, 'effective'], // no subscription: no next period
      ];
      for (const [input, param] of bad) await expect(setBillingLimit(w.ctx, c, input)).rejects.toMatchObject({ param });
      expect(await database().db.select().from(billingLimits).where(eq(billingLimits.customerId, c))).toEqual([]);
      expect(await w.events(c, 'customer.billing_limit_updated')).toEqual([]);
    });

    it('a limit on a product not subscribed yet limits nothing until a metered price is in force', async () => {
      const l = await setBillingLimit(w.ctx, c, { product: 'widgets', amount: 0 });
      expect(l).toMatchObject({ amount: 0n, unitLimit: null, quotaLimited: false });
      await subscribe(w.ctx, c, { items: [{ product: 'widgets', plan: 'paid' }] });
      await use(w, c, 'widget_calls', 100, '2026-03-10T01:00:00Z');
      expect(await types(w, c)).toEqual(['customer.quota_limited']);
    });
  });
});
