import { invalid } from '../../shared/errors.js';

/**
 * Which staff actions need a second person's approval (R14). Credits always do (R13); the rest is
 * configured with TALLY_APPROVALS, a comma-separated list:
 *   credit                 always on (accepted for clarity)
 *   subscription_change    staff plan changes wait for an approver
 *   coupon_above:<amount>  fixed-amount coupons worth more than <amount> minor units wait for an approver
 *   custom_price           bespoke prices wait for an approver (for the services that create them)
 * Unset or empty: credits only.
 */
export interface ApprovalPolicy {
  readonly credit: true;
  readonly subscriptionChange: boolean;
  /** Coupons whose total fixed value exceeds this (minor units) need approval; null = none do. */
  readonly couponAbove: bigint | null;
  readonly customPrice: boolean;
}

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = { credit: true, subscriptionChange: false, couponAbove: null, customPrice: false };

export function parseApprovalPolicy(text: string | null | undefined, param = 'TALLY_APPROVALS'): ApprovalPolicy {
  let subscriptionChange = false;
  let couponAbove: bigint | null = null;
  let customPrice = false;
  for (const raw of (text ?? '').split(',')) {
    const token = raw.trim();
    if (!token || token === 'credit') continue;
    if (token === 'subscription_change') subscriptionChange = true;
    else if (token === 'custom_price') customPrice = true;
    else if (token.startsWith('coupon_above:')) {
      const n = token.slice('coupon_above:'.length).trim();
      if (!/^\d{1,15}$/.test(n)) throw invalid('invalid_setting', `${param}: coupon_above needs a whole amount in minor units (coupon_above:50000); got '${n}'.`, param);
      couponAbove = BigInt(n);
    } else {
      throw invalid('invalid_setting', `${param}: unknown action '${token}'; use credit, subscription_change, coupon_above:<minor units> or custom_price.`, param);
    }
  }
  return { credit: true, subscriptionChange, couponAbove, customPrice };
}

/** The policy as the TALLY_APPROVALS text that produces it. */
export function formatApprovalPolicy(p: ApprovalPolicy): string {
  return ['credit', p.subscriptionChange ? 'subscription_change' : null, p.couponAbove !== null ? `coupon_above:${p.couponAbove}` : null, p.customPrice ? 'custom_price' : null]
    .filter((t) => t !== null)
    .join(',');
}

/**
 * Whether a coupon needs approval under `coupon_above`: its total fixed value — the amount for `once`,
 * amount × months for `repeating`, unbounded for `forever` — exceeds the threshold. Percentage coupons
 * have no value until an invoice exists and are not covered by this rule.
 */
export function couponNeedsApproval(
  p: ApprovalPolicy,
  c: { type: 'percent' | 'fixed'; amountOff: bigint | null; duration: 'once' | 'repeating' | 'forever'; durationInMonths: number | null },
): boolean {
  if (p.couponAbove === null || c.type !== 'fixed' || c.amountOff === null) return false;
  if (c.duration === 'forever') return true;
  const value = c.duration === 'repeating' ? c.amountOff * BigInt(c.durationInMonths ?? 1) : c.amountOff;
  return value > p.couponAbove;
}
