/**
 * The approval kinds Tally ships with, and the policy-aware entry points for staff actions (R14):
 * - `credit`: every goodwill credit (see credits).
 * - `subscription_change`: a staff plan change, when TALLY_APPROVALS has subscription_change.
 * - `coupon_create`: a large fixed-amount coupon, when TALLY_APPROVALS has coupon_above:<amount>.
 * Importing this module registers them; the approvals and credits index modules import it.
 */
import { Decimal } from '../../core/money/decimal.js';
import { invalid } from '../../shared/errors.js';
import { requireJustification } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import { checkCouponInput, createCoupon, insertCoupon, prepareCode, type CreateCouponInput, type ValidCouponInput } from '../coupons/coupons.js';
import type { Coupon } from '../coupons/model.js';
import { getCustomer } from '../customers/customers.js';
// Registers the `credit` kind.
import '../credits/credits.js';
import { changePlan, type ItemRequest, type Subscription } from '../subscriptions/index.js';
import { registerApprovalExecutor, requestApproval, type ApprovalRequest } from './approvals.js';
import { couponNeedsApproval, type ApprovalPolicy } from './policy.js';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);

/** What the approved action was asked for: the requester's reason and ticket, marked with the approval. */
const carriedWhy = (request: ApprovalRequest): Justification => ({
  reason: `${request.reason ?? request.kind} (approved in ${request.id}, requested by ${request.requestedBy})`,
  ticket: request.ticket,
});

// ── subscription_change ──────────────────────────────────────────────────────────────────────────────

function itemOf(payload: Record<string, unknown>): ItemRequest {
  const product = str(payload.product);
  if (!product) throw invalid('payload_invalid', 'A subscription change names its product.', 'payload.product');
  const plan = str(payload.plan);
  const price = str(payload.price);
  return { product, ...(plan ? { plan } : {}), ...(price ? { price } : {}) };
}

registerApprovalExecutor('subscription_change', {
  async validate(ctx, payload, customerId) {
    if (!customerId) throw invalid('customer_required', 'A subscription change names its customer.', 'customer');
    await getCustomer(ctx, customerId);
    itemOf(payload);
  },
  async execute(ctx, request) {
    if (!request.customerId) throw invalid('customer_required', 'A subscription change names its customer.', 'customer');
    const s = await changePlan(ctx, request.customerId, itemOf(request.payload), carriedWhy(request));
    return { subscription: s.id, items: s.items.map((i) => ({ product: i.productKey, plan: i.planKey, price: i.priceKey })) };
  },
});

export type PlanChangeOutcome = { readonly status: 'changed'; readonly subscription: Subscription } | { readonly status: 'pending_approval'; readonly approval: ApprovalRequest };

/**
 * A plan change under the approval policy: staff changes wait for an approver when the policy has
 * `subscription_change`; otherwise (and for instances and the system) the change happens now (R10).
 */
export async function changePlanUnderPolicy(ctx: ServiceContext, policy: ApprovalPolicy, customerId: string, item: ItemRequest, why: Justification = {}): Promise<PlanChangeOutcome> {
  if (ctx.actor.type === 'staff' && policy.subscriptionChange) {
    const payload = { product: item.product, ...(item.plan ? { plan: item.plan } : {}), ...(item.price ? { price: item.price } : {}) };
    return { status: 'pending_approval', approval: await requestApproval(ctx, 'subscription_change', payload, why, { customerId }) };
  }
  return { status: 'changed', subscription: await changePlan(ctx, customerId, item, why) };
}

// ── coupon_create ────────────────────────────────────────────────────────────────────────────────────

function encodeCoupon(v: ValidCouponInput): Record<string, unknown> {
  return {
    name: v.name,
    type: v.type,
    percent_off: v.percentOff?.toString() ?? null,
    amount_off: v.amountOff?.toString() ?? null,
    currency: v.currency,
    duration: v.duration,
    duration_in_months: v.durationInMonths,
    max_redemptions: v.maxRedemptions,
    redeem_by: v.redeemBy?.toISOString() ?? null,
    product_keys: v.productKeys,
    customer_facing_code: v.customerFacingCode,
  };
}

function decodeCoupon(p: Record<string, unknown>): ValidCouponInput {
  return {
    name: String(p.name),
    type: p.type === 'percent' ? 'percent' : 'fixed',
    percentOff: typeof p.percent_off === 'string' ? Decimal.parse(p.percent_off) : null,
    amountOff: typeof p.amount_off === 'string' ? BigInt(p.amount_off) : null,
    currency: str(p.currency) ?? null,
    duration: p.duration as ValidCouponInput['duration'],
    durationInMonths: typeof p.duration_in_months === 'number' ? p.duration_in_months : null,
    maxRedemptions: typeof p.max_redemptions === 'number' ? p.max_redemptions : null,
    redeemBy: typeof p.redeem_by === 'string' ? new Date(p.redeem_by) : null,
    productKeys: Array.isArray(p.product_keys) ? p.product_keys.map(String) : null,
    customerFacingCode: p.customer_facing_code === true,
  };
}

registerApprovalExecutor('coupon_create', {
  async validate(_ctx, payload) {
    if (typeof payload.coupon !== 'object' || payload.coupon === null) throw invalid('payload_invalid', 'A coupon approval carries the coupon.', 'payload.coupon');
  },
  async execute(ctx, request) {
    const v = decodeCoupon(request.payload.coupon as Record<string, unknown>);
    const hash = str(request.payload.code_hash);
    const hint = str(request.payload.code_hint);
    const coupon = await insertCoupon(ctx, v, hash && hint ? { hash, hint } : null, carriedWhy(request));
    return { coupon: coupon.id };
  },
});

export type CouponOutcome =
  | { readonly status: 'created'; readonly coupon: Coupon; readonly code: string | null }
  /** The code (if any) is shown now, once; it works only after approval creates the coupon. */
  | { readonly status: 'pending_approval'; readonly approval: ApprovalRequest; readonly code: string | null };

/** Creates a coupon, or — when the policy's coupon_above covers it and staff ask — files it for approval. */
export async function createCouponUnderPolicy(ctx: ServiceContext, policy: ApprovalPolicy, input: CreateCouponInput, why: Justification = {}): Promise<CouponOutcome> {
  requireJustification(ctx, why);
  const v = checkCouponInput(input, ctx.clock.now());
  if (ctx.actor.type !== 'staff' || !couponNeedsApproval(policy, v)) {
    const created = await createCoupon(ctx, input, why);
    return { status: 'created', coupon: created.coupon, code: created.code };
  }
  const generated = v.customerFacingCode ? prepareCode() : null;
  const payload = { coupon: encodeCoupon(v), ...(generated ? { code_hash: generated.prepared.hash, code_hint: generated.prepared.hint } : {}) };
  return { status: 'pending_approval', approval: await requestApproval(ctx, 'coupon_create', payload, why), code: generated?.code ?? null };
}
