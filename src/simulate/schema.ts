/**
 * The shape of a scenario file (YAML, snake_case), checked with Zod: every object is strict, so a typo in
 * a field name is an error with its path (`steps[3].usage.metrc: unknown key`) rather than a silently
 * ignored field. Rules that need the billing config (known metrics, products, aliases defined before use,
 * times in order) live in `check.ts`.
 */
import { z } from 'zod';
import { Decimal } from '../core/money/decimal.js';
import { checkTimeSyntax, parseInstant, TimeSyntaxError } from './time.js';

const timeText = (what: string) =>
  z.string().superRefine((s, ctx) => {
    try {
      checkTimeSyntax(s);
    } catch (e) {
      if (!(e instanceof TimeSyntaxError)) throw e;
      ctx.addIssue({ code: 'custom', message: `${what}: ${e.message}`, input: s });
    }
  });

const instantText = z.string().superRefine((s, ctx) => {
  try {
    parseInstant(s);
  } catch (e) {
    if (!(e instanceof TimeSyntaxError)) throw e;
    ctx.addIssue({ code: 'custom', message: e.message, input: s });
  }
});

export const ALIAS_PATTERN = /^[A-Za-z][A-Za-z0-9_-]*$/;
// Aliases start with a letter: JSON objects put integer-like keys first, which would reorder the output.
const alias = z.string().regex(ALIAS_PATTERN, { error: 'an alias starts with a letter, then letters, digits, _ or -' });
const key = z.string().min(1);
const minorUnits = z.number().int({ error: 'amounts are whole numbers of minor units (cents; yen for JPY)' });

/** A usage value: a non-negative number or decimal string (up to 12 places), as the usage API takes it. */
const usageValue = z.union([z.number(), z.string()]).superRefine((v, ctx) => {
  try {
    if (Decimal.from(v).isNegative()) ctx.addIssue({ code: 'custom', message: 'a usage value must not be negative', input: v });
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: e instanceof Error ? e.message : 'not a number', input: v });
  }
});

const item = z.strictObject({ product: key, plan: key.optional(), price: key.optional() });
const interval = z.enum(['month', 'year']);

const customerStep = z.strictObject({
  id: alias,
  external_id: z.string().min(1).optional(),
  currency: z.string().regex(/^[A-Za-z]{3}$/, { error: 'a currency is a three-letter ISO code such as usd or jpy' }),
  billing_email: z.string().optional(),
  name: z.string().optional(),
  instance: z.string().optional(),
});

const subscribeStep = z.strictObject({
  customer: alias,
  items: z.array(item).min(1),
  interval: interval.optional(),
  anchor: timeText('anchor').optional(),
});

const changePlanStep = z.strictObject({ customer: alias, product: key, plan: key.optional(), price: key.optional() });

const cancelStep = z.strictObject({ customer: alias, at_period_end: z.boolean() });

const usageEvent = z.strictObject({
  metric: key,
  value: usageValue,
  timestamp: timeText('timestamp'),
  id: z.string().min(1).max(200).optional(),
  properties: z.record(z.string(), z.unknown()).optional(),
});

const usageStep = z
  .strictObject({
    customer: alias,
    metric: key.optional(),
    value: usageValue.optional(),
    count: z.number().int().min(1).max(100_000).optional(),
    until: timeText('until').optional(),
    id: z.string().min(1).max(200).optional(),
    events: z.array(usageEvent).min(1).optional(),
  })
  .superRefine((u, ctx) => {
    if (u.events !== undefined) {
      for (const f of ['metric', 'value', 'count', 'until', 'id'] as const) {
        if (u[f] !== undefined) ctx.addIssue({ code: 'custom', path: [f], message: `give either events or ${f} (with metric and value), not both`, input: u[f] });
      }
      return;
    }
    if (u.metric === undefined) ctx.addIssue({ code: 'custom', path: ['metric'], message: 'missing required field (or give events)', input: undefined });
    if (u.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: 'missing required field (or give events)', input: undefined });
    if (u.until !== undefined && u.count === undefined) ctx.addIssue({ code: 'custom', path: ['count'], message: 'until spreads count events: give count too', input: undefined });
    if (u.id !== undefined && (u.count ?? 1) > 1) ctx.addIssue({ code: 'custom', path: ['id'], message: 'an id names one event; with count the ids are generated', input: u.id });
  });

const creditStep = z.strictObject({
  customer: alias,
  amount: minorUnits.positive({ error: 'a credit amount is positive: what the customer is credited' }),
  description: z.string().min(1),
});

const couponStep = z
  .strictObject({
    customer: alias,
    name: z.string().min(1).optional(),
    percent_off: z.number().gt(0).lte(100).optional(),
    amount_off: minorUnits.positive().optional(),
    duration: z.enum(['once', 'repeating', 'forever']),
    duration_in_months: z.number().int().min(1).max(120).optional(),
    products: z.array(key).min(1).optional(),
    stack: z.boolean().optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.percent_off === undefined) === (c.amount_off === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['percent_off'], message: 'give exactly one of percent_off and amount_off', input: c.percent_off });
    }
    if (c.duration === 'repeating' && c.duration_in_months === undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration_in_months'], message: "a 'repeating' coupon needs duration_in_months", input: undefined });
    }
    if (c.duration !== 'repeating' && c.duration_in_months !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['duration_in_months'], message: "duration_in_months is only for 'repeating' coupons", input: c.duration_in_months });
    }
  });

const billingLimitStep = z.strictObject({
  customer: alias,
  product: key,
  amount: minorUnits.nonnegative().nullable(),
  effective: z.enum(['now', 'next_period']).optional(),
});

const trialStep = z.strictObject({ customer: alias, until: timeText('until') });

const schedulePhase = z.strictObject({
  start: timeText('start').optional(),
  months: z.number().int().min(1),
  interval: interval.optional(),
  items: z.array(item).min(1),
});

const scheduleStep = z.strictObject({
  customer: alias,
  phases: z.array(schedulePhase).min(1),
  end_behavior: z.enum(['release', 'cancel']),
});

/** The action keys, in the order the docs list them. A step has exactly one. */
export const ACTIONS = ['customer', 'subscribe', 'change_plan', 'cancel', 'usage', 'credit', 'coupon', 'billing_limit', 'trial', 'schedule', 'advance'] as const;
export type ActionName = (typeof ACTIONS)[number];

export const stepSchema = z
  .strictObject({
    at: timeText('at').optional(),
    customer: customerStep.optional(),
    subscribe: subscribeStep.optional(),
    change_plan: changePlanStep.optional(),
    cancel: cancelStep.optional(),
    usage: usageStep.optional(),
    credit: creditStep.optional(),
    coupon: couponStep.optional(),
    billing_limit: billingLimitStep.optional(),
    trial: trialStep.optional(),
    schedule: scheduleStep.optional(),
    advance: timeText('advance').optional(),
  })
  .superRefine((step, ctx) => {
    const present = ACTIONS.filter((a) => step[a] !== undefined);
    if (present.length === 0) ctx.addIssue({ code: 'custom', message: `a step needs one action: ${ACTIONS.join(', ')}`, input: step });
    if (present.length > 1) ctx.addIssue({ code: 'custom', path: [present[1]!], message: `a step has one action; this one also has '${present[0]}' (split it into two steps)`, input: step });
    if (step.advance !== undefined && step.at !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['at'], message: 'advance carries its own time; drop at (advance: +1d counts from the previous step)', input: step.at });
    }
  });

export const scenarioSchema = z
  .strictObject({
    description: z.string().optional(),
    // Inline config: checked by the config loader itself (with its own paths), so any map is accepted here.
    config: z.record(z.string(), z.unknown()).optional(),
    config_file: z.string().min(1).optional(),
    start: instantText,
    invoice_grace_minutes: z.number().int().min(0).max(7 * 24 * 60).optional(),
    instances: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, { error: 'an instance slug is lower-case letters, digits and dashes, starting with a letter' })).min(1).optional(),
    steps: z.array(stepSchema).min(1),
  })
  .superRefine((s, ctx) => {
    if ((s.config === undefined) === (s.config_file === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: 'give exactly one of config (the billing config inline) and config_file (a path relative to the scenario)', input: s.config });
    }
    const seen = new Set<string>();
    s.instances?.forEach((slug, i) => {
      if (seen.has(slug)) ctx.addIssue({ code: 'custom', path: ['instances', i], message: `instance '${slug}' is listed twice`, input: slug });
      seen.add(slug);
    });
  });

export type ScenarioFile = z.infer<typeof scenarioSchema>;
export type StepFile = z.infer<typeof stepSchema>;
export type ItemFile = z.infer<typeof item>;
export type UsageFile = z.infer<typeof usageStep>;
export type CouponFile = z.infer<typeof couponStep>;
export type BillingLimitFile = z.infer<typeof billingLimitStep>;
export type ScheduleFile = z.infer<typeof scheduleStep>;
