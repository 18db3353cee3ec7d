/**
 * Subscription schedules (phases of recurring prices with `duration` or `end_date`) and the subscriptions they
 * drive. A schedule whose start has come is `active` with a live subscription; one starting later is
 * `not_started` until the emulator clock reaches it (see `advanceSchedules`). When the last phase ends the
 * schedule is `completed` and `end_behavior` decides whether the subscription is canceled or carries on alone.
 * Subscriptions do not bill by themselves here: Tally computes invoices and pushes them.
 */
import type Stripe from 'stripe';
import { addInterval } from '../clock.js';
import { invalidParam, invalidTransition, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { fullList, paginate } from '../lists.js';
import { readPagination, type ParamReader } from '../params.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { Store } from '../store.js';
import { planFromPrice, renderPrice, requirePrice } from './catalog.js';
import { deepClone, idOf, mergeMetadata, readCurrency, readExpand } from './common.js';
import { requireCustomer } from './customers.js';

export interface SubscriptionItemInput {
  price: Stripe.Price;
  quantity: number;
  metadata?: Stripe.Metadata;
}

export interface NewSubscription {
  customerId: string;
  items: SubscriptionItemInput[];
  start: number;
  scheduleId: string | null;
  metadata?: Stripe.Metadata;
  description?: string | null;
  collectionMethod?: Stripe.Subscription.CollectionMethod;
  daysUntilDue?: number | null;
  defaultPaymentMethod?: string | null;
}

export function requireSubscription(store: Store, id: string, param = 'id'): Stripe.Subscription {
  const subscription = store.subscriptions.get(id);
  if (!subscription) throw notFound('subscription', id, param);
  return subscription;
}

export function requireSchedule(store: Store, id: string, param = 'id'): Stripe.SubscriptionSchedule {
  const schedule = store.schedules.get(id);
  if (!schedule) throw notFound('subscription_schedule', id, param);
  return schedule;
}

function subscriptionItems(subscriptionId: string, items: SubscriptionItemInput[], start: number, now: number): Stripe.SubscriptionItem[] {
  return items.map((input) => {
    const recurring = input.price.recurring;
    return {
      id: newId('si'),
      object: 'subscription_item',
      billing_thresholds: null,
      created: now,
      current_period_end: addInterval(start, recurring?.interval ?? 'month', recurring?.interval_count ?? 1),
      current_period_start: start,
      current_trial: null,
      discounts: [],
      metadata: { ...(input.metadata ?? {}) },
      plan: planFromPrice(input.price),
      price: renderPrice(input.price),
      quantity: input.quantity,
      subscription: subscriptionId,
      tax_rates: [],
    };
  });
}

export function createSubscription(ctx: HandlerContext, args: NewSubscription): Stripe.Subscription {
  const id = newId('sub');
  const now = ctx.now();
  const first = args.items[0];
  const subscription: Stripe.Subscription = {
    id,
    object: 'subscription',
    application: null,
    application_fee_percent: null,
    automatic_tax: { disabled_reason: null, enabled: false, liability: null },
    billing_cycle_anchor: args.start,
    billing_cycle_anchor_config: null,
    billing_mode: { flexible: null, type: 'classic' },
    billing_schedules: [],
    billing_thresholds: null,
    cancel_at: null,
    cancel_at_period_end: false,
    canceled_at: null,
    cancellation_details: { comment: null, feedback: null, feedback_option: null, reason: null },
    collection_method: args.collectionMethod ?? 'charge_automatically',
    created: now,
    currency: first?.price.currency ?? 'usd',
    customer: args.customerId,
    customer_account: null,
    days_until_due: args.daysUntilDue ?? null,
    default_payment_method: args.defaultPaymentMethod ?? null,
    default_source: null,
    default_tax_rates: [],
    description: args.description ?? null,
    discounts: [],
    ended_at: null,
    invoice_settings: { account_tax_ids: null, custom_fields: null, description: null, footer: null, issuer: { type: 'self' } },
    items: fullList(subscriptionItems(id, args.items, args.start, now), `/v1/subscription_items?subscription=${id}`),
    latest_invoice: null,
    livemode: false,
    managed_payments: null,
    metadata: { ...(args.metadata ?? {}) },
    next_pending_invoice_item_invoice: null,
    on_behalf_of: null,
    pause_collection: null,
    payment_settings: { payment_method_options: null, payment_method_types: null, save_default_payment_method: 'off' },
    pending_invoice_item_interval: null,
    pending_setup_intent: null,
    pending_update: null,
    schedule: args.scheduleId,
    start_date: args.start,
    status: 'active',
    test_clock: null,
    transfer_data: null,
    trial_end: null,
    trial_settings: { end_behavior: { billing_cycle_anchor: null, missing_payment_method: 'create_invoice' } },
    trial_start: null,
  };
  ctx.store.subscriptions.set(id, subscription);
  ctx.store.track(id);
  ctx.emit('customer.subscription.created', deepClone(subscription));
  return subscription;
}

export function cancelSubscription(ctx: HandlerContext, subscription: Stripe.Subscription, at: number): void {
  if (subscription.status === 'canceled') return;
  subscription.status = 'canceled';
  subscription.canceled_at = at;
  subscription.ended_at = at;
  subscription.cancellation_details = { comment: null, feedback: null, feedback_option: null, reason: 'cancellation_requested' };
  ctx.emit('customer.subscription.deleted', deepClone(subscription));
}

function phaseItemsOf(store: Store, phase: Stripe.SubscriptionSchedule.Phase): SubscriptionItemInput[] {
  return phase.items.map((item) => ({
    price: requirePrice(store, idOf(item.price) as string),
    quantity: item.quantity ?? 1,
    metadata: item.metadata ?? {},
  }));
}

function phaseAt(schedule: Stripe.SubscriptionSchedule, at: number): Stripe.SubscriptionSchedule.Phase | undefined {
  return schedule.phases.find((p) => p.start_date <= at && at < p.end_date);
}

function activate(ctx: HandlerContext, schedule: Stripe.SubscriptionSchedule): void {
  const phase = schedule.phases[0] as Stripe.SubscriptionSchedule.Phase;
  const settings = schedule.default_settings;
  const subscription = createSubscription(ctx, {
    customerId: idOf(schedule.customer) as string,
    items: phaseItemsOf(ctx.store, phase),
    start: phase.start_date,
    scheduleId: schedule.id,
    metadata: phase.metadata ?? {},
    description: phase.description ?? settings.description,
    collectionMethod: phase.collection_method ?? settings.collection_method ?? 'charge_automatically',
    daysUntilDue: phase.invoice_settings?.days_until_due ?? settings.invoice_settings.days_until_due,
  });
  schedule.status = 'active';
  schedule.subscription = subscription.id;
}

/** Moves schedules along the emulator clock: start, phase changes and the end of the last phase. */
export function advanceSchedules(ctx: HandlerContext): void {
  const now = ctx.now();
  for (const schedule of ctx.store.schedules.values()) {
    if (schedule.status === 'not_started' && (schedule.phases[0]?.start_date ?? Infinity) <= now) activate(ctx, schedule);
    if (schedule.status !== 'active') continue;
    const last = schedule.phases[schedule.phases.length - 1] as Stripe.SubscriptionSchedule.Phase;
    const subscription = schedule.subscription ? ctx.store.subscriptions.get(idOf(schedule.subscription) as string) : undefined;
    if (now >= last.end_date) {
      schedule.status = 'completed';
      schedule.completed_at = last.end_date;
      schedule.current_phase = null;
      if (subscription) {
        if (schedule.end_behavior === 'cancel') cancelSubscription(ctx, subscription, last.end_date);
        else subscription.schedule = null;
      }
      ctx.emit('subscription_schedule.completed', deepClone(schedule));
      continue;
    }
    const phase = phaseAt(schedule, now);
    if (!phase) continue;
    if (schedule.current_phase?.start_date !== phase.start_date) {
      const changing = schedule.current_phase !== null;
      schedule.current_phase = { start_date: phase.start_date, end_date: phase.end_date };
      if (changing && subscription) {
        const previousItems = deepClone(subscription.items);
        subscription.items = fullList(
          subscriptionItems(subscription.id, phaseItemsOf(ctx.store, phase), phase.start_date, now),
          subscription.items.url,
        );
        ctx.emit('customer.subscription.updated', deepClone(subscription), { items: previousItems });
      }
      if (changing) ctx.emit('subscription_schedule.updated', deepClone(schedule));
    }
  }
}

type PhaseParams = Stripe.SubscriptionScheduleCreateParams.Phase;

function readPhase(p: ParamReader<PhaseParams>): PhaseParams {
  const items = p.objects('items', (i) => ({
    price: i.requiredString('price'),
    quantity: i.integer('quantity', { min: 0 }),
    metadata: i.metadata('metadata') || undefined,
  }));
  if (items === undefined || items.length === 0) throw invalidParam('Each phase needs at least one item.', 'phases[items]', 'parameter_missing');
  return {
    items,
    collection_method: p.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const),
    currency: readCurrency(p, 'currency'),
    description: p.string('description'),
    duration: p.object('duration', (d) => {
      const interval = d.oneOf('interval', ['day', 'week', 'month', 'year'] as const);
      if (interval === undefined) throw invalidParam('Missing required param: duration[interval].', 'duration[interval]', 'parameter_missing');
      return { interval, interval_count: d.integer('interval_count', { min: 1 }) };
    }),
    end_date: p.integer('end_date', { min: 0 }),
    invoice_settings: p.object('invoice_settings', (s) => ({ days_until_due: s.integer('days_until_due', { min: 0 }) })),
    metadata: p.metadata('metadata') || undefined,
    proration_behavior: p.oneOf('proration_behavior', ['always_invoice', 'create_prorations', 'none'] as const),
  };
}

function buildPhases(ctx: HandlerContext, params: PhaseParams[], start: number): Stripe.SubscriptionSchedule.Phase[] {
  let cursor = start;
  return params.map((phase, index) => {
    const where = `phases[${index}]`;
    const prices = phase.items.map((item, i) => {
      const price = requirePrice(ctx.store, item.price as string, `${where}[items][${i}][price]`);
      if (price.type !== 'recurring') {
        throw invalidParam(
          'The price specified is set to `type=one_time` but this field only accepts prices with `type=recurring`.',
          `${where}[items][${i}][price]`,
        );
      }
      return price;
    });
    const currency = phase.currency ?? (prices[0] as Stripe.Price).currency;
    const odd = prices.findIndex((price) => price.currency !== currency);
    if (odd !== -1) throw invalidParam('All prices in a phase must share its currency.', `${where}[items][${odd}][price]`);
    if (phase.duration !== undefined && phase.end_date !== undefined) {
      throw invalidParam('You may only specify one of these parameters: duration, end_date.', `${where}[end_date]`, 'parameters_exclusive');
    }
    const recurring = (prices[0] as Stripe.Price).recurring;
    const end =
      phase.end_date ??
      (phase.duration
        ? addInterval(cursor, phase.duration.interval, phase.duration.interval_count ?? 1)
        : addInterval(cursor, recurring?.interval ?? 'month', recurring?.interval_count ?? 1));
    if (end <= cursor) throw invalidParam('A phase must end after it starts.', `${where}[end_date]`);
    const built: Stripe.SubscriptionSchedule.Phase = {
      add_invoice_items: [],
      application_fee_percent: null,
      billing_cycle_anchor: null,
      billing_thresholds: null,
      collection_method: phase.collection_method ?? null,
      currency,
      default_payment_method: null,
      default_tax_rates: [],
      description: typeof phase.description === 'string' && phase.description !== '' ? phase.description : null,
      discounts: [],
      end_date: end,
      invoice_settings:
        phase.invoice_settings?.days_until_due !== undefined
          ? { account_tax_ids: null, custom_fields: null, days_until_due: phase.invoice_settings.days_until_due, description: null, footer: null, issuer: null }
          : null,
      items: phase.items.map((item, i) => ({
        billing_thresholds: null,
        discounts: [],
        metadata: mergeMetadata(null, item.metadata),
        plan: (prices[i] as Stripe.Price).id,
        price: (prices[i] as Stripe.Price).id,
        quantity: item.quantity ?? 1,
        tax_rates: [],
      })),
      metadata: mergeMetadata(null, phase.metadata),
      on_behalf_of: null,
      proration_behavior: phase.proration_behavior ?? 'create_prorations',
      start_date: cursor,
      transfer_data: null,
      trial_end: null,
    };
    cursor = end;
    return built;
  });
}

function createSchedule(params: Stripe.SubscriptionScheduleCreateParams, ctx: HandlerContext): Stripe.SubscriptionSchedule {
  if (params.customer === undefined) throw invalidParam('Missing required param: customer.', 'customer', 'parameter_missing');
  const customer = requireCustomer(ctx.store, params.customer);
  if (!params.phases || params.phases.length === 0) throw invalidParam('Missing required param: phases.', 'phases', 'parameter_missing');
  const now = ctx.now();
  const start = params.start_date === undefined || params.start_date === 'now' ? now : params.start_date;
  const phases = buildPhases(ctx, params.phases, start);
  const settings = params.default_settings;
  const schedule: Stripe.SubscriptionSchedule = {
    id: newId('sub_sched'),
    object: 'subscription_schedule',
    application: null,
    billing_mode: { flexible: null, type: 'classic' },
    canceled_at: null,
    completed_at: null,
    created: now,
    current_phase: null,
    customer: customer.id,
    customer_account: null,
    default_settings: {
      application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: 'automatic',
      billing_thresholds: null,
      collection_method: settings?.collection_method ?? 'charge_automatically',
      default_payment_method: null,
      description: typeof settings?.description === 'string' && settings.description !== '' ? settings.description : null,
      invoice_settings: {
        account_tax_ids: null,
        custom_fields: null,
        days_until_due: settings?.invoice_settings?.days_until_due ?? null,
        description: null,
        footer: null,
        issuer: { type: 'self' },
      },
      on_behalf_of: null,
      transfer_data: null,
    },
    end_behavior: params.end_behavior ?? 'release',
    livemode: false,
    metadata: mergeMetadata(null, params.metadata),
    pause_schedules: [],
    phases,
    released_at: null,
    released_subscription: null,
    status: 'not_started',
    subscription: null,
    test_clock: null,
  };
  ctx.store.schedules.set(schedule.id, schedule);
  ctx.store.track(schedule.id);
  ctx.emit('subscription_schedule.created', deepClone(schedule));
  // A schedule starting now (or backdated) begins at once.
  advanceSchedules(ctx);
  return deepClone(schedule);
}

export const subscriptionRoutes: Route[] = [
  route<Stripe.SubscriptionScheduleCreateParams, Stripe.SubscriptionSchedule>({
    method: 'POST',
    path: '/v1/subscription_schedules',
    parse: (p) => ({
      customer: p.nonEmptyString('customer'),
      default_settings: p.object('default_settings', (s) => ({
        collection_method: s.oneOf('collection_method', ['charge_automatically', 'send_invoice'] as const),
        description: s.string('description'),
        invoice_settings: s.object('invoice_settings', (i) => ({ days_until_due: i.integer('days_until_due', { min: 0 }) })),
      })),
      end_behavior: p.oneOf('end_behavior', ['cancel', 'none', 'release', 'renew'] as const),
      expand: readExpand(p),
      metadata: p.metadata('metadata'),
      phases: p.objects('phases', readPhase),
      start_date: p.timestampOrNow('start_date'),
    }),
    handle: createSchedule,
  }),
  route<Stripe.SubscriptionScheduleRetrieveParams, Stripe.SubscriptionSchedule>({
    method: 'GET',
    path: '/v1/subscription_schedules/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => deepClone(requireSchedule(ctx.store, path.id as string)),
  }),
  route<Stripe.SubscriptionScheduleListParams, Stripe.ApiList<Stripe.SubscriptionSchedule>>({
    method: 'GET',
    path: '/v1/subscription_schedules',
    parse: (p) => ({ ...readPagination(p), customer: p.string('customer'), expand: readExpand(p) }),
    handle: (params, ctx) => {
      const schedules = ctx.store
        .newestFirst([...ctx.store.schedules.values()])
        .filter((s) => params.customer === undefined || idOf(s.customer) === params.customer);
      return paginate(schedules.map(deepClone), params, '/v1/subscription_schedules');
    },
  }),
  route<Stripe.SubscriptionScheduleCancelParams, Stripe.SubscriptionSchedule>({
    method: 'POST',
    path: '/v1/subscription_schedules/:id/cancel',
    parse: (p) => ({ expand: readExpand(p), invoice_now: p.boolean('invoice_now'), prorate: p.boolean('prorate') }),
    handle: (_params, ctx, path) => {
      const schedule = requireSchedule(ctx.store, path.id as string);
      if (schedule.status !== 'not_started' && schedule.status !== 'active') {
        throw invalidTransition(`You cannot cancel a subscription schedule that is ${schedule.status}.`);
      }
      const now = ctx.now();
      schedule.status = 'canceled';
      schedule.canceled_at = now;
      schedule.current_phase = null;
      const subscription = schedule.subscription ? ctx.store.subscriptions.get(idOf(schedule.subscription) as string) : undefined;
      if (subscription) cancelSubscription(ctx, subscription, now);
      ctx.emit('subscription_schedule.canceled', deepClone(schedule));
      return deepClone(schedule);
    },
  }),
  route<Stripe.SubscriptionScheduleReleaseParams, Stripe.SubscriptionSchedule>({
    method: 'POST',
    path: '/v1/subscription_schedules/:id/release',
    parse: (p) => ({ expand: readExpand(p), preserve_cancel_date: p.boolean('preserve_cancel_date') }),
    handle: (_params, ctx, path) => {
      const schedule = requireSchedule(ctx.store, path.id as string);
      if (schedule.status !== 'not_started' && schedule.status !== 'active') {
        throw invalidTransition(`You cannot release a subscription schedule that is ${schedule.status}.`);
      }
      const subscriptionId = idOf(schedule.subscription);
      schedule.status = 'released';
      schedule.released_at = ctx.now();
      schedule.released_subscription = subscriptionId;
      schedule.subscription = null;
      schedule.current_phase = null;
      const subscription = subscriptionId ? ctx.store.subscriptions.get(subscriptionId) : undefined;
      if (subscription) subscription.schedule = null;
      ctx.emit('subscription_schedule.released', deepClone(schedule));
      return deepClone(schedule);
    },
  }),
  route<Stripe.SubscriptionRetrieveParams, Stripe.Subscription>({
    method: 'GET',
    path: '/v1/subscriptions/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => deepClone(requireSubscription(ctx.store, path.id as string)),
  }),
  route<Stripe.SubscriptionListParams, Stripe.ApiList<Stripe.Subscription>>({
    method: 'GET',
    path: '/v1/subscriptions',
    parse: (p) => ({
      ...readPagination(p),
      customer: p.string('customer'),
      expand: readExpand(p),
      price: p.string('price'),
      status: p.oneOf('status', ['active', 'all', 'canceled', 'ended', 'incomplete', 'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'] as const),
    }),
    handle: (params, ctx) => {
      const subscriptions = ctx.store
        .newestFirst([...ctx.store.subscriptions.values()])
        .filter((s) => params.customer === undefined || idOf(s.customer) === params.customer)
        .filter((s) => params.price === undefined || s.items.data.some((i) => i.price.id === params.price))
        .filter((s) => {
          // Stripe leaves canceled subscriptions out unless asked for them.
          if (params.status === 'all') return true;
          if (params.status === undefined) return s.status !== 'canceled';
          if (params.status === 'ended') return s.status === 'canceled';
          return s.status === params.status;
        });
      return paginate(subscriptions.map(deepClone), params, '/v1/subscriptions');
    },
  }),
  route<Stripe.SubscriptionCancelParams, Stripe.Subscription>({
    method: 'DELETE',
    path: '/v1/subscriptions/:id',
    parse: (p) => ({ expand: readExpand(p), invoice_now: p.boolean('invoice_now'), prorate: p.boolean('prorate') }),
    handle: (_params, ctx, path) => {
      const subscription = requireSubscription(ctx.store, path.id as string);
      if (subscription.status === 'canceled') throw invalidTransition('This subscription is already canceled.');
      const scheduleId = idOf(subscription.schedule);
      const schedule = scheduleId ? ctx.store.schedules.get(scheduleId) : undefined;
      const now = ctx.now();
      cancelSubscription(ctx, subscription, now);
      if (schedule && schedule.status === 'active') {
        schedule.status = 'canceled';
        schedule.canceled_at = now;
        schedule.current_phase = null;
        ctx.emit('subscription_schedule.canceled', deepClone(schedule));
      }
      return deepClone(subscription);
    },
  }),
];
