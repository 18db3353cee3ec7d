import { invalid } from '../../shared/errors.js';
import { findPlan, findPrice, findProduct, planPrices } from '../catalog/lookup.js';
import type { Catalog, Interval, Price, Product } from '../catalog/model.js';
import { normalizeCurrency } from '../money/currency.js';

/** What a caller asks for on one product: a plan (default: the product's default plan, R3) or one price. */
export interface ItemRequest {
  readonly product: string;
  readonly plan?: string | null | undefined;
  readonly price?: string | null | undefined;
}

/**
 * A request resolved against one catalog version. A product is on exactly one plan at a time; the plan
 * may bill through several prices (an up-front fee and metered usage), one subscription item each.
 * `prices` is empty only for a plan with no prices at all — the "not subscribed" plan an add-on defaults
 * to — which means the product is not on the subscription.
 */
export interface ResolvedItem {
  readonly productKey: string;
  readonly planKey: string;
  readonly prices: readonly Price[];
}

const INTERVALS: readonly Interval[] = ['month', 'year'];
/** `items.0` + `plan` → `items.0.plan`; a top-level request (param '') names just `plan`. */
const field = (param: string, name: string): string => (param ? `${param}.${name}` : name);
const perInterval = (i: Interval): string => (i === 'month' ? 'monthly' : 'yearly');

function requireProductAt(catalog: Catalog, key: string, param: string): Product {
  const product = findProduct(catalog, key);
  if (!product) {
    const known = [...catalog.products.keys()].join(', ');
    throw invalid('unknown_product', `Unknown product '${key}' (products: ${known}).`, param);
  }
  return product;
}

/**
 * Resolves one request in the customer's currency and the subscription's interval. Errors name the
 * offending field under `param` (`items.0.plan`): unknown product, plan or price; a price of another
 * product, plan, currency or interval; a plan with no price in that currency and interval.
 */
export function resolveItem(catalog: Catalog, req: ItemRequest, currency: string, interval: Interval, param: string): ResolvedItem {
  const code = normalizeCurrency(currency);
  const product = requireProductAt(catalog, req.product, field(param, 'product'));
  if (req.price != null) {
    const price = findPrice(catalog, req.price);
    const p = field(param, 'price');
    if (!price) throw invalid('unknown_price', `Unknown price '${req.price}'.`, p);
    if (price.productKey !== product.key) throw invalid('price_product_mismatch', `Price '${price.key}' belongs to '${price.productKey}', not '${product.key}'.`, p);
    if (req.plan != null && price.planKey !== req.plan) {
      throw invalid('price_plan_mismatch', `Price '${price.key}' belongs to plan '${price.planKey}', not '${req.plan}'.`, p);
    }
    if (price.currency !== code) throw invalid('price_currency_mismatch', `Price '${price.key}' is in ${price.currency}; the customer pays in ${code}.`, p);
    if (price.interval !== interval) {
      throw invalid('price_interval_mismatch', `Price '${price.key}' is billed ${perInterval(price.interval)}; the subscription is billed ${perInterval(interval)}.`, p);
    }
    return { productKey: product.key, planKey: price.planKey, prices: [price] };
  }
  const planKey = req.plan ?? product.defaultPlan;
  const plan = findPlan(catalog, product.key, planKey);
  if (!plan) throw invalid('unknown_plan', `Product '${product.key}' has no plan '${planKey}' (plans: ${product.planKeys.join(', ')}).`, field(param, 'plan'));
  const all = planPrices(catalog, plan);
  if (all.length === 0) return { productKey: product.key, planKey, prices: [] };
  const prices = all.filter((p) => p.currency === code && p.interval === interval);
  if (prices.length === 0) {
    const offered = [...new Set(all.map((p) => `${p.currency} ${perInterval(p.interval)}`))].join(', ');
    throw invalid(
      'no_price_for_currency_interval',
      `Plan '${planKey}' of '${product.key}' has no ${code} price billed ${perInterval(interval)} (it has: ${offered}).`,
      req.plan != null ? field(param, 'plan') : field(param, 'product'),
    );
  }
  return { productKey: product.key, planKey, prices };
}

/**
 * The interval a new subscription bills on when the caller gave none: that of any explicit price, else
 * monthly when every requested plan has a monthly price in the currency, else yearly when every one has
 * a yearly price. Throws naming `interval` when the requests cannot share one.
 */
export function chooseInterval(catalog: Catalog, requests: readonly ItemRequest[], currency: string, param = 'items'): Interval {
  const explicit = new Set(requests.flatMap((r) => (r.price != null ? [findPrice(catalog, r.price)?.interval ?? null] : [])).filter((i) => i !== null));
  if (explicit.size > 1) throw invalid('mixed_intervals', 'The requested prices are billed on different intervals; one subscription has one interval.', 'interval');
  const [only] = explicit;
  if (only !== undefined) return only;
  for (const interval of INTERVALS) {
    try {
      requests.forEach((r, i) => resolveItem(catalog, r, currency, interval, `${param}.${i}`));
      return interval;
    } catch {
      // try the next interval
    }
  }
  // Neither fits all: report the first failure for the monthly interval, which names the field.
  requests.forEach((r, i) => resolveItem(catalog, r, currency, 'month', `${param}.${i}`));
  throw invalid('mixed_intervals', 'The requested plans have no interval in common; give prices or plans billed alike.', 'interval');
}

/**
 * Add-ons need their parent product on the subscription (R7 rates them alongside it). `products` is the
 * set of products the subscription would hold; `paramOf` names the field of the offending add-on.
 */
export function checkAddonParents(catalog: Catalog, products: ReadonlySet<string>, paramOf: (productKey: string) => string): void {
  for (const key of products) {
    const parent = catalog.products.get(key)?.addonOf ?? null;
    if (parent !== null && !products.has(parent)) {
      throw invalid('addon_requires_parent', `'${key}' is an add-on of '${parent}', which is not on the subscription; subscribe to '${parent}' first.`, paramOf(key));
    }
  }
}

/** Live add-ons of `productKey` among `products`: what removing a parent would orphan. */
export function addonsAmong(catalog: Catalog, productKey: string, products: Iterable<string>): string[] {
  return [...products].filter((k) => catalog.products.get(k)?.addonOf === productKey);
}
