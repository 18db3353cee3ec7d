import { pruneIdempotencyKeys } from '../store/idempotency.js';
import { pruneFinishedJobs } from './prune.js';
import { JobRegistry } from './registry.js';
import {
  advanceSubscriptionJob,
  advanceSubscriptionsBatch,
  PERIOD_END_JOB,
  SCHEDULE_JOB,
  scheduleJob,
  STARTUP_EXPIRY_JOB,
  TRIAL_EXPIRY_JOB,
  trialExpiryJob,
} from '../billing/subscriptions/jobs.js';
import { LIMITS_EVALUATE_JOB, LIMITS_PERIOD_JOB, limitsEvaluateJob, limitsPeriodJob } from '../billing/limits/jobs.js';
import { CLOSE_PERIOD_JOB, closePeriodJob, closePeriodsBatch, OPEN_PERIOD_JOB, openPeriodJob } from '../billing/invoicing/index.js';
import { deliverJob, fanOutJob } from '../billing/webhooks/dispatch.js';
import { WEBHOOK_DELIVER_JOB, WEBHOOK_FAN_OUT_JOB } from '../billing/webhooks/job-kinds.js';
import { pruneWebhookDeliveries } from '../billing/webhooks/prune-deliveries.js';
import { ManualProvider } from '../billing/providers/manual.js';
import { PROCESS_WEBHOOK_JOB, PUSH_INVOICE_JOB, SEND_INVOICE_JOB, SYNC_CUSTOMER_JOB } from '../billing/providers/job-kinds.js';
import { providerJobHandlers } from '../billing/providers/jobs.js';
import type { PaymentProvider } from '../billing/providers/types.js';
import { CONTRACT_GO_LIVE_JOB, contractGoLiveJob } from '../billing/contracts/contracts.js';

const HOUR_MS = 60 * 60 * 1_000;
/** Idempotency keys are honoured for 24 hours, as at Stripe. */
const IDEMPOTENCY_KEY_TTL_MS = 24 * HOUR_MS;
const DAY_MS = 24 * HOUR_MS;
/** Finished jobs are kept this long (failed ones longer, for whoever looks into them), then pruned. */
const SUCCEEDED_JOB_TTL_MS = 7 * DAY_MS;
const FAILED_JOB_TTL_MS = 30 * DAY_MS;
/** Ended webhook deliveries are kept (and can be resent) for 30 days, as Stripe keeps events. */
const WEBHOOK_DELIVERY_TTL_MS = 30 * DAY_MS;

/** Roll-overs and period closes due at one instant run this many to a transaction (see executeJobs). */
const ROLL_OVER_BATCH = 500;
const CLOSE_BATCH = 500;

export interface JobRegistryDeps {
  /** The payment provider the provider jobs talk to (default: the manual provider). */
  provider?: PaymentProvider;
}

/** Every job kind Tally runs. Add new kinds here; `tally serve` and `tally worker` both use this. */
export function buildJobRegistry(deps: JobRegistryDeps = {}): JobRegistry {
  const provider = providerJobHandlers(deps.provider ?? new ManualProvider());
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
      .register(
        'prune_finished_jobs',
        async (ctx) => {
          const now = ctx.clock.now().getTime();
          await pruneFinishedJobs(ctx.db, new Date(now - SUCCEEDED_JOB_TTL_MS), new Date(now - FAILED_JOB_TTL_MS));
        },
        { everyMs: HOUR_MS },
      )
      .register(
        'prune_webhook_deliveries',
        async (ctx) => {
          await pruneWebhookDeliveries(ctx.db, new Date(ctx.clock.now().getTime() - WEBHOOK_DELIVERY_TTL_MS));
        },
        { everyMs: HOUR_MS },
      )
      // Subscriptions: period roll-over, startup expiry (R6), free-trial end (R9), schedule phases.
      .register(PERIOD_END_JOB, advanceSubscriptionJob, { batch: { handler: advanceSubscriptionsBatch, max: ROLL_OVER_BATCH } })
      .register(STARTUP_EXPIRY_JOB, advanceSubscriptionJob)
      .register(TRIAL_EXPIRY_JOB, trialExpiryJob)
      .register(SCHEDULE_JOB, scheduleJob)
      // Billing limits (R12): quota re-evaluation at the period roll-over, and retries after ingestion.
      .register(LIMITS_PERIOD_JOB, limitsPeriodJob)
      .register(LIMITS_EVALUATE_JOB, limitsEvaluateJob)
      // Invoicing: each closed period once, after the grace period (R17); first-period fees in advance.
      .register(CLOSE_PERIOD_JOB, closePeriodJob, { batch: { handler: closePeriodsBatch, max: CLOSE_BATCH } })
      .register(OPEN_PERIOD_JOB, openPeriodJob)
      // Outbound webhooks: each recorded event fanned out to the endpoints that want it, then delivered.
      .register(WEBHOOK_FAN_OUT_JOB, fanOutJob)
      .register(WEBHOOK_DELIVER_JOB, deliverJob)
      // Payment provider: mirror finalized invoices and follow their transitions; emails; webhooks in.
      .register(PUSH_INVOICE_JOB, provider.push)
      .register(SEND_INVOICE_JOB, provider.send)
      .register(PROCESS_WEBHOOK_JOB, provider.webhook)
      .register(SYNC_CUSTOMER_JOB, provider.syncCustomer)
      // Contracts: at the start, the subscription is linked and the up-front invoice finalized and sent (R19).
      .register(CONTRACT_GO_LIVE_JOB, contractGoLiveJob)
  );
}
