/**
 * Jobs of the billing limits: the roll-over evaluation (a new period restarts usage, so a quota-limited
 * customer is restored and a next-period limit takes effect) and the retry of an evaluation that failed
 * after an ingestion. Both are idempotent: evaluation records an event only when the quota state crosses.
 */
import { systemActor, type ServiceContext } from '../context.js';
import { evaluateCustomerQuotas, evaluateQuota, LIMITS_EVALUATE_JOB, LIMITS_PERIOD_JOB } from './quota.js';

export { LIMITS_EVALUATE_JOB, LIMITS_PERIOD_JOB };

function field(payload: unknown, name: string): string {
  const v = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || !v) throw new Error(`job payload lacks '${name}'`);
  return v;
}

/**
 * `billing_limits.period_start`: re-evaluates every limit of the customer at the start of a period. The
 * evaluation queues the next one itself while a product stays limited or a next-period change waits, so
 * customers whose limits are not in play cost no job.
 */
export async function limitsPeriodJob(base: ServiceContext, payload: unknown): Promise<void> {
  const ctx = { ...base, actor: systemActor(LIMITS_PERIOD_JOB) };
  await evaluateCustomerQuotas(ctx, field(payload, 'customer_id'), { cause: 'period_start' });
}

/** `billing_limits.evaluate`: one product's evaluation, again. */
export async function limitsEvaluateJob(base: ServiceContext, payload: unknown): Promise<void> {
  const ctx = { ...base, actor: systemActor(LIMITS_EVALUATE_JOB) };
  await evaluateQuota(ctx, field(payload, 'customer_id'), field(payload, 'product'));
}
