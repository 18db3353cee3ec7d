import { normalizeCurrency } from '../money/currency.js';
import { toDecimal } from './amounts.js';
import { defaultPaidPlanOf, planPriceKeys } from './config-defaults.js';
import type { BillingConfig, PriceConfig } from './config-schema.js';
import { planId, type Catalog, type Plan, type Price, type PricingScheme, type Product } from './model.js';

/**
 * A validated config → the catalog the rest of Tally reads. Only call it once `validateConfig` found
 * nothing: it trusts every reference and amount (and throws on the impossible rather than guess).
 * Everything it returns is frozen; the Maps are typed read-only.
 */
export function buildCatalog(config: BillingConfig): Catalog {
  const products = new Map<string, Product>();
  const plans = new Map<string, Plan>();
  const prices = new Map<string, Price>();
  const metrics = new Map<string, string>();

  for (const p of config.products) {
    const metric = p.metric ?? null;
    if (metric !== null) metrics.set(metric, p.key);
    const planKeys = Object.keys(p.plans);
    products.set(
      p.key,
      Object.freeze({
        key: p.key,
        name: p.name,
        metric,
        unit: p.unit ?? null,
        addonOf: p.addon_of ?? null,
        planKeys: Object.freeze(planKeys),
        defaultPlan: p.default_plan,
        defaultPaidPlan: defaultPaidPlanOf(p),
      }),
    );

    for (const [planKey, plan] of Object.entries(p.plans)) {
      const keys = planPriceKeys(p.key, planKey, plan.prices);
      plan.prices.forEach((price, k) => {
        const key = keys[k];
        if (key === undefined) throw new Error('price key missing');
        prices.set(key, buildPrice(key, p.key, planKey, metric, price));
      });
      plans.set(
        planId(p.key, planKey),
        Object.freeze({
          key: planKey,
          productKey: p.key,
          name: plan.name,
          features: Object.freeze(
            plan.features.map((f) => Object.freeze({ key: f.key, name: f.name, limit: f.limit ?? null })),
          ),
          priceKeys: Object.freeze(keys),
          premium: plan.premium,
        }),
      );
    }
  }
  return Object.freeze({ products, plans, prices, metrics });
}

function buildPrice(key: string, productKey: string, planKey: string, metric: string | null, p: PriceConfig): Price {
  let metered: Price['metered'] = null;
  if (p.metered) {
    if (metric === null) throw new Error(`metered price '${key}' of a product without metric`);
    metered = Object.freeze({ metric, aggregation: p.metered.aggregation });
  }
  return Object.freeze({
    key,
    productKey,
    planKey,
    currency: normalizeCurrency(p.currency),
    interval: p.interval,
    scheme: buildScheme(key, p),
    metered,
    startup: p.startup
      ? Object.freeze({ validDays: p.startup.valid_days, moveToPrice: p.startup.move_to_price ?? null, startupPlan: p.startup.startup_plan })
      : null,
    description: p.description ?? null,
    metadata: Object.freeze({ ...(p.metadata ?? {}) }),
  });
}

function buildScheme(key: string, p: PriceConfig): PricingScheme {
  if (p.flat) return Object.freeze({ type: 'flat', amount: toDecimal(p.flat.amount) });
  if (p.per_unit) return Object.freeze({ type: 'per_unit', unitAmount: toDecimal(p.per_unit.unit_amount) });
  if (p.up_front) return Object.freeze({ type: 'up_front', amount: toDecimal(p.up_front.amount) });
  if (p.package) {
    return Object.freeze({
      type: 'package',
      amount: toDecimal(p.package.amount),
      size: toDecimal(p.package.divide_by),
      round: p.package.round,
    });
  }
  if (p.tiered) {
    return Object.freeze({
      type: 'tiered',
      mode: p.tiered.mode,
      tiers: Object.freeze(
        p.tiered.tiers.map((t) =>
          Object.freeze({
            upTo: t.up_to === 'inf' ? null : toDecimal(t.up_to),
            unitAmount: toDecimal(t.unit_amount ?? 0),
            flatAmount: toDecimal(t.flat_amount ?? 0),
          }),
        ),
      ),
    });
  }
  throw new Error(`price '${key}' has no pricing form`);
}
