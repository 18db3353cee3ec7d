import { notFound } from '../../shared/errors.js';
import { normalizeCurrency } from '../money/currency.js';
import { planId, type Catalog, type Interval, type Plan, type Price, type Product } from './model.js';

/**
 * Read-only questions services ask of the catalog. `find*` return null when absent; `require*` throw
 * TallyError `not_found` (for input that names a product, plan or price). Lists keep the config's order.
 */

export function findProduct(catalog: Catalog, productKey: string): Product | null {
  return catalog.products.get(productKey) ?? null;
}

export function requireProduct(catalog: Catalog, productKey: string): Product {
  const product = findProduct(catalog, productKey);
  if (!product) throw notFound('product', productKey, 'product');
  return product;
}

export function findPlan(catalog: Catalog, productKey: string, planKey: string): Plan | null {
  return catalog.plans.get(planId(productKey, planKey)) ?? null;
}

export function requirePlan(catalog: Catalog, productKey: string, planKey: string): Plan {
  const plan = findPlan(catalog, productKey, planKey);
  if (!plan) throw notFound('plan', planId(productKey, planKey), 'plan');
  return plan;
}

export function findPrice(catalog: Catalog, priceKey: string): Price | null {
  return catalog.prices.get(priceKey) ?? null;
}

export function requirePrice(catalog: Catalog, priceKey: string): Price {
  const price = findPrice(catalog, priceKey);
  if (!price) throw notFound('price', priceKey, 'price');
  return price;
}

/** Every price of a plan, in every currency and interval. */
export function planPrices(catalog: Catalog, plan: Plan): Price[] {
  return plan.priceKeys.map((key) => requirePrice(catalog, key));
}

/**
 * The prices a subscription to `productKey` on `planKey` is made of, in one currency (either case) and,
 * when given, one interval. A plan may combine a fee and metered usage, so this is a list; it is empty when
 * the plan has no price in that currency. Throws `not_found` for an unknown product or plan.
 */
export function subscriptionPricesFor(
  catalog: Catalog,
  productKey: string,
  planKey: string,
  currency: string,
  interval?: Interval,
): Price[] {
  requireProduct(catalog, productKey);
  const code = normalizeCurrency(currency);
  return planPrices(catalog, requirePlan(catalog, productKey, planKey)).filter(
    (p) => p.currency === code && (interval === undefined || p.interval === interval),
  );
}

/** The product's default plan — what the config names, never the provider's default price (R3). */
export function defaultPlanOf(catalog: Catalog, productKey: string): Plan {
  const product = requireProduct(catalog, productKey);
  return requirePlan(catalog, productKey, product.defaultPlan);
}

/** The product's default paid plan (where startup prices lead, R6), or null when it has none. */
export function defaultPaidPlanOf(catalog: Catalog, productKey: string): Plan | null {
  const product = requireProduct(catalog, productKey);
  return product.defaultPaidPlan === null ? null : requirePlan(catalog, productKey, product.defaultPaidPlan);
}

/** The default prices of a product in a currency (and interval): its default plan's prices there. */
export function defaultPricesFor(catalog: Catalog, productKey: string, currency: string, interval?: Interval): Price[] {
  return subscriptionPricesFor(catalog, productKey, defaultPlanOf(catalog, productKey).key, currency, interval);
}

/** The default paid plan's prices in a currency (and interval); empty when the product has no paid plan. */
export function defaultPaidPricesFor(
  catalog: Catalog,
  productKey: string,
  currency: string,
  interval?: Interval,
): Price[] {
  const plan = defaultPaidPlanOf(catalog, productKey);
  return plan === null ? [] : subscriptionPricesFor(catalog, productKey, plan.key, currency, interval);
}

/** The plan a price belongs to. */
export function planOfPrice(catalog: Catalog, price: Price): Plan {
  return requirePlan(catalog, price.productKey, price.planKey);
}

/** The product that meters a usage metric, or null for a metric no product meters. */
export function productForMetric(catalog: Catalog, metric: string): Product | null {
  const key = catalog.metrics.get(metric);
  return key === undefined ? null : findProduct(catalog, key);
}

/** The add-ons that hang off a product. */
export function addonsOf(catalog: Catalog, productKey: string): Product[] {
  return [...catalog.products.values()].filter((p) => p.addonOf === productKey);
}

/** Currencies a plan has prices in, upper-case, sorted. */
export function planCurrencies(catalog: Catalog, plan: Plan): string[] {
  return [...new Set(planPrices(catalog, plan).map((p) => p.currency))].sort();
}
