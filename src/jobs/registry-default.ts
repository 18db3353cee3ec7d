import { pruneIdempotencyKeys } from '../store/idempotency.js';
import { JobRegistry } from './registry.js';
import {
  advanceSubscriptionJob,
  PERIOD_END_JOB,
  SCHEDULE_JOB,
  scheduleJob,
  STARTUP_EXPIRY_JOB,
  TRIAL_EXPIRY_JOB,
  trialExpiryJob,
} from '../billing/subscriptions/jobs.js';
import { LIMITS_EVALUATE_JOB, LIMITS_PERIOD_JOB, limitsEvaluateJob, limitsPeriodJob } from '../billing/limits/jobs.js';
import { CONTRACT_GO_LIVE_JOB, contractGoLiveJob } from '../billing/contracts/contracts.js';
import { CLOSE_PERIOD_JOB, closePeriodJob, OPEN_PERIOD_JOB, openPeriodJob } from '../billing/invoicing/index.js';

const HOUR_MS = 60 * 60 * 1_000;
/** Idempotency keys are honoured for 24 hours, as at Stripe. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * HOUR_MS;

/** Every job kind Tally runs. Add new kinds here; `tally serve` and `tally worker` both use this. */
export function buildJobRegistry(): JobRegistry {
  return (
    new JobRegistry()
      // Does nothing: for checking that a worker is alive and for tests.
      .register('noop', async () => {})
      .register(
        'prune_idempotency_keys',
        async (ctx) => {
          await pruneIdempotencyKeys(ctx.db, new Date(ctx.clock.now().getTime() - IDEMPOTENCY_KEY_TTL_MS));
        },
        { everyMs: HOUR_MS },
      )
      // Subscriptions: period roll-over, startup expiry (R6), free-trial end (R9), schedule phases.
      .register(PERIOD_END_JOB, advanceSubscriptionJob)
      .register(STARTUP_EXPIRY_JOB, advanceSubscriptionJob)
      .register(TRIAL_EXPIRY_JOB, trialExpiryJob)
      .register(SCHEDULE_JOB, scheduleJob)
      // Billing limits (R12): quota re-evaluation at the period roll-over, and retries after ingestion.
      .register(LIMITS_PERIOD_JOB, limitsPeriodJob)
      .register(LIMITS_EVALUATE_JOB, limitsEvaluateJob)
      // Invoicing: each closed period once, after the grace period (R17); first-period fees in advance.
      .register(CLOSE_PERIOD_JOB, closePeriodJob)
      .register(OPEN_PERIOD_JOB, openPeriodJob)
      // Contracts: at the start, the subscription is linked and the up-front invoice finalized and sent (R19).
      .register(CONTRACT_GO_LIVE_JOB, contractGoLiveJob)
  );
}
