/**
 * Free trials (R9): `free_trial_until` gives the premium plans' features until that instant. Entitlements
 * compare it with the clock themselves, so they are right on the instant; the expiry job only records
 * `customer.trial_ended` and bumps the revision (the timeline entry and the cache invalidation).
 */
import { and, eq, sql } from 'drizzle-orm';
import { invalid } from '../../shared/errors.js';
import { customers, events } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { systemActor, withDb, type Justification, type ServiceContext } from '../context.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { bumpCustomerRevision, getCustomer, lockCustomer, type Customer } from './customers.js';
import { lockCustomerInScope } from './scope.js';
import { recordEvent } from '../events/record-event.js';

export const TRIAL_EXPIRY_JOB = 'customer.trial_expiry';

async function setTrial(c: ServiceContext, before: Customer, until: Date | null): Promise<Customer> {
  await c.db.update(customers).set({ freeTrialUntil: until, updatedAt: c.clock.now() }).where(eq(customers.id, before.id));
  await bumpCustomerRevision(c, before.id);
  return getCustomer(c, before.id);
}

/**
 * Starts (or moves the end of) a free trial until `until`, which must be in the future. From an instance
 * (the trial button in the product) or staff (with a reason, audited).
 */
export async function startTrial(ctx: ServiceContext, customerId: string, until: Date, why: Justification = {}): Promise<Customer> {
  requireJustification(ctx, why);
  if (!(until instanceof Date) || Number.isNaN(until.getTime())) throw invalid('invalid_date', 'until is not a valid date.', 'until');
  const now = ctx.clock.now();
  if (until.getTime() <= now.getTime()) throw invalid('trial_end_in_past', `A trial must end in the future; ${until.toISOString()} is not after ${now.toISOString()}.`, 'until');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockCustomerInScope(c, customerId);
    const after = await setTrial(c, before, until);
    const iso = until.toISOString();
    await enqueueJob(c, { kind: TRIAL_EXPIRY_JOB, payload: { customer_id: customerId, until: iso }, runAt: until, dedupeKey: `${TRIAL_EXPIRY_JOB}:${customerId}:${iso}` });
    await recordEvent(c, {
      type: 'customer.trial_started',
      instanceId: before.instanceId,
      customerId,
      objectId: customerId,
      data: { free_trial_until: iso, previous: before.freeTrialUntil?.toISOString() ?? null },
    });
    if (c.actor.type === 'staff') {
      await recordAudit(c, { action: 'customer.trial_start', targetType: 'customer', targetId: customerId, customerId, before: { free_trial_until: before.freeTrialUntil }, after: { free_trial_until: until }, ...why });
    }
    return after;
  });
}

/** Ends a running trial now (clears `free_trial_until`). A customer without a running trial is left alone. */
export async function cancelTrial(ctx: ServiceContext, customerId: string, why: Justification = {}): Promise<Customer> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockCustomerInScope(c, customerId);
    if (before.freeTrialUntil === null || before.freeTrialUntil.getTime() <= c.clock.now().getTime()) return before;
    const after = await setTrial(c, before, null);
    await recordEvent(c, { type: 'customer.trial_canceled', instanceId: before.instanceId, customerId, objectId: customerId, data: { free_trial_until: before.freeTrialUntil.toISOString() } });
    if (c.actor.type === 'staff') {
      await recordAudit(c, { action: 'customer.trial_cancel', targetType: 'customer', targetId: customerId, customerId, before: { free_trial_until: before.freeTrialUntil }, after: { free_trial_until: null }, ...why });
    }
    return after;
  });
}

/**
 * The trial-expiry job: when the customer's trial still ends at `until` (not moved or canceled since) and
 * that instant has come, records `customer.trial_ended` once and bumps the revision. Idempotent.
 */
export async function expireTrial(ctx: ServiceContext, customerId: string, until: Date): Promise<boolean> {
  return inTransaction(ctx.db, async (tx) => {
    const c: ServiceContext = { ...withDb(ctx, tx), actor: systemActor(TRIAL_EXPIRY_JOB) };
    const customer = await lockCustomer(c, customerId);
    if (customer.freeTrialUntil?.getTime() !== until.getTime() || until.getTime() > c.clock.now().getTime()) return false;
    const iso = until.toISOString();
    const [done] = await tx
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.customerId, customerId), eq(events.type, 'customer.trial_ended'), sql`${events.data}->>'free_trial_until' = ${iso}`))
      .limit(1);
    if (done) return false;
    await bumpCustomerRevision(c, customerId);
    await recordEvent(c, { type: 'customer.trial_ended', instanceId: customer.instanceId, customerId, objectId: customerId, data: { free_trial_until: iso } });
    return true;
  });
}
