/**
 * Checks a parsed scenario against its billing config and turns it into the timeline the runner
 * executes: times resolved, aliases defined before use, metrics/products/plans/prices known. Every
 * problem is collected with its path, so one run of `tally simulate` lists them all.
 */
import { findPlan, findPrice, findProduct } from '../core/catalog/lookup.js';
import type { Catalog } from '../core/catalog/model.js';
import type { ConfigPath, ErrorCollector } from '../core/catalog/config-errors.js';
import { isKnownCurrency } from '../core/money/currency.js';
import type { ItemRequest } from '../core/subscriptions/items.js';
import type { Action, PlannedStep, SchedulePhasePlan, UsageEventPlan } from './model.js';
import type { ItemFile, ScenarioFile, StepFile, UsageFile } from './schema.js';
import { addDuration, parseDuration, parseInstant, resolveTime } from './time.js';

const iso = (d: Date): string => d.toISOString();
const list = (keys: Iterable<string>): string => [...keys].join(', ');

class Checker {
  private readonly customers = new Map<string, { currency: string }>();
  private readonly externalIds = new Set<string>();

  constructor(
    private readonly catalog: Catalog,
    private readonly instances: readonly string[],
    private readonly sink: ErrorCollector,
  ) {}

  customer(ref: string, path: ConfigPath): boolean {
    if (this.customers.has(ref)) return true;
    const known = this.customers.size ? ` (customers so far: ${list(this.customers.keys())})` : ' (no customer step comes before it)';
    this.sink.add(path, 'unknown_customer', `unknown customer '${ref}'${known}`);
    return false;
  }

  defineCustomer(step: NonNullable<StepFile['customer']>, path: ConfigPath): void {
    if (this.customers.has(step.id)) this.sink.add([...path, 'id'], 'duplicate_customer', `customer '${step.id}' is already defined`);
    const instance = step.instance ?? this.instances[0]!;
    if (!this.instances.includes(instance)) this.sink.add([...path, 'instance'], 'unknown_instance', `unknown instance '${instance}' (instances: ${list(this.instances)})`);
    const ext = `${instance}\u0000${step.external_id ?? step.id}`;
    if (this.externalIds.has(ext)) this.sink.add([...path, step.external_id ? 'external_id' : 'id'], 'duplicate_external_id', `external_id '${step.external_id ?? step.id}' is already used in instance '${instance}'`);
    if (!isKnownCurrency(step.currency)) this.sink.add([...path, 'currency'], 'unknown_currency', `unknown currency '${step.currency}'`);
    this.externalIds.add(ext);
    this.customers.set(step.id, { currency: step.currency });
  }

  product(key: string, path: ConfigPath): boolean {
    if (findProduct(this.catalog, key)) return true;
    this.sink.add(path, 'unknown_product', `unknown product '${key}' (products: ${list(this.catalog.products.keys())})`);
    return false;
  }

  item(it: ItemFile, path: ConfigPath): void {
    if (!this.product(it.product, [...path, 'product'])) return;
    const product = findProduct(this.catalog, it.product)!;
    if (it.plan !== undefined && !findPlan(this.catalog, it.product, it.plan)) {
      this.sink.add([...path, 'plan'], 'unknown_plan', `product '${it.product}' has no plan '${it.plan}' (plans: ${list(product.planKeys)})`);
    }
    if (it.price !== undefined) {
      const price = findPrice(this.catalog, it.price);
      if (!price) this.sink.add([...path, 'price'], 'unknown_price', `unknown price '${it.price}'`);
      else if (price.productKey !== it.product) this.sink.add([...path, 'price'], 'price_product_mismatch', `price '${it.price}' belongs to '${price.productKey}', not '${it.product}'`);
    }
  }

  metric(metric: string, path: ConfigPath): void {
    if (!this.catalog.metrics.has(metric)) this.sink.add(path, 'unknown_metric', `unknown metric '${metric}' (metrics: ${list(this.catalog.metrics.keys())})`);
  }
}

const toItem = (it: ItemFile): ItemRequest => ({ product: it.product, ...(it.plan !== undefined ? { plan: it.plan } : {}), ...(it.price !== undefined ? { price: it.price } : {}) });

/**
 * The usage events of a step: one event, `count` events at `at`, `count` events spread evenly over
 * [at, until), or the listed events (timestamps relative to `at`). IDs are generated from the step's
 * index, so the same scenario always sends the same events.
 */
function usageEvents(u: UsageFile, index: number, at: Date, until: Date | null, path: ConfigPath): UsageEventPlan[] {
  if (u.events) {
    return u.events.map((e, k) => ({
      id: e.id ?? `sim-s${index}-e${k}`,
      metric: e.metric,
      value: e.value,
      timestamp: resolveTime(e.timestamp, at),
      properties: e.properties ?? null,
      path: [...path, 'events', k],
    }));
  }
  const count = u.count ?? 1;
  const span = until ? until.getTime() - at.getTime() : 0;
  return Array.from({ length: count }, (_, k) => ({
    id: u.id ?? `sim-s${index}-e${k}`,
    metric: u.metric!,
    value: u.value!,
    // Integer milliseconds: the k-th of `count` equal slices of the span.
    timestamp: new Date(at.getTime() + Math.floor((k * span) / count)),
    properties: null,
    path,
  }));
}

/** Phase starts: given, or where the previous phase ends; the first defaults to the step's time. */
function schedulePhases(phases: NonNullable<StepFile['schedule']>['phases'], at: Date): SchedulePhasePlan[] {
  const out: SchedulePhasePlan[] = [];
  let next = at;
  for (const p of phases) {
    const start = p.start !== undefined ? resolveTime(p.start, at) : next;
    out.push({ start, months: p.months, ...(p.interval ? { interval: p.interval } : {}), items: p.items.map(toItem) });
    next = addDuration(start, parseDuration(`+${p.months}mo`));
  }
  return out;
}

export function planSteps(file: ScenarioFile, catalog: Catalog, sink: ErrorCollector): PlannedStep[] {
  const instances = file.instances ?? ['sim'];
  const c = new Checker(catalog, instances, sink);
  const out: PlannedStep[] = [];
  let now = parseInstant(file.start);
  file.steps.forEach((step, index) => {
    const base: ConfigPath = ['steps', index];
    if (step.advance !== undefined) {
      const to = resolveTime(step.advance, now);
      if (to < now) sink.add([...base, 'advance'], 'time_backwards', `${iso(to)} is before the scenario's time ${iso(now)} (the clock only moves forward)`);
      out.push({ index, at: to, end: to, action: { kind: 'advance', to } });
      if (to > now) now = to;
      return;
    }
    const at = step.at !== undefined ? resolveTime(step.at, now) : now;
    if (at < now) sink.add([...base, 'at'], 'time_backwards', `${iso(at)} is before the scenario's time ${iso(now)} (steps run in time order)`);
    let action: Action | null = null;
    if (step.customer) {
      const s = step.customer;
      c.defineCustomer(s, [...base, 'customer']);
      action = { kind: 'customer', alias: s.id, externalId: s.external_id ?? s.id, currency: s.currency.toLowerCase(), billingEmail: s.billing_email ?? null, name: s.name ?? null, instance: s.instance ?? instances[0]! };
    } else if (step.subscribe) {
      const s = step.subscribe;
      const p = [...base, 'subscribe'];
      c.customer(s.customer, [...p, 'customer']);
      s.items.forEach((it, i) => c.item(it, [...p, 'items', i]));
      action = { kind: 'subscribe', customer: s.customer, items: s.items.map(toItem), ...(s.interval ? { interval: s.interval } : {}), ...(s.anchor !== undefined ? { anchor: resolveTime(s.anchor, at) } : {}) };
    } else if (step.change_plan) {
      const s = step.change_plan;
      const p = [...base, 'change_plan'];
      c.customer(s.customer, [...p, 'customer']);
      c.item(s, p);
      action = { kind: 'change_plan', customer: s.customer, item: toItem(s) };
    } else if (step.cancel) {
      c.customer(step.cancel.customer, [...base, 'cancel', 'customer']);
      action = { kind: 'cancel', customer: step.cancel.customer, atPeriodEnd: step.cancel.at_period_end };
    } else if (step.usage) {
      const u = step.usage;
      const p = [...base, 'usage'];
      c.customer(u.customer, [...p, 'customer']);
      let until: Date | null = null;
      if (u.until !== undefined) {
        until = resolveTime(u.until, at);
        if (until <= at) sink.add([...p, 'until'], 'empty_span', `until (${iso(until)}) must be after the step's time (${iso(at)})`);
      }
      if (u.metric !== undefined) c.metric(u.metric, [...p, 'metric']);
      u.events?.forEach((e, k) => c.metric(e.metric, [...p, 'events', k, 'metric']));
      // Events after the step's time are sent when the clock gets there, while later steps run.
      const events = usageEvents(u, index, at, until && until > at ? until : null, p);
      action = { kind: 'usage', customer: u.customer, events };
    } else if (step.credit) {
      const s = step.credit;
      c.customer(s.customer, [...base, 'credit', 'customer']);
      action = { kind: 'credit', customer: s.customer, amount: BigInt(s.amount), description: s.description };
    } else if (step.coupon) {
      const s = step.coupon;
      const p = [...base, 'coupon'];
      c.customer(s.customer, [...p, 'customer']);
      s.products?.forEach((k, i) => c.product(k, [...p, 'products', i]));
      const off = s.percent_off !== undefined ? `${s.percent_off}% off` : `${s.amount_off} off`;
      const how = s.duration === 'repeating' ? `${s.duration_in_months} months` : s.duration;
      action = {
        kind: 'coupon',
        customer: s.customer,
        name: s.name ?? `${off}, ${how}`,
        percentOff: s.percent_off ?? null,
        amountOff: s.amount_off !== undefined ? BigInt(s.amount_off) : null,
        duration: s.duration,
        durationInMonths: s.duration_in_months ?? null,
        products: s.products ?? null,
        stack: s.stack ?? false,
      };
    } else if (step.billing_limit) {
      const s = step.billing_limit;
      const p = [...base, 'billing_limit'];
      c.customer(s.customer, [...p, 'customer']);
      c.product(s.product, [...p, 'product']);
      action = { kind: 'billing_limit', customer: s.customer, product: s.product, amount: s.amount === null ? null : BigInt(s.amount), effective: s.effective ?? 'now' };
    } else if (step.trial) {
      c.customer(step.trial.customer, [...base, 'trial', 'customer']);
      action = { kind: 'trial', customer: step.trial.customer, until: resolveTime(step.trial.until, at) };
    } else if (step.schedule) {
      const s = step.schedule;
      const p = [...base, 'schedule'];
      c.customer(s.customer, [...p, 'customer']);
      s.phases.forEach((ph, i) => ph.items.forEach((it, k) => c.item(it, [...p, 'phases', i, 'items', k])));
      action = { kind: 'schedule', customer: s.customer, phases: schedulePhases(s.phases, at), endBehavior: s.end_behavior };
    }
    if (!action) return; // the schema already reported a step without an action
    out.push({ index, at, end: at, action });
    if (at > now) now = at;
  });
  return out;
}
