import { z } from 'zod';

/**
 * The shape of the billing config file (YAML, snake_case). This schema checks structure only — types,
 * required fields, unknown keys — and is also published as JSON Schema for editors
 * (`schema/billing-config.schema.json`). Rules that need more than one field (references, tiers,
 * which pricing form, amounts as exact decimals) live in `validate-config.ts`.
 *
 * Amounts are written in MINOR units (cents for USD), like Stripe's `unit_amount_decimal`, with up to 12
 * decimal places, as a YAML number or a string; a string keeps every digit of a long amount exact.
 */

export const KEY_PATTERN = /^[a-z][a-z0-9_]*$/;
export const PRICE_KEY_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]*$/;
const DECIMAL_STRING = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const decimalString = z
  .string()
  .regex(DECIMAL_STRING, { error: (issue) => `'${String(issue.input)}' is not a decimal number` });

/** Returning undefined hands the issue on, so a missing field still reads "missing required field". */
const unlessMissing =
  (message: string) =>
  (issue: { input?: unknown }): string | undefined =>
    issue.input === undefined ? undefined : message;

const snakeKey = (what: string) =>
  z
    .string()
    .regex(KEY_PATTERN, { error: `${what} must be snake_case: a lower-case letter, then lower-case letters, digits or '_'` });

const priceKey = z
  .string()
  .regex(PRICE_KEY_PATTERN, { error: "a price key may contain only letters, digits, '_', '.', ':' and '-'" });

const amount = (description: string) =>
  z
    .union([z.number(), decimalString], {
      error: unlessMissing('expected a decimal amount: a number or a numeric string such as "0.005"'),
    })
    .describe(
      `${description} In minor units (cents for USD), like Stripe's unit_amount_decimal: up to 12 decimal places, ` +
        'not negative. A number or a numeric string (a string keeps long amounts exact).',
    );

/** A number of units (not money): a number or a numeric string. */
const quantity = (description: string) =>
  z
    .union([z.number(), decimalString], {
      error: unlessMissing('expected a number of units: a number or a numeric string'),
    })
    .describe(description);

export const currencySchema = z
  .string()
  .regex(/^[A-Za-z]{3}$/, { error: 'a currency is a three-letter ISO 4217 code such as usd or EUR' })
  .describe('ISO 4217 currency code, either case (usd, EUR).');

export const intervalSchema = z.enum(['month', 'year']).describe('Billing interval of the price.');

export const AGGREGATIONS = ['sum', 'max', 'last', 'count', 'unique'] as const;

export const tierSchema = z
  .strictObject({
    up_to: z
      .union([z.number(), z.literal('inf'), decimalString], {
        error: unlessMissing("expected a number of units, or 'inf' on the last tier"),
      })
      .describe(
        "Inclusive upper bound of the tier in the product's unit; 'inf' on the last tier, and only there. " +
          'Strictly ascending from tier to tier.',
      ),
    unit_amount: amount('Amount per unit inside this tier; defaults to 0.').optional(),
    flat_amount: amount('Fixed amount charged once the quantity reaches this tier; defaults to 0.').optional(),
  })
  .describe('One tier. At least one of unit_amount and flat_amount must be given.');

export const flatSchema = z
  .strictObject({ amount: amount('Recurring fee per interval, billed in advance.') })
  .describe('A fixed recurring fee. Not metered.');

export const perUnitSchema = z
  .strictObject({ unit_amount: amount('Amount per unit of the metric. 0 makes a "Free" price that still meters.') })
  .describe('Per-unit pricing. Must be metered.');

export const packageSchema = z
  .strictObject({
    amount: amount('Amount per package.'),
    divide_by: quantity('Units per package, greater than 0.'),
    round: z
      .enum(['up', 'down'])
      .default('up')
      .describe('up: charge every started package; down: only completed packages.'),
  })
  .describe('Package pricing: amount per package of divide_by units. Must be metered.');

export const tieredSchema = z
  .strictObject({
    mode: z
      .enum(['graduated', 'volume'])
      .describe("graduated: each unit at its own tier's rate; volume: every unit at the rate of the tier reached."),
    tiers: z.array(tierSchema).min(1),
  })
  .describe('Tiered pricing. Must be metered.');

export const upFrontSchema = z
  .strictObject({ amount: amount('Prepaid amount for the whole interval, billed in advance.') })
  .describe('A prepaid fixed amount for the interval (annual up-front). Not metered.');

export const meteredSchema = z
  .strictObject({
    aggregation: z
      .enum(AGGREGATIONS, {
        error: (issue) =>
          issue.input === undefined ? 'a metered price needs an aggregation: sum, max, last, count or unique' : undefined,
      })
      .describe("How the period's usage becomes one quantity: sum, max (during the period), last, count or unique."),
  })
  .describe("Marks the price as metered on the product's metric.");

export const startupSchema = z
  .strictObject({
    valid_days: z
      .number()
      .int({ error: 'valid_days must be a whole number of days' })
      .positive({ error: 'valid_days must be at least 1' })
      .describe('Days the price is valid from the start of the subscription item.'),
    move_to_price: priceKey
      .optional()
      .describe("Price key (same product and currency) to move to on expiry; default: the product's default paid plan."),
    startup_plan: z
      .boolean()
      .default(true)
      .describe(
        'The seeds\' `plan: startup` metadata. True (default): without move_to_price, expiry moves to the default paid plan. ' +
          'False: a merely time-limited price, which falls back to the free (default) plan on expiry (R6).',
      ),
  })
  .describe('Startup-program terms (the plan: startup metadata): when the shortest valid_days runs out, items reset.');

/** The pricing forms a price must pick exactly one of. */
export const PRICING_FORMS = ['flat', 'per_unit', 'package', 'tiered', 'up_front'] as const;
export type PricingForm = (typeof PRICING_FORMS)[number];

export const priceSchema = z
  .strictObject({
    key: priceKey
      .optional()
      .describe(
        'Unique, stable price key. Default: <product>.<plan>.<currency>.<interval>, with .1, .2, … appended when a ' +
          'plan has several unkeyed prices in one currency and interval (prefer explicit keys then).',
      ),
    currency: currencySchema,
    interval: intervalSchema,
    flat: flatSchema.optional(),
    per_unit: perUnitSchema.optional(),
    package: packageSchema.optional(),
    tiered: tieredSchema.optional(),
    up_front: upFrontSchema.optional(),
    metered: meteredSchema.optional(),
    startup: startupSchema.optional(),
    description: z.string().optional().describe('Shown on invoices, e.g. "Free" or "Custom - 2024-05-01".'),
    metadata: z.record(z.string(), z.string()).optional().describe('Free-form string metadata, synced to the provider.'),
  })
  .describe('A price: currency, interval and exactly one of flat, per_unit, package, tiered, up_front.');

export const featureSchema = z
  .strictObject({
    key: snakeKey('a feature key').describe('Entitlement key the product checks.'),
    name: z.string().min(1),
    limit: z
      .number()
      .int({ error: 'a feature limit must be a whole number' })
      .nonnegative({ error: 'a feature limit cannot be negative' })
      .nullable()
      .optional()
      .describe('Numeric limit (projects, retention days…); omit when the feature is simply on.'),
  })
  .describe('A feature the plan grants.');

export const planSchema = z
  .strictObject({
    name: z.string().min(1),
    premium: z.boolean().default(false).describe('Premium plans are what a free trial grants.'),
    features: z.array(featureSchema).default([]),
    prices: z.array(priceSchema).default([]),
  })
  .describe('A plan: an offer for the product, with its features and prices.');

export const productSchema = z
  .strictObject({
    key: snakeKey('a product key').describe('Unique product key, e.g. product_analytics.'),
    name: z.string().min(1),
    metric: snakeKey('a metric')
      .optional()
      .describe('The usage metric metered for this product (events, recordings); required when any price is metered.'),
    unit: z.string().min(1).optional().describe('Display name of one unit of the metric (event, recording).'),
    addon_of: snakeKey('addon_of').optional().describe('Key of the product this add-on hangs off.'),
    default_plan: snakeKey('default_plan').describe('Plan new customers get. The config decides, never the provider.'),
    default_paid_plan: snakeKey('default_paid_plan')
      .nullable()
      .optional()
      .describe("Plan startup customers move to on expiry. Default: the plan keyed 'paid' if any; null for none."),
    plans: z.record(snakeKey('a plan key'), planSchema).describe('Plans by key (free, paid, startup, enterprise, …).'),
  })
  .describe('A billable product or add-on.');

export const billingConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('Optional JSON Schema reference for editors.'),
    version: z.literal(1).describe('Format version of this file.'),
    products: z.array(productSchema),
  })
  .describe(
    'Tally billing config: products, add-ons, plans, prices and features. Amounts are in minor units (cents), ' +
      "like Stripe's unit_amount_decimal.",
  );

export type BillingConfig = z.output<typeof billingConfigSchema>;
export type ProductConfig = z.output<typeof productSchema>;
export type PlanConfig = z.output<typeof planSchema>;
export type PriceConfig = z.output<typeof priceSchema>;
export type TierConfig = z.output<typeof tierSchema>;
export type FeatureConfig = z.output<typeof featureSchema>;
/** An amount as written: a number or a numeric string, converted to a Decimal through its string form. */
export type AmountInput = number | string;
