/**
 * Time-driven subscription transitions: period roll-over (with cancel at period end) and startup expiry
 * (R6). Both are applied by `advanceSubscription`, in time order, for everything due up to an instant —
 * by their jobs, and first thing by every change, so a change made after an expiry whose job has not run
 * yet still sees the expiry applied before it (and item history stays in time order).
 */
import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { periodAt } from '../../core/periods/calendar.js';
import { planStartupReset } from '../../core/subscriptions/startup.js';
import { assertTransition } from '../../core/subscriptions/status.js';
import { subscriptionItems, subscriptionSchedules, subscriptions } from '../../store/schema.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../context.js';
import { bumpCustomerRevision } from '../customers/customers.js';
import { recordEvent, recordEvents, type EventInput } from '../events/record-event.js';
import {
  applyProductTarget,
  enqueueRollOver,
  notBeforeItems,
  PERIOD_END_JOB,
  refreshSubscription,
  rollOverJob,
  STARTUP_EXPIRY_JOB,
  type ItemChange,
} from './internal.js';
import { itemSummary, type Subscription, type SubscriptionRow } from './model.js';
import { enqueueJob, enqueueJobs, type NewJob } from '../../jobs/enqueue.js';
import { CLOSE_PERIOD_JOB, closePeriodDedupeKey } from '../invoicing/job-kinds.js';
import { invoiceGraceMs } from '../invoicing/grace.js';

// A clock jump of a century of monthly periods is still only this many steps; more means a bug.
const MAX_STEPS = 5_000;

/** What closing a period tells the invoicing: which subscription, which span, and why it closed. */
export interface PeriodClosed {
  subscription_id: string;
  period_start: string;
  period_end: string;
  /**
   * `roll_over` at a period end; `interval_change` when a schedule re-anchored it; `canceled` when the
   * subscription ended — at a period end, or immediately, closing a partial period at the cancel instant
   * (the one period end that is not at 00:00 UTC: read its usage up to the next 00:00 UTC).
   */
  reason: 'roll_over' | 'canceled' | 'interval_change';
}

/**
 * Records the close of `[sub.currentPeriodStart, end)`. This is where invoicing hooks in: the invoice for
 * the period prices the items in force at its end (`itemsAtPeriodEnd`), and re-counts the whole period's
 * usage from the stored events (usage is kept per customer and metric, not per item), so swapping a
 * metered price mid-period keeps the period's usage (R10) and bills all of it at the price in force at
 * period end — never prorated.
 */
export async function recordPeriodClosed(ctx: ServiceContext, sub: Subscription, instanceId: string | null, end: Date, reason: PeriodClosed['reason']): Promise<void> {
  const r = periodClosedRecords(sub, instanceId, end, reason, await invoiceGraceMs(ctx.db));
  await recordEvent(ctx, r.event);
  await enqueueJob(ctx, r.job);
}

/** The event and the invoicing job that record a period's close (one subscription's, or a batch's). */
function periodClosedRecords(sub: SubscriptionRow, instanceId: string | null, end: Date, reason: PeriodClosed['reason'], graceMs: number): { event: EventInput; job: NewJob } {
  const data: PeriodClosed = {
    subscription_id: sub.id,
    period_start: sub.currentPeriodStart.toISOString(),
    period_end: end.toISOString(),
    reason,
  };
  return {
    event: { type: 'subscription.period_closed', instanceId, customerId: sub.customerId, objectId: sub.id, data: { ...data } },
    // The invoice waits out the grace period for late usage (R17); the dedupe key makes it one per period.
    job: { kind: CLOSE_PERIOD_JOB, payload: { ...data }, runAt: new Date(end.getTime() + graceMs), dedupeKey: closePeriodDedupeKey(sub.id, data.period_start) },
  };
}

/**
 * True when all that is due for `sub` at `now` is one plain roll-over: no cancel at the period end, no
 * startup expiry due, and the next period not over yet. Those are rolled over together by rollOverMany.
 */
export function onlyRollOverDue(sub: SubscriptionRow, now: Date): boolean {
  if (sub.status === 'canceled' || sub.cancelAtPeriodEnd) return false;
  if (sub.startupExpiresAt && sub.startupExpiresAt.getTime() <= now.getTime()) return false;
  const end = sub.currentPeriodEnd;
  return end.getTime() <= now.getTime() && periodAt(sub.billingAnchor, sub.interval, end).end.getTime() > now.getTime();
}

/**
 * The roll-over of many subscriptions for which onlyRollOverDue holds, with the same records as
 * advanceSubscription writes for each (the period_closed event, the invoicing job, the new period, the
 * next roll-over job) in a handful of statements. The caller holds every customer's lock.
 */
export async function rollOverMany(base: ServiceContext, subs: readonly { sub: SubscriptionRow; instanceId: string | null }[]): Promise<void> {
  if (subs.length === 0) return;
  const ctx = { ...base, actor: systemActor(PERIOD_END_JOB) };
  const now = ctx.clock.now();
  const graceMs = await invoiceGraceMs(ctx.db);
  const closed = subs.map(({ sub, instanceId }) => periodClosedRecords(sub, instanceId, sub.currentPeriodEnd, 'roll_over', graceMs));
  const next = subs.map(({ sub }) => ({ id: sub.id, start: sub.currentPeriodEnd, end: periodAt(sub.billingAnchor, sub.interval, sub.currentPeriodEnd).end }));
  await recordEvents(ctx, closed.map((c) => c.event));
  // One array per column (unnest): a short statement however many subscriptions roll over.
  await ctx.db.execute(
    sql`update subscriptions as s set current_period_start = v.ps, current_period_end = v.pe, updated_at = ${now.toISOString()}::timestamptz
        from unnest(${sql.param(next.map((n) => n.id))}::text[], ${sql.param(next.map((n) => n.start.toISOString()))}::timestamptz[],
                    ${sql.param(next.map((n) => n.end.toISOString()))}::timestamptz[]) as v(id, ps, pe)
        where s.id = v.id`,
  );
  await enqueueJobs(ctx, [...closed.map((c) => c.job), ...next.map((n) => rollOverJob(n.id, n.end))]);
}

/**
 * Cancels `sub` at `at`: closes the (possibly partial) current period, ends every live item, and detaches
 * a schedule that was driving it. The caller holds the customer lock and bumps the revision.
 */
export async function cancelNow(ctx: ServiceContext, sub: Subscription, instanceId: string | null, at: Date, immediate: boolean): Promise<void> {
  assertTransition(sub.status, 'canceled');
  const end = notBeforeItems(sub, at);
  if (end.getTime() > sub.currentPeriodStart.getTime()) await recordPeriodClosed(ctx, sub, instanceId, end, 'canceled');
  await ctx.db
    .update(subscriptionItems)
    .set({ endedAt: end })
    .where(and(eq(subscriptionItems.subscriptionId, sub.id), isNull(subscriptionItems.endedAt)));
  const ended = sub.items.map(itemSummary);
  sub.items = [];
  Object.assign(sub, { status: 'canceled', canceledAt: end, currentPeriodEnd: end > sub.currentPeriodStart ? end : sub.currentPeriodEnd, startupExpiresAt: null, updatedAt: ctx.clock.now() });
  await ctx.db
    .update(subscriptions)
    .set({ status: 'canceled', canceledAt: end, currentPeriodEnd: sub.currentPeriodEnd, startupExpiresAt: null, updatedAt: sub.updatedAt })
    .where(eq(subscriptions.id, sub.id));
  if (sub.scheduleId) {
    await ctx.db
      .update(subscriptionSchedules)
      .set({ status: 'canceled', updatedAt: sub.updatedAt })
      .where(and(eq(subscriptionSchedules.id, sub.scheduleId), inArray(subscriptionSchedules.status, ['not_started', 'active'])));
  }
  await recordEvent(ctx, {
    type: 'subscription.canceled',
    instanceId,
    customerId: sub.customerId,
    objectId: sub.id,
    data: { canceled_at: end.toISOString(), immediate, ended_items: ended },
  });
}

/**
 * R6: every item resets at once when the earliest startup price runs out (see planStartupReset for the
 * rules). Applied at the expiry instant (or the latest item start, if a change came after it).
 */
async function applyStartupExpiry(ctx: ServiceContext, sub: Subscription, instanceId: string | null): Promise<ItemChange[]> {
  const expiredAt = sub.startupExpiresAt!;
  const at = notBeforeItems(sub, expiredAt);
  const cv = await currentCatalogVersion(ctx.db);
  const plan = planStartupReset(cv.catalog, sub.items, sub.currency, sub.interval, at);
  const changes: ItemChange[] = [];
  const rules: Record<string, string> = {};
  for (const r of plan) {
    if (r.action === 'keep') continue;
    const target = r.action === 'replace' ? { planKey: r.planKey, prices: r.prices, catalogVersionId: cv.id } : null;
    const change = await applyProductTarget(ctx, sub, r.productKey, target, at, true);
    if (change) {
      changes.push(change);
      rules[r.productKey] = r.rule;
    }
  }
  await refreshSubscription(ctx, sub);
  await recordEvent(ctx, {
    type: 'subscription.startup_expired',
    instanceId,
    customerId: sub.customerId,
    objectId: sub.id,
    data: { expired_at: expiredAt.toISOString(), applied_at: at.toISOString(), rules, changes },
  });
  return changes;
}

/**
 * Applies every transition of `sub` due at or before `until`, oldest first: period ends (a clock jump
 * closes each missed period in turn, one `subscription.period_closed` event each; a pending cancel
 * executes at its period end) and the startup expiry. Bumps the customer's revision once when what the
 * customer may use changed, and queues the job for the next period end. True when anything happened.
 * The caller holds the customer lock inside a transaction.
 */
export async function advanceSubscription(base: ServiceContext, sub: Subscription, instanceId: string | null, until: Date): Promise<boolean> {
  let acted = false;
  let entitlementsChanged = false;
  let rolled = false;
  for (let step = 0; sub.status !== 'canceled'; step++) {
    if (step > MAX_STEPS) throw new Error(`subscription ${sub.id}: more than ${MAX_STEPS} transitions due at once`);
    const periodEnd = sub.currentPeriodEnd.getTime() <= until.getTime() ? sub.currentPeriodEnd : null;
    const expiry = sub.startupExpiresAt && sub.startupExpiresAt.getTime() <= until.getTime() ? sub.startupExpiresAt : null;
    if (!periodEnd && !expiry) break;
    acted = true;
    // At the same instant the period closes first, so it closes with the startup items in force at its end.
    if (expiry && (!periodEnd || expiry.getTime() < periodEnd.getTime())) {
      const ctx = { ...base, actor: systemActor(STARTUP_EXPIRY_JOB) };
      const changes = await applyStartupExpiry(ctx, sub, instanceId);
      if (changes.length > 0) entitlementsChanged = true;
      continue;
    }
    const ctx = { ...base, actor: systemActor(PERIOD_END_JOB) };
    const end = periodEnd!;
    if (sub.cancelAtPeriodEnd) {
      await cancelNow(ctx, sub, instanceId, end, false);
      entitlementsChanged = true;
      break;
    }
    await recordPeriodClosed(ctx, sub, instanceId, end, 'roll_over');
    sub.currentPeriodStart = end;
    sub.currentPeriodEnd = periodAt(sub.billingAnchor, sub.interval, end).end;
    rolled = true;
  }
  if (rolled) {
    sub.updatedAt = base.clock.now();
    await base.db
      .update(subscriptions)
      .set({ currentPeriodStart: sub.currentPeriodStart, currentPeriodEnd: sub.currentPeriodEnd, updatedAt: sub.updatedAt })
      .where(eq(subscriptions.id, sub.id));
    if (sub.status !== 'canceled') await enqueueRollOver(base, sub.id, sub.currentPeriodEnd);
  }
  if (entitlementsChanged) await bumpCustomerRevision(base, sub.customerId);
  return acted;
}
