import type { Decimal } from '../money/decimal.js';

/**
 * The catalog as Tally uses it after the billing config has been parsed and validated: plain immutable
 * data, no I/O. Amounts are Decimals in *minor units* (cents), with up to 12 fractional digits, exactly
 * like the provider's `unit_amount_decimal`; quantities are Decimals in the product's unit.
 */

export type Interval = 'month' | 'year';

/** How a period's usage values become one billable quantity. */
export type Aggregation = 'sum' | 'max' | 'last' | 'count' | 'unique';

export interface Tier {
  /** Inclusive upper bound of the tier in units; `null` on the last (open) tier. */
  readonly upTo: Decimal | null;
  /** Per-unit amount in minor units for units inside this tier. */
  readonly unitAmount: Decimal;
  /** Fixed amount in minor units charged when the quantity reaches this tier (the first tier's is charged even at 0). */
  readonly flatAmount: Decimal;
}

export type PricingScheme =
  /** A fixed recurring fee per period, billed in advance. */
  | { readonly type: 'flat'; readonly amount: Decimal }
  /** `unitAmount` per unit. A `$0` price is `per_unit` with zero: it still meters and shows quantities (R4). */
  | { readonly type: 'per_unit'; readonly unitAmount: Decimal }
  /** `amount` per started (`round: 'up'`) or completed (`round: 'down'`) package of `size` units. */
  | { readonly type: 'package'; readonly amount: Decimal; readonly size: Decimal; readonly round: 'up' | 'down' }
  /** Tiers priced `graduated` (each unit at its tier's rate) or `volume` (all units at the reached tier's rate). */
  | { readonly type: 'tiered'; readonly mode: 'graduated' | 'volume'; readonly tiers: readonly Tier[] }
  /** A prepaid fixed amount for the whole interval (annual up-front), billed in advance. */
  | { readonly type: 'up_front'; readonly amount: Decimal };

export interface StartupTerms {
  /** Days the price is valid from the subscription item's start (R6). */
  readonly validDays: number;
  /** Price key to move to when it expires; absent → the default paid price for startup plans, else the default (free) plan (R6). */
  readonly moveToPrice: string | null;
  /** Carries the `plan: startup` metadata (R6): decides where an expiry without moveToPrice leads. */
  readonly startupPlan: boolean;
}

export interface Price {
  /** Unique across the catalog, stable across config versions (e.g. `product_analytics.paid.usd.month`). */
  readonly key: string;
  readonly productKey: string;
  readonly planKey: string;
  readonly currency: string; // upper-case ISO code
  readonly interval: Interval;
  readonly scheme: PricingScheme;
  /** Present on metered prices: which metric and how it is aggregated over the period. */
  readonly metered: { readonly metric: string; readonly aggregation: Aggregation } | null;
  /** Time-limited prices (`valid_days`, usually `plan: startup`) carry their expiry terms (R6). */
  readonly startup: StartupTerms | null;
  readonly description: string | null;
  readonly metadata: Readonly<Record<string, string>>;
}

export interface Feature {
  readonly key: string;
  readonly name: string;
  /** A numeric limit (seats, projects, retention days…); `null` when the feature is simply on. */
  readonly limit: number | null;
}

export interface Plan {
  readonly key: string; // `free`, `paid`, `startup`, `enterprise`, custom keys
  readonly productKey: string;
  readonly name: string;
  readonly features: readonly Feature[];
  /** Price keys of this plan: a plan may combine a flat/up-front fee and metered usage, in several currencies. */
  readonly priceKeys: readonly string[];
  /** Premium plans are what a free trial grants (R9). */
  readonly premium: boolean;
}

export interface Product {
  readonly key: string;
  readonly name: string;
  /** The usage metric metered for this product (`events`, `recordings`), if any. */
  readonly metric: string | null;
  readonly unit: string | null;
  /** Set on add-ons: the key of the product they hang off (`group_analytics` → `product_analytics`). */
  readonly addonOf: string | null;
  readonly planKeys: readonly string[];
  /** The plan new customers get; the config decides, never the provider (R3). */
  readonly defaultPlan: string;
  /** The plan startup customers move to when their startup price expires (R6); null when the product has none. */
  readonly defaultPaidPlan: string | null;
}

export interface Catalog {
  readonly products: ReadonlyMap<string, Product>;
  /** Keyed by `${productKey}/${planKey}`. */
  readonly plans: ReadonlyMap<string, Plan>;
  readonly prices: ReadonlyMap<string, Price>;
  /** Metric name → product key that meters it. */
  readonly metrics: ReadonlyMap<string, string>;
}

export const planId = (productKey: string, planKey: string): string => `${productKey}/${planKey}`;
