/**
 * Runs a checked scenario through the real services on a fresh in-memory database with a ManualClock:
 * each step moves the clock to its time (running every job due on the way, at its own time), performs
 * its action with the same service call the API or CLI would make, and runs what became due. Nothing
 * here prices anything: invoices are whatever the period-close jobs produce.
 */
import { addBalanceTransaction } from '../billing/balance/index.js';
import { activateCatalogConfig } from '../billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../billing/context.js';
import { createCustomer } from '../billing/customers/customers.js';
import { startTrial } from '../billing/customers/trials.js';
import { createInstance } from '../billing/instances/instances.js';
import { saveInvoiceGraceMs } from '../billing/invoicing/index.js';
import { cancelSubscription, changePlan, createSchedule, subscribe } from '../billing/subscriptions/index.js';
import { ingestUsage } from '../billing/usage/ingest-usage.js';
import { MAX_BATCH } from '../billing/usage/usage-event.js';
import type { ConfigPath } from '../core/catalog/config-errors.js';
import { formatPath } from '../core/catalog/config-errors.js';
import { buildJobRegistry } from '../jobs/registry-default.js';
import { ManualClock } from '../shared/clock.js';
import { isTallyError } from '../shared/errors.js';
import { openSimulationDatabase } from './database.js';
import { ScenarioError } from './errors.js';
import { afterIngestion, applyScenarioCoupon, setScenarioBillingLimit } from './coupons-and-limits.js';
import type { PlannedStep, Scenario, UsageEventPlan } from './model.js';
import { collectOutput, type SimCustomer, type SimulationOutput } from './output.js';
import { JobFailedError, TimeDriver, type QueuedEvent } from './time-driver.js';

/** Thrown inside a step with the scenario path to blame, when that is more precise than the step. */
class StepProblem extends Error {
  constructor(
    readonly path: ConfigPath,
    message: string,
  ) {
    super(message);
  }
}

interface Run {
  readonly ctx: ServiceContext;
  readonly clock: ManualClock;
  readonly driver: TimeDriver<SimEvent>;
  readonly instanceIds: ReadonlyMap<string, string>;
  readonly customers: Map<string, SimCustomer>;
  readonly rawSteps: readonly unknown[];
  anyLimits: boolean;
  /** Next usage event's arrival number. */
  seq: number;
}

function customerOf(run: Run, alias: string): SimCustomer {
  const c = run.customers.get(alias);
  if (!c) throw new Error(`customer '${alias}' is not defined (the checks should have caught this)`);
  return c;
}

/** A usage event of the scenario, waiting in the time driver for its timestamp. */
interface SimEvent extends QueuedEvent {
  readonly customer: SimCustomer;
  readonly plan: UsageEventPlan;
}

/**
 * Sends a batch of due events the way the instances would (POST /v1/usage): per instance, then the
 * billing limits of the customers touched are re-evaluated. A rejected event stops the simulation,
 * naming the event in the scenario.
 */
async function deliver(run: Run, batch: readonly SimEvent[]): Promise<void> {
  const instances = [...run.instanceIds.values()];
  for (const [index, instanceId] of instances.entries()) {
    const mine = batch.filter((e) => e.customer.instanceIndex === index);
    if (mine.length === 0) continue;
    const summary = await ingestUsage(
      run.ctx,
      instanceId,
      mine.map(({ plan: e, customer }) => ({ id: e.id, customer: customer.id, metric: e.metric, value: e.value, timestamp: e.timestamp, properties: e.properties })),
    );
    const rejected = summary.results.findIndex((r) => r.status === 'rejected');
    if (rejected >= 0) {
      const r = summary.results[rejected]!;
      const e = mine[rejected]!.plan;
      // Point at the event's own field (`timestamp` for a closed period) when the scenario wrote one.
      const field = r.param && exists(run.rawSteps, [...e.path.slice(1), r.param]) ? [...e.path, r.param] : e.path;
      throw new StepProblem(field, `usage event '${e.id}' at ${e.timestamp.toISOString()} was rejected at ${run.clock.now().toISOString()} (${r.code}): ${r.reason}`);
    }
    await afterIngestion(run.ctx, summary, run.anyLimits);
  }
}

async function perform(run: Run, step: PlannedStep): Promise<void> {
  const { ctx } = run;
  const a = step.action;
  switch (a.kind) {
    case 'customer': {
      const instanceIndex = [...run.instanceIds.keys()].indexOf(a.instance);
      const created = await createCustomer(ctx, {
        instanceId: run.instanceIds.get(a.instance)!,
        externalId: a.externalId,
        currency: a.currency,
        billingEmail: a.billingEmail,
        name: a.name,
      });
      run.customers.set(a.alias, { alias: a.alias, id: created.id, currency: created.currency, instanceIndex, hadCoupon: false, hadLimit: false });
      return;
    }
    case 'subscribe':
      await subscribe(ctx, customerOf(run, a.customer).id, { items: a.items, ...(a.interval ? { interval: a.interval } : {}), ...(a.anchor ? { anchor: a.anchor } : {}) });
      return;
    case 'change_plan':
      await changePlan(ctx, customerOf(run, a.customer).id, a.item);
      return;
    case 'cancel':
      await cancelSubscription(ctx, customerOf(run, a.customer).id, { atPeriodEnd: a.atPeriodEnd });
      return;
    case 'usage': {
      const customer = customerOf(run, a.customer);
      run.driver.enqueue(a.events.map((plan) => ({ timestamp: plan.timestamp, seq: run.seq++, customer, plan })));
      await run.driver.advanceTo(run.clock.now()); // sends those already due (late usage included)
      return;
    }
    case 'credit': {
      const c = customerOf(run, a.customer);
      // A pre-approved credit: what an approved credit request writes to the ledger (negative = in the customer's favour).
      await addBalanceTransaction(ctx, { customerId: c.id, amount: -a.amount, currency: c.currency, type: 'credit', description: a.description });
      return;
    }
    case 'coupon': {
      const c = customerOf(run, a.customer);
      c.hadCoupon = true;
      await applyScenarioCoupon(ctx, c.id, c.currency, a);
      return;
    }
    case 'billing_limit': {
      const c = customerOf(run, a.customer);
      c.hadLimit = true;
      run.anyLimits = true;
      await setScenarioBillingLimit(ctx, c.id, a);
      return;
    }
    case 'trial':
      await startTrial(ctx, customerOf(run, a.customer).id, a.until);
      return;
    case 'schedule':
      await createSchedule(ctx, customerOf(run, a.customer).id, {
        phases: a.phases.map((p) => ({ start: p.start, months: p.months, ...(p.interval ? { interval: p.interval } : {}), items: p.items })),
        endBehavior: a.endBehavior,
      });
      return;
    case 'advance':
      return; // the clock moves to the step's end below
  }
}

/** `items.0.plan` (a service's param) → ['items', 0, 'plan']. */
const paramPath = (param: string): ConfigPath => param.split('.').map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function exists(value: unknown, path: ConfigPath): boolean {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== 'object' || !Object.hasOwn(v, seg)) return false;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return true;
}

/** Names the step (and, when the service said which, the field) that failed. */
function stepFailure(s: Scenario, step: PlannedStep, e: unknown, customers: Iterable<SimCustomer>): ScenarioError {
  const base: ConfigPath = ['steps', step.index, step.action.kind];
  let path = base;
  let message: string;
  if (e instanceof StepProblem) {
    path = e.path;
    message = e.message;
  } else if (e instanceof JobFailedError) {
    message = e.message;
  } else if (isTallyError(e)) {
    message = e.message;
    if (e.param) {
      const candidate = [...base, ...paramPath(e.param)];
      if (exists(s.rawSteps, candidate.slice(1))) path = candidate;
    }
  } else {
    message = `unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  // Services name customers by ID; the scenario knows them by alias.
  for (const c of customers) message = message.replaceAll(c.id, c.alias);
  return new ScenarioError([{ path: formatPath(path), line: s.lineOf(path), message, code: 'step_failed' }], s.sourceName, 'step_failed');
}

/** Runs the scenario and returns its invoices and customer states. */
export async function runScenario(s: Scenario): Promise<SimulationOutput> {
  const clock = new ManualClock(s.start);
  const database = await openSimulationDatabase(clock);
  try {
    const ctx: ServiceContext = { db: database.db, clock, actor: systemActor('simulate') };
    // The grace period is a setting of the (simulation's own) database.
    await saveInvoiceGraceMs(ctx.db, clock, s.invoiceGraceMs);
    await activateCatalogConfig(ctx.db, clock, s.configText, s.configSourceName);
    const instanceIds = new Map<string, string>();
    for (const slug of s.instances) instanceIds.set(slug, (await createInstance(ctx, { slug })).id);
    const run: Run = {
      ctx,
      clock,
      // Usage goes out while later steps move the clock; a rejection still names the usage step's event.
      driver: new TimeDriver<SimEvent>(ctx.db, clock, buildJobRegistry(), (batch) => deliver(run, batch), MAX_BATCH),
      instanceIds,
      customers: new Map(),
      rawSteps: s.rawSteps,
      anyLimits: false,
      seq: 0,
    };
    for (const step of s.steps) {
      try {
        await run.driver.advanceTo(step.at);
        await perform(run, step);
        await run.driver.runDue();
        await run.driver.advanceTo(step.end);
      } catch (e) {
        throw stepFailure(s, step, e, run.customers.values());
      }
    }
    const left = run.driver.pending()[0];
    const lastStep = s.steps[s.steps.length - 1];
    if (left && lastStep) {
      const msg = `usage event '${left.plan.id}' at ${left.timestamp.toISOString()} is after the scenario's last step (${clock.now().toISOString()}), so it was never sent; add an advance step past it`;
      throw stepFailure(s, lastStep, new StepProblem(left.plan.path, msg), run.customers.values());
    }
    return await collectOutput(ctx, [...run.customers.values()]);
  } finally {
    await database.close();
  }
}
