import { defaultPaidPlanOf, findPlan } from '../catalog/lookup.js';
import type { Catalog, Plan } from '../catalog/model.js';

export type FeatureSource = 'plan' | 'trial' | 'override';

export interface AvailableFeature {
  readonly key: string;
  readonly name: string;
  /** A numeric limit, or null when the feature is on without one (unlimited). */
  readonly limit: number | null;
  readonly source: FeatureSource;
  /** The product whose plan granted it. */
  readonly product: string;
}

export interface EntitlementState {
  readonly at: Date;
  /** Premium features while `at` is before this (R9). */
  readonly freeTrialUntil: Date | null;
  /** Staff override of the plan per product (R8). */
  readonly planOverrides: Readonly<Record<string, string>>;
  /** The plan each subscribed product is on, as of `at`. */
  readonly subscribedPlans: ReadonlyMap<string, string>;
}

export interface Entitlement {
  readonly enabled: boolean;
  readonly limit: number | null;
  readonly source: FeatureSource | null;
}

/**
 * The plan a free trial grants for a product (R9, "the standard premium features"): the default paid plan
 * when it is premium, else the first premium plan in the config's order; null when the product has none.
 */
export function premiumPlanOf(catalog: Catalog, productKey: string): Plan | null {
  const product = catalog.products.get(productKey);
  if (!product) return null;
  const paid = defaultPaidPlanOf(catalog, productKey);
  if (paid?.premium) return paid;
  for (const key of product.planKeys) {
    const plan = findPlan(catalog, productKey, key);
    if (plan?.premium) return plan;
  }
  return null;
}

/** True when `a` is a larger limit than `b`: null (unlimited) beats every number. */
function larger(a: number | null, b: number | null): boolean {
  if (a === null) return b !== null;
  return b !== null && a > b;
}

/**
 * A customer's available features (R8, R9): for each product, the features of its plan — the staff
 * override when set and known, else the subscribed plan, else the product's default plan — plus, while
 * `at < freeTrialUntil`, the features of each product's premium plan. When two sources grant the same
 * key the larger limit wins (unlimited beats any number); on a tie the plan/override source is kept, as
 * it outlives the trial. Features come in the config's product and plan order.
 */
export function availableFeatures(catalog: Catalog, state: EntitlementState): AvailableFeature[] {
  const out = new Map<string, AvailableFeature>();
  const grant = (plan: Plan, source: FeatureSource): void => {
    for (const f of plan.features) {
      const had = out.get(f.key);
      if (had === undefined || larger(f.limit, had.limit)) out.set(f.key, { key: f.key, name: f.name, limit: f.limit, source, product: plan.productKey });
    }
  };
  for (const product of catalog.products.values()) {
    const overrideKey = Object.hasOwn(state.planOverrides, product.key) ? state.planOverrides[product.key] : undefined;
    const override = overrideKey === undefined ? null : findPlan(catalog, product.key, overrideKey);
    if (override) {
      grant(override, 'override');
      continue;
    }
    const subscribed = state.subscribedPlans.get(product.key);
    const plan = (subscribed !== undefined ? findPlan(catalog, product.key, subscribed) : null) ?? findPlan(catalog, product.key, product.defaultPlan);
    if (plan) grant(plan, 'plan');
  }
  if (state.freeTrialUntil !== null && state.at.getTime() < state.freeTrialUntil.getTime()) {
    for (const product of catalog.products.values()) {
      const premium = premiumPlanOf(catalog, product.key);
      if (premium) grant(premium, 'trial');
    }
  }
  return [...out.values()];
}

/** One feature of a computed list, as an entitlement check answers it. */
export function entitlementOf(features: readonly AvailableFeature[], key: string): Entitlement {
  const f = features.find((x) => x.key === key);
  return f ? { enabled: true, limit: f.limit, source: f.source } : { enabled: false, limit: null, source: null };
}
