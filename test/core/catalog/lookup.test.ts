import { describe, expect, it } from 'vitest';
import {
  addonsOf,
  defaultPaidPlanOf,
  defaultPaidPricesFor,
  defaultPlanOf,
  defaultPricesFor,
  findPlan,
  findPrice,
  findProduct,
  planCurrencies,
  planOfPrice,
  productForMetric,
  requirePrice,
  requireProduct,
  subscriptionPricesFor,
} from '../../../src/core/catalog/lookup.js';
import { isTallyError } from '../../../src/shared/errors.js';
import { catalogOf, exampleText } from './helpers.js';

const { catalog } = catalogOf(exampleText());
const keys = (prices: readonly { key: string }[]): string[] => prices.map((p) => p.key);

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('catalog lookups', () => {
  it('finds prices of a plan in a currency, either case, optionally by interval', () => {
    expect(keys(subscriptionPricesFor(catalog, 'product_analytics', 'paid', 'usd'))).toEqual(['product_analytics.paid.usd.month']);
    expect(keys(subscriptionPricesFor(catalog, 'product_analytics', 'paid', 'EUR', 'month'))).toEqual([
      'product_analytics.paid.eur.month',
    ]);
    expect(subscriptionPricesFor(catalog, 'product_analytics', 'paid', 'usd', 'year')).toEqual([]);
    expect(subscriptionPricesFor(catalog, 'product_analytics', 'enterprise', 'eur')).toEqual([]);
  });

  it('returns every price a plan combines (up-front fee and metered usage)', () => {
    expect(keys(subscriptionPricesFor(catalog, 'product_analytics', 'annual', 'USD', 'year'))).toEqual([
      'product_analytics.annual.usd.year.up_front',
      'product_analytics.annual.usd.year.usage',
    ]);
  });

  it('throws not_found for an unknown product or plan', () => {
    const e = thrown(() => subscriptionPricesFor(catalog, 'product_analytics', 'platinum', 'usd'));
    expect(isTallyError(e) && [e.type, e.param]).toEqual(['not_found', 'plan']);
    const e2 = thrown(() => subscriptionPricesFor(catalog, 'surveys', 'paid', 'usd'));
    expect(isTallyError(e2) && [e2.type, e2.message]).toEqual(['not_found', "No product with id 'surveys'."]);
    expect(isTallyError(thrown(() => requirePrice(catalog, 'nope')))).toBe(true);
  });

  it('gives the default plan and prices the config names (R3)', () => {
    expect(defaultPlanOf(catalog, 'session_replay').key).toBe('free');
    expect(keys(defaultPricesFor(catalog, 'session_replay', 'usd'))).toEqual(['session_replay.free.usd.month']);
    expect(defaultPricesFor(catalog, 'group_analytics', 'usd')).toEqual([]);
  });

  it('gives the default paid plan and its prices (where startup prices lead, R6)', () => {
    expect(defaultPaidPlanOf(catalog, 'product_analytics')?.key).toBe('paid');
    expect(keys(defaultPaidPricesFor(catalog, 'product_analytics', 'usd', 'month'))).toEqual([
      'product_analytics.paid.usd.month',
    ]);
  });

  it('answers the smaller questions', () => {
    expect(findProduct(catalog, 'nope')).toBeNull();
    expect(requireProduct(catalog, 'feature_flags').metric).toBe('feature_flag_requests');
    expect(findPlan(catalog, 'feature_flags', 'paid')?.name).toBe('Pay-as-you-go');
    expect(findPlan(catalog, 'feature_flags', 'enterprise')).toBeNull();
    expect(findPrice(catalog, 'feature_flags.paid.usd.month')?.planKey).toBe('paid');
    expect(planOfPrice(catalog, requirePrice(catalog, 'session_replay.team.usd.month')).name).toBe('Team');
    expect(productForMetric(catalog, 'recordings')?.key).toBe('session_replay');
    expect(productForMetric(catalog, 'pageviews')).toBeNull();
    expect(addonsOf(catalog, 'product_analytics').map((p) => p.key)).toEqual(['group_analytics']);
    expect(planCurrencies(catalog, defaultPlanOf(catalog, 'product_analytics'))).toEqual(['EUR', 'USD']);
  });
});
