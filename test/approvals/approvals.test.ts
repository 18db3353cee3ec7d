import { eq, sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { approveRequest, changePlanUnderPolicy, createCouponUnderPolicy, getApprovalItem, listApprovals, parseApprovalPolicy, rejectRequest, requestApproval, formatApprovalPolicy, couponNeedsApproval, DEFAULT_APPROVAL_POLICY } from '../../src/billing/approvals/index.js';
import { getCoupon, redeemCouponCode } from '../../src/billing/coupons/index.js';
import { getSubscription, itemHistory, subscribe } from '../../src/billing/subscriptions/index.js';
import { auditLog } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { why, world } from '../coupons/helpers.js';

describe('approval policy (R14): TALLY_APPROVALS', () => {
  it('credits are always on; the rest is opt-in; bad tokens name the setting', () => {
    expect(parseApprovalPolicy(undefined)).toEqual(DEFAULT_APPROVAL_POLICY);
    expect(parseApprovalPolicy('')).toEqual({ credit: true, subscriptionChange: false, couponAbove: null, customPrice: false });
    const p = parseApprovalPolicy(' credit, subscription_change ,coupon_above:50000,custom_price');
    expect(p).toEqual({ credit: true, subscriptionChange: true, couponAbove: 50_000n, customPrice: true });
    expect(formatApprovalPolicy(p)).toBe('credit,subscription_change,coupon_above:50000,custom_price');
    expect(() => parseApprovalPolicy('refunds')).toThrow(expect.objectContaining({ code: 'invalid_setting', param: 'TALLY_APPROVALS' }));
    expect(() => parseApprovalPolicy('coupon_above:5.5')).toThrow(expect.objectContaining({ param: 'TALLY_APPROVALS' }));
  });

  it('coupon_above compares a coupon’s total fixed value: once = amount, repeating = amount × months, forever = unbounded', () => {
    const p = parseApprovalPolicy('coupon_above:50000');
    const c = (amountOff: bigint, duration: 'once' | 'repeating' | 'forever', durationInMonths: number | null = null) => ({ type: 'fixed' as const, amountOff, duration, durationInMonths });
    expect(couponNeedsApproval(p, c(50_000n, 'once'))).toBe(false);
    expect(couponNeedsApproval(p, c(50_001n, 'once'))).toBe(true);
    expect(couponNeedsApproval(p, c(20_000n, 'repeating', 3))).toBe(true);
    expect(couponNeedsApproval(p, c(1n, 'forever'))).toBe(true);
    expect(couponNeedsApproval(p, { type: 'percent', amountOff: null, duration: 'forever', durationInMonths: null })).toBe(false);
    expect(couponNeedsApproval(DEFAULT_APPROVAL_POLICY, c(10n ** 9n, 'forever'))).toBe(false);
  });
});

describeDb('approvals (R14)', (database) => {
  const policy = parseApprovalPolicy('subscription_change,coupon_above:50000');

  it('a staff plan change waits for approval, then runs once on approval, with the requester’s reason carried', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    await subscribe(w.inst, cus.id, { items: [{ product: 'product_analytics' }] });
    const support = w.staff('support', 'stf_sam');
    const out = await changePlanUnderPolicy(support, policy, cus.id, { product: 'product_analytics', plan: 'paid' }, { reason: 'upgrade per call', ticket: 'ZD-7' });
    if (out.status !== 'pending_approval') throw new Error('expected a pending approval');
    expect(out.approval).toMatchObject({ kind: 'subscription_change', status: 'pending', customerId: cus.id, requestedBy: 'stf_sam', payload: { product: 'product_analytics', plan: 'paid' } });
    expect((await getSubscription(w.system, cus.id))?.items.map((i) => i.planKey)).toEqual(['free']);

    await expect(approveRequest(support, out.approval.id)).rejects.toMatchObject({ code: 'approver_required' });
    await expect(approveRequest(w.staff('owner', 'stf_sam'), out.approval.id)).rejects.toMatchObject({ code: 'self_approval' });
    const approved = await approveRequest(w.staff('approver', 'stf_cto'), out.approval.id, 'go');
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'stf_cto', executedAt: w.clock.now(), result: { items: [{ product: 'product_analytics', plan: 'paid' }] } });
    expect((await getSubscription(w.system, cus.id))?.items.map((i) => i.planKey)).toEqual(['paid']);
    const change = (await w.audit(cus.id)).find((a) => a.action === 'subscription.change_plan');
    expect(change).toMatchObject({ actorId: 'stf_cto', ticket: 'ZD-7' });
    expect(change?.reason).toContain('upgrade per call');
    expect(change?.reason).toContain(out.approval.id);

    // Without the policy, or for an instance, the change is immediate.
    const now = await changePlanUnderPolicy(support, DEFAULT_APPROVAL_POLICY, cus.id, { product: 'product_analytics', plan: 'free' }, why);
    expect(now.status).toBe('changed');
    expect((await changePlanUnderPolicy(w.inst, policy, cus.id, { product: 'product_analytics', plan: 'paid' })).status).toBe('changed');
  });

  it('approving twice at once executes the action exactly once', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const sub = await subscribe(w.inst, cus.id, { items: [{ product: 'session_replay' }] });
    const out = await changePlanUnderPolicy(w.staff('support', 'stf_a'), policy, cus.id, { product: 'session_replay', plan: 'team' }, why);
    if (out.status !== 'pending_approval') throw new Error('expected a pending approval');
    w.clock.advance(60_000);
    const results = await Promise.allSettled([approveRequest(w.staff('approver', 'stf_b'), out.approval.id), approveRequest(w.staff('owner', 'stf_c'), out.approval.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ type: 'conflict', code: 'approval_decided' });
    const history = await itemHistory(w.system, sub.id, new Date('2026-01-01T00:00:00Z'), new Date('2026-02-01T00:00:00Z'));
    expect(history.map((i) => i.planKey)).toEqual(['free', 'team']);
    expect((await w.audit(cus.id)).filter((a) => a.action === 'subscription.change_plan')).toHaveLength(1);
  });

  it('a failing action leaves the request pending; rejection is final', async () => {
    const w = await world(database().db);
    const cus = await w.customer(); // no subscription: the change cannot run
    const a = await requestApproval(w.staff('support', 'stf_a'), 'subscription_change', { product: 'product_analytics', plan: 'paid' }, why, { customerId: cus.id });
    await expect(approveRequest(w.staff('approver', 'stf_b'), a.id)).rejects.toMatchObject({ code: 'no_subscription' });
    expect((await listApprovals(w.system, { status: 'pending', customerId: cus.id }, { limit: 10 })).data.map((x) => x.id)).toEqual([a.id]);
    const r = await rejectRequest(w.staff('approver', 'stf_b'), a.id, 'no subscription');
    expect(r).toMatchObject({ status: 'rejected', executedAt: null });
    await expect(approveRequest(w.staff('approver', 'stf_c'), a.id)).rejects.toMatchObject({ code: 'approval_decided' });
    await expect(requestApproval(w.staff('support'), 'refund', {}, why)).rejects.toMatchObject({ code: 'approval_kind_unknown' });
    await expect(requestApproval(w.staff('support'), 'subscription_change', { plan: 'paid' }, why, { customerId: cus.id })).rejects.toMatchObject({ param: 'payload.product' });
    await expect(requestApproval(w.staff('support'), 'subscription_change', { product: 'x' }, {}, { customerId: cus.id })).rejects.toMatchObject({ code: 'reason_required' });
    expect((await getApprovalItem(w.system, a.id)).creditRequest).toBeNull();
  });

  it('a coupon above the threshold waits for approval; its code is shown once now and works only after approval', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const support = w.staff('support', 'stf_a');
    const small = await createCouponUnderPolicy(support, policy, { name: 'small', amountOff: 50_000n, currency: 'usd', duration: 'once' }, why);
    expect(small.status).toBe('created');
    const big = await createCouponUnderPolicy(support, policy, { name: 'Prepaid year', amountOff: 20_000n, currency: 'usd', duration: 'repeating', durationInMonths: 12, customerFacingCode: true }, why);
    if (big.status !== 'pending_approval') throw new Error('expected a pending approval');
    expect(big.code).toMatch(/^[A-Za-z2-9]{12}$/);
    expect(JSON.stringify(big.approval.payload)).not.toContain(big.code);
    await expect(redeemCouponCode(w.inst, cus.id, big.code ?? '')).rejects.toMatchObject({ code: 'coupon_code_invalid' });
    const approved = await approveRequest(w.staff('approver', 'stf_b'), big.approval.id);
    const couponId = approved.result?.coupon as string;
    expect(await getCoupon(w.system, couponId)).toMatchObject({ name: 'Prepaid year', amountOff: 20_000n, durationInMonths: 12, maxRedemptions: 1, hasCode: true });
    expect((await redeemCouponCode(w.inst, cus.id, big.code ?? '')).coupon.id).toBe(couponId);
  });

  it('audit rows cannot be updated or deleted: the database refuses', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    await requestApproval(w.staff('support'), 'subscription_change', { product: 'product_analytics' }, why, { customerId: cus.id });
    const [row] = await w.audit(cus.id);
    if (!row) throw new Error('expected an audit row');
    const refused = async (p: Promise<unknown>) => {
      const e = await p.then(() => null, (err: unknown) => err);
      const text = `${String(e)} ${String((e as { cause?: unknown })?.cause ?? '')}`;
      expect(text).toMatch(/audit_log is append-only/);
    };
    await refused(w.db.update(auditLog).set({ reason: 'rewritten' }).where(eq(auditLog.id, row.id)));
    await refused(w.db.delete(auditLog).where(eq(auditLog.id, row.id)));
    await refused(w.db.execute(sql`truncate audit_log`));
    expect((await w.audit(cus.id))[0]).toEqual(row);
  });
});
