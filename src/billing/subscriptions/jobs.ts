/**
 * Handlers of the time-driven subscription jobs. Each is idempotent: it re-reads state under the
 * customer lock and applies only what is still due, so a second run (or a run after the change it was
 * queued for was undone) does nothing.
 */
import { eq } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { JobRow } from '../../jobs/types.js';
import { subscriptions } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { withDb, type ServiceContext } from '../context.js';
import { lockCustomer, lockCustomers } from '../customers/customers.js';
import { expireTrial, TRIAL_EXPIRY_JOB } from '../customers/trials.js';
import { PERIOD_END_JOB, reloadSubscription, STARTUP_EXPIRY_JOB, withItems } from './internal.js';
import type { SubscriptionRow } from './model.js';
import { advanceSchedule, SCHEDULE_JOB } from './schedules.js';
import { advanceSubscription, onlyRollOverDue, rollOverMany } from './timeline.js';

export { PERIOD_END_JOB, SCHEDULE_JOB, STARTUP_EXPIRY_JOB, TRIAL_EXPIRY_JOB };

function field(payload: unknown, name: string): string {
  const v = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || !v) throw new Error(`job payload lacks '${name}'`);
  return v;
}

/** `subscription.period_end` and `subscription.startup_expiry`: applies every transition due now. */
export async function advanceSubscriptionJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  const id = field(payload, 'subscription_id');
  await inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const [row] = await tx.select({ customerId: subscriptions.customerId }).from(subscriptions).where(eq(subscriptions.id, id));
    if (!row) return;
    const customer = await lockCustomer(c, row.customerId);
    const sub = await reloadSubscription(tx, id);
    if (sub.status === 'canceled') return;
    await advanceSubscription(c, sub, customer.instanceId, c.clock.now());
  });
}

/**
 * Many `subscription.period_end` / `subscription.startup_expiry` jobs at once (a month end rolls every
 * subscription over at one instant): one transaction locks all their customers in id order, rolls the
 * plain roll-overs together (rollOverMany), and applies anything else (cancel at period end, startup
 * expiry, several periods missed) one subscription at a time, exactly as the single job does.
 */
export async function advanceSubscriptionsBatch(ctx: ServiceContext, list: readonly JobRow[]): Promise<void> {
  const ids = [...new Set(list.map((j) => field(j.payload, 'subscription_id')))];
  await inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const owners = await tx.select({ customerId: subscriptions.customerId }).from(subscriptions).where(anyOf(subscriptions.id, ids));
    const customers = await lockCustomers(c, owners.map((o) => o.customerId));
    // Read under the locks: a change that committed while we waited is seen.
    const rows = await tx.select().from(subscriptions).where(anyOf(subscriptions.id, ids)).orderBy(subscriptions.id);
    const now = c.clock.now();
    const plain: { sub: SubscriptionRow; instanceId: string | null }[] = [];
    for (const row of rows) {
      if (row.status === 'canceled') continue;
      const instanceId = customers.get(row.customerId)?.instanceId ?? null;
      if (onlyRollOverDue(row, now)) plain.push({ sub: row, instanceId });
      else await advanceSubscription(c, await withItems(tx, row), instanceId, now);
    }
    await rollOverMany(c, plain);
  });
}

/** `customer.trial_expiry`: records the end of the trial it was queued for, if that trial still ends then. */
export async function trialExpiryJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  const until = new Date(field(payload, 'until'));
  if (Number.isNaN(until.getTime())) throw new Error('job payload has an invalid until');
  await expireTrial(ctx, field(payload, 'customer_id'), until);
}

/** `subscription_schedule.advance`: applies the schedule's due phase starts and its end. */
export async function scheduleJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  await advanceSchedule(ctx, field(payload, 'schedule_id'));
}
