import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import {
  activeDiscountFor,
  applyCoupon,
  createCoupon,
  getCoupon,
  getCustomerCoupon,
  listCustomerCoupons,
  recordCouponUse,
  redeemCouponCode,
  removeCustomerCoupon,
  retireCoupon,
} from '../../src/billing/coupons/index.js';
import { coupons, customerCoupons, events } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { MONTH_STARTS, why, world, type World } from './helpers.js';

const fixed = (amountOff: bigint, over: Record<string, unknown> = {}) => ({ name: `Goodwill ${amountOff}`, amountOff, currency: 'usd', duration: 'once' as const, ...over });

describeDb('coupons (R11)', (database, kind) => {
  const snapshot = async (w: World, customerId: string) => ({
    held: await w.db.select().from(customerCoupons).where(eq(customerCoupons.customerId, customerId)),
    coupons: (await w.db.select().from(coupons)).map((c) => [c.id, c.timesRedeemed, c.retiredAt?.toISOString() ?? null]).sort(),
    audit: (await w.audit(customerId)).length,
  });

  it('creates percent and fixed coupons with defaults, refuses bad input naming the field, and audits with the reason', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const pct = await createCoupon(staff, { name: 'Startup 20%', percentOff: '20', duration: 'forever', productKeys: ['product_analytics'] }, why);
    expect(pct.code).toBeNull();
    expect(pct.coupon).toMatchObject({ type: 'percent', maxRedemptions: null, productKeys: ['product_analytics'], hasCode: false, createdBy: 'stf_support' });
    expect(pct.coupon.percentOff?.toString()).toBe('20');

    const facing = await createCoupon(staff, { name: 'Prepaid deal (2 months of Team)', amountOff: 9000n, currency: 'usd', duration: 'repeating', durationInMonths: 2, customerFacingCode: true }, why);
    expect(facing.coupon).toMatchObject({ type: 'fixed', currency: 'USD', maxRedemptions: 1, hasCode: true, codeHint: `…${facing.code?.slice(-4)}` });
    expect(facing.code).toMatch(/^[A-HJ-NP-Za-km-np-z2-9]{12}$/);
    // The code itself is nowhere in the database row.
    const [row] = await w.db.select().from(coupons).where(eq(coupons.id, facing.coupon.id));
    expect(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).not.toContain(facing.code);
    expect((await w.auditOf(facing.coupon.id)).map((a) => [a.action, a.reason, a.ticket])).toEqual([['coupon.create', 'test', 'T-1']]);
    expect(JSON.stringify(await w.auditOf(facing.coupon.id))).not.toContain(facing.code);

    const bad: [Record<string, unknown>, string][] = [
      [{ name: ' ', percentOff: '10', duration: 'once' }, 'name'],
      [{ name: 'x', duration: 'once' }, 'percent_off'],
      [{ name: 'x', percentOff: '10', amountOff: 5n, currency: 'usd', duration: 'once' }, 'amount_off'],
      [{ name: 'x', percentOff: '120', duration: 'once' }, 'percent_off'],
      [{ name: 'x', amountOff: 5n, duration: 'once' }, 'currency'],
      [{ name: 'x', amountOff: -5n, currency: 'usd', duration: 'once' }, 'amount_off'],
      [{ name: 'x', percentOff: '10', duration: 'repeating' }, 'duration_in_months'],
      [{ name: 'x', percentOff: '10', duration: 'once', durationInMonths: 3 }, 'duration_in_months'],
      [{ name: 'x', percentOff: '10', duration: 'weekly' }, 'duration'],
      [{ name: 'x', percentOff: '10', duration: 'once', redeemBy: new Date('2025-01-01') }, 'redeem_by'],
      [{ name: 'x', percentOff: '10', duration: 'once', productKeys: ['nope'] }, 'products.0'],
      [{ name: 'x', percentOff: '10', duration: 'once', maxRedemptions: 0 }, 'max_redemptions'],
    ];
    for (const [input, param] of bad) await expect(createCoupon(staff, input as never, why)).rejects.toMatchObject({ param });
    await expect(createCoupon(staff, { name: 'x', percentOff: '10', duration: 'once' }, {})).rejects.toMatchObject({ code: 'reason_required' });
    await expect(createCoupon(w.inst, { name: 'x', percentOff: '10', duration: 'once' })).rejects.toMatchObject({ type: 'permission' });
  });

  it('a second coupon without stack is refused with a 409 naming the held coupon, and changes nothing', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const cus = await w.customer();
    const first = await createCoupon(staff, fixed(5000n), why);
    const second = await createCoupon(staff, fixed(2500n), why);
    await applyCoupon(staff, cus.id, first.coupon.id, {}, why);
    const before = await snapshot(w, cus.id);
    const err = await applyCoupon(staff, cus.id, second.coupon.id, {}, why).catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'conflict', code: 'customer_has_coupon', param: 'coupon' });
    expect((err as Error).message).toContain(first.coupon.id);
    expect((err as Error).message).toContain('Goodwill 5000');
    expect(await snapshot(w, cus.id)).toEqual(before);
    expect((await getCustomerCoupon(staff, cus.id))?.coupon.id).toBe(first.coupon.id);
    await expect(applyCoupon(staff, cus.id, first.coupon.id, {}, why)).rejects.toMatchObject({ code: 'coupon_already_applied' });
  });

  it('stacking fixed + fixed merges the remaining values into one new coupon, retires the old with stacked_into, and audits both steps', async () => {
    const w = await world(database().db);
    const staff = w.staff('billing_admin');
    const cus = await w.customer();
    const held = await createCoupon(staff, fixed(3000n, { name: 'Outage credit', duration: 'repeating', durationInMonths: 3, maxRedemptions: 1 }), why);
    const added = await createCoupon(staff, fixed(4000n, { name: 'Prepaid month', maxRedemptions: 1 }), why);
    const shared = await createCoupon(staff, fixed(100n, { name: 'Shared' }), why);
    const applied = await applyCoupon(staff, cus.id, held.coupon.id, {}, why);
    await recordCouponUse(w.system, cus.id, held.coupon.id, 'inv_1'); // one of three months used: $30 × 2 left

    const stacked = await applyCoupon(staff, cus.id, added.coupon.id, { stack: true }, { reason: 'stack for renewal', ticket: 'T-9' });
    // $30 × 2 + $40 × 1 = $100, over the longer remainder (2 months): $50 a month.
    expect(stacked.coupon).toMatchObject({ type: 'fixed', amountOff: 5000n, currency: 'USD', duration: 'repeating', durationInMonths: 2, maxRedemptions: 1, timesRedeemed: 1 });
    expect(stacked.coupon.name).toBe('Stacked: Outage credit + Prepaid month');
    expect(stacked.replaced).toMatchObject({ id: applied.customerCoupon.id, retireReason: 'stacked_into', stackedInto: stacked.coupon.id });
    expect(stacked.stack?.totalValue).toBe(10_000n);

    const active = await activeDiscountFor(w.system, cus.id, w.clock.now());
    expect(active).toMatchObject({ couponId: stacked.coupon.id, discount: { type: 'fixed', amount: 5000n } });
    // Single-use coupons are used up by the merge and point at the coupon carrying their value.
    expect(await getCoupon(w.system, added.coupon.id)).toMatchObject({ timesRedeemed: 1, stackedInto: stacked.coupon.id, retiredAt: w.clock.now() });
    expect(await getCoupon(w.system, held.coupon.id)).toMatchObject({ timesRedeemed: 1, stackedInto: stacked.coupon.id });
    // A shared coupon stacked in stays available to others.
    const other = await w.customer();
    await applyCoupon(staff, other.id, (await createCoupon(staff, fixed(200n), why)).coupon.id, {}, why);
    await applyCoupon(staff, other.id, shared.coupon.id, { stack: true }, why);
    expect(await getCoupon(w.system, shared.coupon.id)).toMatchObject({ timesRedeemed: 1, stackedInto: null, retiredAt: null });
    expect((await listCustomerCoupons(staff, cus.id)).map((c) => [c.couponId, c.retireReason])).toEqual([
      [stacked.coupon.id, null],
      [held.coupon.id, 'stacked_into'],
    ]);
    const actions = (await w.audit(cus.id)).map((a) => a.action);
    expect(actions).toEqual(['coupon.apply', 'coupon.retire_from_customer', 'coupon.stack']);
    const stackAudit = (await w.audit(cus.id)).at(-1);
    expect(stackAudit).toMatchObject({ reason: 'stack for renewal', ticket: 'T-9', actorId: 'stf_billing_admin' });
    expect((stackAudit?.after as { stack: { total_value: string } }).stack.total_value).toBe('10000');
    expect((await w.auditOf(stacked.coupon.id)).map((a) => a.action)).toEqual(['coupon.create']);
  });

  it('stacking percent + fixed (or percent + percent) is refused with a reason and changes nothing', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const cus = await w.customer();
    const pct = await createCoupon(staff, { name: '20% partner', percentOff: '20', duration: 'forever' }, why);
    const pct2 = await createCoupon(staff, { name: '10% loyalty', percentOff: 10, duration: 'forever' }, why);
    const amount = await createCoupon(staff, fixed(1000n), why);
    await applyCoupon(staff, cus.id, pct.coupon.id, {}, why);
    const before = await snapshot(w, cus.id);
    await expect(applyCoupon(staff, cus.id, amount.coupon.id, { stack: true }, why)).rejects.toMatchObject({ code: 'coupons_not_stackable', message: expect.stringMatching(/no common unit/) });
    await expect(applyCoupon(staff, cus.id, pct2.coupon.id, { stack: true }, why)).rejects.toMatchObject({ code: 'coupons_not_stackable', message: expect.stringMatching(/do not add/) });
    expect(await snapshot(w, cus.id)).toEqual(before);
  });

  it('redeems a code once; unknown, used-up, expired and retired codes all get the same error', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const [a, b, c, d] = [await w.customer(), await w.customer(), await w.customer(), await w.customer()];
    const single = await createCoupon(staff, fixed(2000n, { customerFacingCode: true }), why);
    const expiring = await createCoupon(staff, fixed(2000n, { customerFacingCode: true, redeemBy: new Date('2026-01-10T00:00:00Z') }), why);
    const retired = await createCoupon(staff, fixed(2000n, { customerFacingCode: true, maxRedemptions: 10 }), why);
    await retireCoupon(staff, retired.coupon.id, why);

    const got = await redeemCouponCode(w.inst, a.id, ` ${single.code ?? ''} `);
    expect(got.coupon).toMatchObject({ id: single.coupon.id, timesRedeemed: 1 });
    expect((await w.audit(a.id)).map((x) => [x.action, x.actorType])).toEqual([['coupon.redeem', 'instance']]);

    w.clock.set('2026-01-11T00:00:00Z');
    const errors = [];
    for (const code of [single.code, expiring.code, retired.code, 'Xy7kPq3RmZ2a', single.code?.toLowerCase()]) {
      errors.push(await redeemCouponCode(w.inst, b.id, code ?? '').catch((e: { type: string; code: string; message: string; param: string }) => ({ type: e.type, code: e.code, message: e.message, param: e.param })));
    }
    expect(new Set(errors.map((e) => JSON.stringify(e))).size).toBe(1);
    expect(errors[0]).toEqual({ type: 'invalid_request', code: 'coupon_code_invalid', message: 'This coupon code is not valid.', param: 'code' });
    expect(await getCustomerCoupon(w.system, b.id)).toBeNull();

    // A customer holding a coupon is told so before the code is looked at.
    await expect(redeemCouponCode(w.inst, a.id, 'whatever')).rejects.toMatchObject({ code: 'customer_has_coupon' });
    // Another instance's customer does not exist for this instance.
    const other = await world(database().db, '2026-01-11T00:00:00Z');
    await expect(redeemCouponCode(other.inst, c.id, single.code ?? '')).rejects.toMatchObject({ type: 'not_found' });
    // Fixed coupons in another currency are refused plainly.
    const eurCus = await w.customer('eur');
    const usdCode = await createCoupon(staff, fixed(100n, { customerFacingCode: true }), why);
    await expect(redeemCouponCode(w.inst, eurCus.id, usdCode.code ?? '')).rejects.toMatchObject({ code: 'coupon_currency_mismatch' });
    void d;
  });

  it('rate-limits code attempts per customer: the 6th within 15 minutes is a 429, and the window slides', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const other = await w.customer();
    for (let i = 0; i < 5; i++) {
      await expect(redeemCouponCode(w.inst, cus.id, `Wrong${i}Code99`)).rejects.toMatchObject({ code: 'coupon_code_invalid' });
      w.clock.advance(60_000);
    }
    const limited = await redeemCouponCode(w.inst, cus.id, 'Another9Code').catch((e: unknown) => e);
    expect(limited).toMatchObject({ type: 'rate_limited', code: 'rate_limited', details: { retry_after: '2026-01-01T00:15:00.000Z' } });
    // Even a valid code waits: the limit is on attempts, not failures.
    const good = await createCoupon(w.staff('support'), fixed(100n, { customerFacingCode: true }), why);
    await expect(redeemCouponCode(w.inst, cus.id, good.code ?? '')).rejects.toMatchObject({ type: 'rate_limited' });
    // Other customers are not affected.
    await expect(redeemCouponCode(w.inst, other.id, 'Wrong1Code99')).rejects.toMatchObject({ code: 'coupon_code_invalid' });
    w.clock.set('2026-01-01T00:15:00.001Z');
    expect((await redeemCouponCode(w.inst, cus.id, good.code ?? '')).coupon.id).toBe(good.coupon.id);
  });

  it('durations over simulated months: once reduces one invoice, repeating N months, forever every invoice', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const [onceCus, repCus, foreverCus] = [await w.customer(), await w.customer(), await w.customer()];
    const once = await createCoupon(staff, fixed(1000n, { name: 'once' }), why);
    const rep = await createCoupon(staff, { name: 'rep', percentOff: '15', duration: 'repeating', durationInMonths: 3 }, why);
    const forever = await createCoupon(staff, fixed(500n, { name: 'forever', duration: 'forever' }), why);
    w.clock.set('2026-01-10T09:00:00Z'); // applied mid-period: the January invoice still gets it
    await applyCoupon(staff, onceCus.id, once.coupon.id, {}, why);
    await applyCoupon(staff, repCus.id, rep.coupon.id, {}, why);
    await applyCoupon(staff, foreverCus.id, forever.coupon.id, {}, why);

    const discounted: Record<string, string[]> = { once: [], rep: [], forever: [] };
    for (const [i, periodStart] of MONTH_STARTS.entries()) {
      w.clock.set(new Date(Date.UTC(2026, i + 1, 1, 6))); // invoices are made after the period ends
      for (const [key, cus] of [['once', onceCus], ['rep', repCus], ['forever', foreverCus]] as const) {
        const d = await activeDiscountFor(w.system, cus.id, periodStart);
        if (!d) continue;
        discounted[key]?.push(periodStart.toISOString().slice(0, 7));
        await recordCouponUse(w.system, cus.id, d.couponId, `inv_${key}_${i}`);
        // Finalization retried: the same invoice is counted once.
        await recordCouponUse(w.system, cus.id, d.couponId, `inv_${key}_${i}`);
      }
    }
    expect(discounted).toEqual({
      once: ['2026-01'],
      rep: ['2026-01', '2026-02', '2026-03'],
      forever: ['2026-01', '2026-02', '2026-03', '2026-04', '2026-05', '2026-06'],
    });
    const held = async (cusId: string) => (await listCustomerCoupons(w.system, cusId))[0];
    expect(await held(onceCus.id)).toMatchObject({ invoicesApplied: 1, retireReason: 'used' });
    expect(await held(repCus.id)).toMatchObject({ invoicesApplied: 3, retireReason: 'used', endsAt: new Date('2026-04-10T09:00:00Z') });
    expect(await held(foreverCus.id)).toMatchObject({ invoicesApplied: 6, retireReason: null });
    const rd = await activeDiscountFor(w.system, foreverCus.id, MONTH_STARTS[0] as Date);
    expect(rd).toMatchObject({ name: 'forever', productKeys: null, discount: { type: 'fixed', amount: 500n } });
    // A used-up coupon records nothing more.
    expect(await recordCouponUse(w.system, onceCus.id, once.coupon.id, 'inv_late')).toBeNull();
  });

  it('a repeating coupon also ends with its window, even without invoices; then a new coupon applies without stacking', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const cus = await w.customer();
    const rep = await createCoupon(staff, fixed(700n, { duration: 'repeating', durationInMonths: 2 }), why);
    const next = await createCoupon(staff, fixed(300n), why);
    await applyCoupon(staff, cus.id, rep.coupon.id, {}, why);
    expect(await activeDiscountFor(w.system, cus.id, new Date('2026-02-28T23:59:59Z'))).not.toBeNull();
    expect(await activeDiscountFor(w.system, cus.id, new Date('2026-03-01T00:00:00Z'))).toBeNull();
    w.clock.set('2026-03-02T00:00:00Z');
    expect(await getCustomerCoupon(staff, cus.id)).toBeNull();
    await applyCoupon(staff, cus.id, next.coupon.id, {}, why);
    expect((await listCustomerCoupons(staff, cus.id)).map((c) => c.retireReason)).toEqual([null, 'expired']);
  });

  it('removes a customer coupon with a reason; staff-applied coupons check retirement, expiry and exhaustion', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const [a, b] = [await w.customer(), await w.customer()];
    const one = await createCoupon(staff, fixed(100n, { maxRedemptions: 1 }), why);
    await applyCoupon(staff, a.id, one.coupon.id, {}, why);
    await expect(applyCoupon(staff, b.id, one.coupon.id, {}, why)).rejects.toMatchObject({ code: 'coupon_exhausted' });
    await expect(removeCustomerCoupon(staff, a.id, {})).rejects.toMatchObject({ code: 'reason_required' });
    const removed = await removeCustomerCoupon(staff, a.id, { reason: 'customer asked' });
    expect(removed.retireReason).toBe('removed');
    await expect(removeCustomerCoupon(staff, a.id, why)).rejects.toMatchObject({ type: 'not_found' });
    await expect(applyCoupon(w.inst, a.id, one.coupon.id, {}, why)).rejects.toMatchObject({ type: 'permission' });
    const types = (await w.db.select({ type: events.type }).from(events).where(eq(events.customerId, a.id))).map((e) => e.type).filter((t) => t.startsWith('customer.discount'));
    expect(types).toEqual(['customer.discount.created', 'customer.discount.deleted']);
  });

  // PGlite has a single session, so true concurrency exists only on PostgreSQL: registered only there.
  if (kind === 'postgres') it('concurrent applies of two coupons to one customer: exactly one wins', async () => {
    const w = await world(database().db);
    const staff = w.staff('support');
    const cus = await w.customer();
    const cs = await Promise.all([1, 2, 3, 4].map((i) => createCoupon(staff, fixed(BigInt(i * 100)), why)));
    const results = await Promise.allSettled(cs.map((c) => applyCoupon(staff, cus.id, c.coupon.id, {}, why)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['customer_has_coupon', 'customer_has_coupon', 'customer_has_coupon']);
    const redeemed = (await w.db.select().from(coupons)).filter((c) => cs.some((x) => x.coupon.id === c.id)).reduce((s, c) => s + c.timesRedeemed, 0);
    expect(redeemed).toBe(1);
  });
});
