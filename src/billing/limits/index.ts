export { defaultDiscountLookup, fromCouponLookup, type CouponDiscount, type DiscountLookup, type LimitOptions } from './discount-lookup.js';
export { getBillingLimit, getBillingLimits, removeBillingLimit, setBillingLimit, type BillingLimit, type LimitEffective, type SetBillingLimitInput } from './limits.js';
export { computeQuota, evaluateCustomerQuotas, evaluateQuota, evaluateTouched, type EvaluationCause, type ProductQuota, type QuotaStatus, type TouchedEvaluation } from './quota.js';
export { freeAllocationOf, getBillingState, getCurrentUsage, projectUsage, type BillingState, type MetricUsage, type ProductBillingState } from './state.js';
export { limitsEvaluateJob, limitsPeriodJob, LIMITS_EVALUATE_JOB, LIMITS_PERIOD_JOB } from './jobs.js';
