/**
 * Subscription schedules (R19): future-dated phases that take over a customer's subscription at their
 * start — an annual contract that starts next month for three years, say. Each phase start and the end
 * are jobs; the jobs (and the creation itself, for a phase starting now) call `advanceSchedule`, which
 * applies every step that is due, in order, and is a no-op for steps already applied.
 */
import { and, eq, inArray } from 'drizzle-orm';
import type { Interval, Price } from '../../core/catalog/model.js';
import { addInterval } from '../../core/periods/calendar.js';
import { checkAddonParents, chooseInterval, resolveItem, type ItemRequest } from '../../core/subscriptions/items.js';
import { phaseEnds } from '../../core/subscriptions/schedule.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { subscriptionSchedules, subscriptions } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { systemActor, withDb, type Justification, type ServiceContext } from '../context.js';
import { bumpCustomerRevision, getCustomer, lockCustomer, type Customer } from '../customers/customers.js';
import { getCustomerInScope, instanceScope, lockCustomerInScope, seesInstance } from '../customers/scope.js';
import { recordEvent } from '../events/record-event.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import {
  applyProductTarget,
  catalogOf,
  enqueueRollOver,
  insertSubscription,
  liveSubscription,
  notBeforeItems,
  refreshSubscription,
  type ItemChange,
} from './internal.js';
import { itemSummary, type Subscription } from './model.js';
import { advanceSubscription, cancelNow, recordPeriodClosed } from './timeline.js';

export const SCHEDULE_JOB = 'subscription_schedule.advance';

export interface SchedulePhaseInput {
  start: Date;
  /** Length in months (36 for a three-year term). */
  months: number;
  /** Billing interval during the phase; by default that of its prices (monthly when plans offer both). */
  interval?: Interval;
  items: readonly ItemRequest[];
}

export interface CreateScheduleInput {
  phases: readonly SchedulePhaseInput[];
  /** After the last phase: `release` leaves the subscription running as it is; `cancel` cancels it. */
  endBehavior: 'release' | 'cancel';
}

/** A phase as stored: prices resolved when the schedule was made, from the catalog version then current. */
export interface StoredPhase {
  start: string;
  end: string;
  interval: Interval;
  catalog_version_id: string;
  items: { product_key: string; plan_key: string; price_key: string }[];
}

export type ScheduleStatus = 'not_started' | 'active' | 'completed' | 'released' | 'canceled';

export interface SubscriptionSchedule {
  id: string;
  customerId: string;
  /** `completed` once the last phase ended (either end behavior); `released`/`canceled` when ended early by staff. */
  status: ScheduleStatus;
  endBehavior: 'release' | 'cancel';
  phases: StoredPhase[];
  currentPhase: number | null;
  subscriptionId: string | null;
  createdAt: Date;
  updatedAt: Date;
}

type ScheduleRow = typeof subscriptionSchedules.$inferSelect;
const toSchedule = (r: ScheduleRow): SubscriptionSchedule => ({ ...r, phases: r.phases as StoredPhase[] });

const OPEN: ScheduleStatus[] = ['not_started', 'active'];

/**
 * Creates a schedule. Phases are contiguous (each starts where the previous ends) and the first may start
 * in the future; items resolve now against the current catalog — the prices agreed — and keep that
 * catalog version when applied. A customer has one open schedule at a time. A phase starting now applies
 * at once.
 */
export async function createSchedule(ctx: ServiceContext, customerId: string, input: CreateScheduleInput, why: Justification = {}): Promise<SubscriptionSchedule> {
  requireJustification(ctx, why);
  if (input.endBehavior !== 'release' && input.endBehavior !== 'cancel') {
    throw invalid('invalid_end_behavior', `endBehavior must be 'release' or 'cancel'; got '${String(input.endBehavior)}'.`, 'end_behavior');
  }
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomerInScope(c, customerId);
    const [open] = await tx
      .select({ id: subscriptionSchedules.id })
      .from(subscriptionSchedules)
      .where(and(eq(subscriptionSchedules.customerId, customerId), inArray(subscriptionSchedules.status, OPEN)));
    if (open) throw conflict('schedule_exists', `Customer '${customerId}' already has an open schedule (${open.id}); release or cancel it first.`, 'customer');
    const now = c.clock.now();
    const ends = phaseEnds(input.phases, now);
    const cv = await currentCatalogVersion(tx);
    const phases: StoredPhase[] = input.phases.map((phase, i) => {
      const param = `phases.${i}.items`;
      if (!Array.isArray(phase.items) || phase.items.length === 0) throw invalid('items_required', `Phase ${i} needs at least one item.`, param);
      const interval = phase.interval ?? chooseInterval(cv.catalog, phase.items, customer.currency, param);
      const resolved = phase.items.map((r, k) => resolveItem(cv.catalog, r, customer.currency, interval, `${param}.${k}`));
      const index = new Map<string, number>();
      resolved.forEach((r, k) => {
        if (index.has(r.productKey)) throw invalid('duplicate_product', `'${r.productKey}' appears twice in phase ${i}.`, `${param}.${k}.product`);
        if (r.prices.length === 0) throw invalid('plan_not_billable', `Plan '${r.planKey}' of '${r.productKey}' has no prices.`, `${param}.${k}.plan`);
        index.set(r.productKey, k);
      });
      checkAddonParents(cv.catalog, new Set(index.keys()), (k) => `${param}.${index.get(k)}.product`);
      return {
        start: phase.start.toISOString(),
        end: ends[i]!.toISOString(),
        interval,
        catalog_version_id: cv.id,
        items: resolved.flatMap((r) => r.prices.map((p) => ({ product_key: r.productKey, plan_key: r.planKey, price_key: p.key }))),
      };
    });
    const id = newId('schedule', now);
    const [row] = await tx
      .insert(subscriptionSchedules)
      .values({ id, customerId, status: 'not_started', endBehavior: input.endBehavior, phases, currentPhase: null, subscriptionId: null, createdAt: now, updatedAt: now })
      .returning();
    const dedupe = (step: string) => `${SCHEDULE_JOB}:${id}:${step}`;
    for (const [i, p] of phases.entries()) {
      await enqueueJob(c, { kind: SCHEDULE_JOB, payload: { schedule_id: id }, runAt: new Date(p.start), dedupeKey: dedupe(`phase:${i}`) });
    }
    await enqueueJob(c, { kind: SCHEDULE_JOB, payload: { schedule_id: id }, runAt: ends[ends.length - 1]!, dedupeKey: dedupe('end') });
    await recordEvent(c, { type: 'subscription_schedule.created', instanceId: customer.instanceId, customerId, objectId: id, data: { end_behavior: input.endBehavior, phases } });
    const schedule = toSchedule(row!);
    if (c.actor.type === 'staff') {
      await recordAudit(c, { action: 'subscription_schedule.create', targetType: 'subscription_schedule', targetId: id, customerId, after: schedule, ...why });
    }
    if (new Date(phases[0]!.start).getTime() <= now.getTime()) return advanceScheduleLocked(c, customer, id);
    return schedule;
  });
}

export async function getSchedule(ctx: ServiceContext, scheduleId: string): Promise<SubscriptionSchedule> {
  const [row] = await ctx.db.select().from(subscriptionSchedules).where(eq(subscriptionSchedules.id, scheduleId));
  if (!row) throw notFound('subscription schedule', scheduleId, 'schedule');
  if (instanceScope(ctx) !== undefined && !seesInstance(ctx, (await getCustomer(ctx, row.customerId)).instanceId)) throw notFound('subscription schedule', scheduleId, 'schedule');
  return toSchedule(row);
}

export async function listSchedules(ctx: ServiceContext, customerId: string): Promise<SubscriptionSchedule[]> {
  await getCustomerInScope(ctx, customerId);
  const rows = await ctx.db.select().from(subscriptionSchedules).where(eq(subscriptionSchedules.customerId, customerId)).orderBy(subscriptionSchedules.createdAt);
  return rows.map(toSchedule);
}

/** Applies whatever steps of the schedule are due (the job handler). Idempotent. */
export async function advanceSchedule(ctx: ServiceContext, scheduleId: string): Promise<SubscriptionSchedule> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const schedule = await getSchedule(c, scheduleId);
    const customer = await lockCustomer(c, schedule.customerId);
    return advanceScheduleLocked(c, customer, scheduleId);
  });
}

async function advanceScheduleLocked(base: ServiceContext, customer: Customer, scheduleId: string): Promise<SubscriptionSchedule> {
  const ctx: ServiceContext = { ...base, actor: systemActor(SCHEDULE_JOB) };
  let schedule = await getSchedule(ctx, scheduleId);
  if (!OPEN.includes(schedule.status)) return schedule;
  const now = ctx.clock.now();
  let sub: Subscription | null = null;
  for (const [i, phase] of schedule.phases.entries()) {
    if (new Date(phase.start).getTime() > now.getTime()) break;
    if (schedule.currentPhase !== null && i <= schedule.currentPhase) continue;
    sub = await applyPhase(ctx, customer, schedule, i);
    await ctx.db
      .update(subscriptionSchedules)
      .set({ status: 'active', currentPhase: i, subscriptionId: sub.id, updatedAt: now })
      .where(eq(subscriptionSchedules.id, scheduleId));
    schedule = { ...schedule, status: 'active', currentPhase: i, subscriptionId: sub.id };
  }
  const last = schedule.phases[schedule.phases.length - 1]!;
  const end = new Date(last.end);
  if (schedule.status === 'active' && end.getTime() <= now.getTime()) {
    sub = await liveSubscription(ctx.db, customer.id);
    if (sub) {
      await advanceSubscription(ctx, sub, customer.instanceId, end);
      if (sub.status !== 'canceled' && sub.scheduleId === scheduleId) {
        if (schedule.endBehavior === 'cancel') {
          await cancelNow(ctx, sub, customer.instanceId, end, false);
          await bumpCustomerRevision(ctx, customer.id);
        } else {
          await ctx.db.update(subscriptions).set({ scheduleId: null, updatedAt: now }).where(eq(subscriptions.id, sub.id));
          sub.scheduleId = null;
        }
      }
    }
    await ctx.db.update(subscriptionSchedules).set({ status: 'completed', updatedAt: now }).where(eq(subscriptionSchedules.id, scheduleId));
    schedule = { ...schedule, status: 'completed' };
    await recordEvent(ctx, {
      type: 'subscription_schedule.completed',
      instanceId: customer.instanceId,
      customerId: customer.id,
      objectId: scheduleId,
      data: { end_behavior: schedule.endBehavior, ended_at: end.toISOString(), subscription_id: schedule.subscriptionId },
    });
  }
  // A late job: bring the subscription up to now as well.
  const live = await liveSubscription(ctx.db, customer.id);
  if (live) await advanceSubscription(ctx, live, customer.instanceId, now);
  return getSchedule(ctx, scheduleId);
}

/**
 * Phase `i` takes over the customer's subscription at its start: created (anchored at the phase start)
 * when there is none; otherwise its products become exactly the phase's — others end, a changed interval
 * closes the current period and re-anchors at the phase start. A pending cancel at period end is dropped:
 * the schedule now says what happens.
 */
async function applyPhase(ctx: ServiceContext, customer: Customer, schedule: SubscriptionSchedule, i: number): Promise<Subscription> {
  const phase = schedule.phases[i]!;
  const catalog = await catalogOf(ctx.db, phase.catalog_version_id);
  const byProduct = new Map<string, { planKey: string; prices: Price[] }>();
  for (const it of phase.items) {
    const price = catalog.prices.get(it.price_key);
    if (!price) throw new Error(`schedule ${schedule.id}: price '${it.price_key}' missing from its catalog version`);
    const entry = byProduct.get(it.product_key) ?? { planKey: it.plan_key, prices: [] };
    entry.prices.push(price);
    byProduct.set(it.product_key, entry);
  }
  const start = new Date(phase.start);
  let sub = await liveSubscription(ctx.db, customer.id);
  if (sub) {
    await advanceSubscription(ctx, sub, customer.instanceId, start);
    if (sub.status === 'canceled') sub = null;
  }
  let changes: ItemChange[] = [];
  if (!sub) {
    sub = await insertSubscription(ctx, customer.id, customer.currency, {
      interval: phase.interval,
      anchor: start,
      start,
      periodStart: start,
      products: [...byProduct].map(([productKey, v]) => ({ productKey, ...v })),
      catalogVersionId: phase.catalog_version_id,
      scheduleId: schedule.id,
    });
    await recordEvent(ctx, {
      type: 'subscription.created',
      instanceId: customer.instanceId,
      customerId: customer.id,
      objectId: sub.id,
      data: { interval: sub.interval, anchor: start.toISOString(), current_period_end: sub.currentPeriodEnd.toISOString(), items: sub.items.map(itemSummary), schedule_id: schedule.id },
    });
  } else {
    const at = notBeforeItems(sub, start);
    const set: Partial<typeof subscriptions.$inferInsert> = { scheduleId: schedule.id, cancelAtPeriodEnd: false, updatedAt: ctx.clock.now() };
    if (sub.interval !== phase.interval) {
      // Periods re-anchor at the (day-aligned) phase start, even when a late job moves the items later.
      if (start.getTime() > sub.currentPeriodStart.getTime()) await recordPeriodClosed(ctx, sub, customer.instanceId, start, 'interval_change');
      Object.assign(set, { interval: phase.interval, billingAnchor: start, currentPeriodStart: start, currentPeriodEnd: addInterval(start, phase.interval, 1) });
    }
    await ctx.db.update(subscriptions).set(set).where(eq(subscriptions.id, sub.id));
    Object.assign(sub, set);
    if (set.currentPeriodEnd) await enqueueRollOver(ctx, sub.id, sub.currentPeriodEnd);
    const products = new Set([...sub.items.map((x) => x.productKey), ...byProduct.keys()]);
    for (const product of products) {
      const target = byProduct.get(product);
      const change = await applyProductTarget(ctx, sub, product, target ? { ...target, catalogVersionId: phase.catalog_version_id } : null, at);
      if (change) changes.push(change);
    }
    await refreshSubscription(ctx, sub);
  }
  if (!changes.length) changes = sub.items.map((x) => ({ product: x.productKey, from: null, to: { plan: x.planKey, prices: [x.priceKey], catalog_version: x.catalogVersionId } }));
  await bumpCustomerRevision(ctx, customer.id);
  await recordEvent(ctx, {
    type: 'subscription_schedule.phase_started',
    instanceId: customer.instanceId,
    customerId: customer.id,
    objectId: schedule.id,
    data: { phase: i, start: phase.start, end: phase.end, subscription_id: sub.id, changes },
  });
  return sub;
}

async function endEarly(ctx: ServiceContext, scheduleId: string, status: 'released' | 'canceled', why: Justification): Promise<SubscriptionSchedule> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await getSchedule(c, scheduleId);
    const customer = await lockCustomerInScope(c, before.customerId);
    const schedule = await advanceScheduleLocked(c, customer, scheduleId);
    if (!OPEN.includes(schedule.status)) {
      throw conflict('schedule_not_open', `Schedule '${scheduleId}' is ${schedule.status}; only a not started or active schedule can be ${status}.`, 'schedule');
    }
    const now = c.clock.now();
    const sub = await liveSubscription(tx, customer.id);
    if (sub && sub.scheduleId === scheduleId) {
      if (status === 'canceled') {
        await cancelNow(c, sub, customer.instanceId, now, true);
        await bumpCustomerRevision(c, customer.id);
      } else {
        await tx.update(subscriptions).set({ scheduleId: null, updatedAt: now }).where(eq(subscriptions.id, sub.id));
      }
    }
    await tx.update(subscriptionSchedules).set({ status, updatedAt: now }).where(eq(subscriptionSchedules.id, scheduleId));
    await recordEvent(c, {
      type: `subscription_schedule.${status}`,
      instanceId: customer.instanceId,
      customerId: customer.id,
      objectId: scheduleId,
      data: { subscription_id: schedule.subscriptionId, subscription_canceled: status === 'canceled' && sub?.scheduleId === scheduleId },
    });
    const after = await getSchedule(c, scheduleId);
    if (c.actor.type === 'staff') {
      await recordAudit(c, { action: `subscription_schedule.${status === 'canceled' ? 'cancel' : 'release'}`, targetType: 'subscription_schedule', targetId: scheduleId, customerId: customer.id, before, after, ...why });
    }
    return after;
  });
}

/** Stops the schedule; the subscription it drives (if started) keeps running as it is, on its own. */
export function releaseSchedule(ctx: ServiceContext, scheduleId: string, why: Justification = {}): Promise<SubscriptionSchedule> {
  return endEarly(ctx, scheduleId, 'released', why);
}

/** Stops the schedule and cancels the subscription it drives now (a schedule not started yet just stops). */
export function cancelSchedule(ctx: ServiceContext, scheduleId: string, why: Justification = {}): Promise<SubscriptionSchedule> {
  return endEarly(ctx, scheduleId, 'canceled', why);
}
