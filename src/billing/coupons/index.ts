export { CODE_ALPHABET, CODE_LENGTH, codeHint, generateCouponCode, hashCouponCode, meetsCodeRules } from './codes.js';
export { checkCouponInput, createCoupon, getCoupon, insertCoupon, listCoupons, prepareCode, retireCoupon, type CreateCouponInput, type CreatedCoupon, type PreparedCode, type ValidCouponInput } from './coupons.js';
export {
  activeDiscountFor,
  activeDiscountsFor,
  applyCoupon,
  getCustomerCoupon,
  listCouponHolders,
  listCustomerCoupons,
  recordCouponUse,
  redeemCouponCode,
  removeCustomerCoupon,
  REDEMPTION_ATTEMPTS_LIMIT,
  REDEMPTION_WINDOW_MS,
  type ActiveDiscount,
  type AppliedCoupon,
  type HeldCoupon,
} from './apply.js';
export * from './model.js';
export { couponValueForMonths, planStack, MAX_COUPON_MONTHS, type PlanMonthsInput, type StackPlan, type StackPart, type StackSide } from './value.js';
