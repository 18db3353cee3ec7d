import { describe, expect, it } from 'vitest';
import { formatConfigErrors } from '../../../src/core/catalog/index.js';
import { catalogOf, errorsOf, onlyError, PRICE, withPrice, yaml } from './helpers.js';

const METERED = 'metered: { aggregation: sum }';

/** Two products where the second is an add-on of the first; `parentTiers`/`addonTiers` fill the `paid` tiers. */
function addonConfig(parentTiers: string, addonTiers: string, addonCurrency = 'usd'): string {
  return yaml`
    version: 1
    products:
      - key: product_analytics
        name: Product analytics
        metric: events
        default_plan: paid
        plans:
          paid:
            name: Paid
            prices:
              - currency: usd
                interval: month
                tiered: { mode: graduated, tiers: ${parentTiers} }
                metered: { aggregation: sum }
      - key: group_analytics
        name: Group analytics
        addon_of: product_analytics
        metric: grouped_events
        default_plan: paid
        plans:
          paid:
            name: Paid
            prices:
              - currency: ${addonCurrency}
                interval: month
                tiered: { mode: graduated, tiers: ${addonTiers} }
                metered: { aggregation: sum }
  `;
}

describe('product keys (R2)', () => {
  const text = yaml`
    version: 1
    products:
      - key: session_replay
        name: Session replay
        default_plan: free
        plans: { free: { name: Free } }
      - key: feature_flags
        name: Feature flags
        default_plan: free
        plans: { free: { name: Free } }
      - key: session_replay
        name: Session replay again
        default_plan: free
        plans: { free: { name: Free } }
  `;

  it('rejects a duplicate key, naming both locations', () => {
    const e = onlyError(text, 'duplicate_product_key');
    expect(e).toEqual({
      path: 'products[2].key',
      line: 11,
      code: 'duplicate_product_key',
      message: "duplicate product key 'session_replay' (also at products[0].key, line 3)",
    });
    expect(formatConfigErrors([e], 'billing.yaml')).toBe(
      "billing.yaml:11 products[2].key: duplicate product key 'session_replay' (also at products[0].key, line 3)",
    );
  });

  it('still names both when the first product is otherwise broken', () => {
    const broken = text.replace('name: Session replay\n', 'nam: Session replay\n');
    const errors = errorsOf(broken);
    expect(errors.map((e) => e.code)).toEqual(['missing_field', 'unknown_key', 'duplicate_product_key']);
    expect(errors[2]?.message).toBe("duplicate product key 'session_replay' (also at products[0].key, line 3)");
  });
});

describe('price keys', () => {
  it('rejects two prices with one explicit key', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          metric: events
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices:
                - key: pa_standard
                  currency: usd
                  interval: month
                  per_unit: { unit_amount: 1 }
                  metered: { aggregation: sum }
            other:
              name: Other
              prices:
                - key: pa_standard
                  currency: usd
                  interval: year
                  flat: { amount: 100 }
    `;
    expect(onlyError(text, 'duplicate_price_key')).toEqual({
      path: 'products[0].plans.other.prices[0].key',
      line: 19,
      code: 'duplicate_price_key',
      message: "duplicate price key 'pa_standard' (also at products[0].plans.paid.prices[0].key, line 11)",
    });
  });

  it('rejects an explicit key that collides with a derived one, suggesting explicit keys', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices:
                - key: product_analytics.paid.usd.year
                  currency: usd
                  interval: month
                  flat: { amount: 100 }
                - currency: usd
                  interval: year
                  flat: { amount: 1000 }
    `;
    const e = onlyError(text, 'duplicate_price_key');
    expect(e.path).toBe('products[0].plans.paid.prices[1]');
    expect(e.line).toBe(14);
    expect(e.message).toContain("duplicate price key 'product_analytics.paid.usd.year' (also at products[0].plans.paid.prices[0].key, line 10)");
    expect(e.message).toContain('explicit key');
  });

  it('numbers several unkeyed prices in one currency and interval instead of colliding', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          metric: events
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices:
                - { currency: usd, interval: month, flat: { amount: 500 } }
                - { currency: usd, interval: month, per_unit: { unit_amount: 1 }, metered: { aggregation: sum } }
                - { currency: usd, interval: year, flat: { amount: 5000 } }
    `;
    const { catalog } = catalogOf(text);
    expect([...catalog.prices.keys()]).toEqual([
      'product_analytics.paid.usd.month.1',
      'product_analytics.paid.usd.month.2',
      'product_analytics.paid.usd.year',
    ]);
  });
});

describe('references', () => {
  it('rejects an unknown addon_of', () => {
    const text = addonConfig('[{ up_to: inf, unit_amount: 1 }]', '[{ up_to: inf, unit_amount: 1 }]').replace(
      'addon_of: product_analytics',
      'addon_of: product_analytic',
    );
    expect(onlyError(text, 'unknown_product')).toEqual({
      path: 'products[1].addon_of',
      line: 17,
      code: 'unknown_product',
      message: "addon_of refers to unknown product 'product_analytic'",
    });
  });

  it('rejects an unknown default_plan and default_paid_plan, listing the plans', () => {
    const text = yaml`
      version: 1
      products:
        - key: feature_flags
          name: Feature flags
          default_plan: fre
          default_paid_plan: pro
          plans:
            free: { name: Free }
            paid: { name: Paid }
    `;
    expect(errorsOf(text)).toEqual([
      {
        path: 'products[0].default_plan',
        line: 5,
        code: 'unknown_plan',
        message: "default_plan 'fre' is not a plan of 'feature_flags' (plans: free, paid)",
      },
      {
        path: 'products[0].default_paid_plan',
        line: 6,
        code: 'unknown_plan',
        message: "default_paid_plan 'pro' is not a plan of 'feature_flags' (plans: free, paid)",
      },
    ]);
  });

  it('rejects an unknown move_to_price', () => {
    const e = onlyError(
      withPrice(`per_unit: { unit_amount: 0 }\n${METERED}\nstartup: { valid_days: 365, move_to_price: product_analytics.paid.usd.mnth }`),
      'unknown_price',
    );
    expect(e.path).toBe(`${PRICE}.startup.move_to_price`);
    expect(e.line).toBe(15);
    expect(e.message).toBe("move_to_price refers to unknown price 'product_analytics.paid.usd.mnth'");
  });

  it('rejects a move_to_price that is the price itself, of another product, or in another currency', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          metric: events
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices:
                - currency: usd
                  interval: month
                  per_unit: { unit_amount: 1 }
                  metered: { aggregation: sum }
                - currency: eur
                  interval: month
                  per_unit: { unit_amount: 1 }
                  metered: { aggregation: sum }
            startup:
              name: Startup
              prices:
                - currency: usd
                  interval: month
                  per_unit: { unit_amount: 0 }
                  metered: { aggregation: sum }
                  startup: { valid_days: 30, move_to_price: product_analytics.startup.usd.month }
                - currency: usd
                  interval: year
                  flat: { amount: 0 }
                  startup: { valid_days: 30, move_to_price: feature_flags.paid.usd.month }
                - currency: gbp
                  interval: month
                  flat: { amount: 0 }
                  startup: { valid_days: 30, move_to_price: product_analytics.paid.eur.month }
        - key: feature_flags
          name: Feature flags
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices:
                - { currency: usd, interval: month, flat: { amount: 100 } }
    `;
    expect(errorsOf(text).map((e) => [e.code, e.line, e.message])).toEqual([
      ['move_to_price_self', 26, 'a price cannot move to itself on expiry'],
      [
        'move_to_price_other_product',
        30,
        "move_to_price 'feature_flags.paid.usd.month' is a price of 'feature_flags', not of 'product_analytics'",
      ],
      ['move_to_price_currency', 34, "move_to_price 'product_analytics.paid.eur.month' is in EUR, this price in GBP"],
    ]);
  });

  it('requires somewhere to go for a startup price without move_to_price (R6)', () => {
    const noPaid = withPrice(`per_unit: { unit_amount: 0 }\n${METERED}\nstartup: { valid_days: 365 }`).replace(
      'default_plan: paid',
      'default_plan: paid\n    default_paid_plan: null',
    );
    const e = onlyError(noPaid, 'no_default_paid_plan');
    expect(e.path).toBe(`${PRICE}.startup`);
    expect(e.message).toContain("'product_analytics' has none");

    // A merely time-limited price (not `plan: startup`) falls back to the default plan: nothing more needed.
    const timeLimited = withPrice(`per_unit: { unit_amount: 0 }\n${METERED}\nstartup: { valid_days: 30, startup_plan: false }`).replace(
      'default_plan: paid',
      'default_plan: paid\n    default_paid_plan: null',
    );
    const terms = [...catalogOf(timeLimited).catalog.prices.values()].find((p) => p.startup)?.startup;
    expect(terms).toEqual({ validDays: 30, moveToPrice: null, startupPlan: false });

    const otherCurrency = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          default_plan: paid
          plans:
            paid:
              name: Paid
              prices: [{ currency: usd, interval: month, flat: { amount: 100 } }]
            startup:
              name: Startup
              prices: [{ currency: eur, interval: month, flat: { amount: 0 }, startup: { valid_days: 90 } }]
    `;
    expect(onlyError(otherCurrency, 'no_paid_price_in_currency').message).toBe(
      "without move_to_price this price moves to plan 'paid' on expiry, which has no EUR price: set move_to_price or add one",
    );
  });
});

describe('add-ons', () => {
  it('rejects an add-on of an add-on', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          default_plan: free
          plans: { free: { name: Free } }
        - key: group_analytics
          name: Group analytics
          addon_of: product_analytics
          default_plan: free
          plans: { free: { name: Free } }
        - key: group_insights
          name: Group insights
          addon_of: group_analytics
          default_plan: free
          plans: { free: { name: Free } }
    `;
    expect(onlyError(text, 'addon_of_addon')).toEqual({
      path: 'products[2].addon_of',
      line: 14,
      code: 'addon_of_addon',
      message:
        "'group_analytics' is itself an add-on (of 'product_analytics'); add-ons can only hang off a product that is not an add-on",
    });
  });

  it('rejects an add-on of itself', () => {
    const text = yaml`
      version: 1
      products:
        - key: group_analytics
          name: Group analytics
          addon_of: group_analytics
          default_plan: free
          plans: { free: { name: Free } }
    `;
    expect(onlyError(text, 'addon_of_self').path).toBe('products[0].addon_of');
  });

  describe('tier boundaries equal to the parent product (R7)', () => {
    const parent = '[{ up_to: 1000000, unit_amount: 0 }, { up_to: 2000000, unit_amount: 0.005 }, { up_to: 15000000, unit_amount: 0.0034 }, { up_to: inf, unit_amount: 0.003 }]';

    it('accepts identical boundaries with different amounts', () => {
      const addon = '[{ up_to: 1000000, unit_amount: 0 }, { up_to: 2000000, unit_amount: 0.007 }, { up_to: 15000000, unit_amount: 0.005 }, { up_to: inf, unit_amount: 0.004 }]';
      expect(() => catalogOf(addonConfig(parent, addon))).not.toThrow();
    });

    it('names the first differing tier and both values', () => {
      const addon = '[{ up_to: 1000000, unit_amount: 0 }, { up_to: 2000000, unit_amount: 0.007 }, { up_to: 16000000, unit_amount: 0.005 }, { up_to: inf, unit_amount: 0.004 }]';
      expect(onlyError(addonConfig(parent, addon), 'addon_tiers_mismatch')).toEqual({
        path: 'products[1].plans.paid.prices[0].tiered.tiers[2].up_to',
        line: 26,
        code: 'addon_tiers_mismatch',
        message:
          "tiers[2] up_to 16000000 differs from product_analytics's tiers[2] up_to 15000000 " +
          "(price 'product_analytics.paid.usd.month'): an add-on's tier boundaries must equal its product's",
      });
    });

    it('catches a missing tier (the add-on closes earlier)', () => {
      const addon = '[{ up_to: 1000000, unit_amount: 0 }, { up_to: 2000000, unit_amount: 0.007 }, { up_to: inf, unit_amount: 0.004 }]';
      expect(onlyError(addonConfig(parent, addon), 'addon_tiers_mismatch').message).toContain(
        "tiers[2] up_to inf differs from product_analytics's tiers[2] up_to 15000000",
      );
    });

    it('compares only prices in the same currency and interval', () => {
      const addon = '[{ up_to: 5, unit_amount: 0 }, { up_to: inf, unit_amount: 0.004 }]';
      expect(() => catalogOf(addonConfig(parent, addon, 'eur'))).not.toThrow();
      expect(() => catalogOf(addonConfig(parent, addon, 'usd'))).toThrow(/differs from product_analytics/);
    });
  });
});

describe('tiers', () => {
  const tiered = (tiers: string) => withPrice(`tiered:\n  mode: graduated\n  tiers:\n${tiers}\n${METERED}`);
  // Tier j is on line 16 + j.
  const TIERS = `${PRICE}.tiered.tiers`;

  it('requires strictly ascending up_to', () => {
    const errors = errorsOf(
      tiered('    - { up_to: 100, unit_amount: 1 }\n    - { up_to: 100, unit_amount: 1 }\n    - { up_to: 50, unit_amount: 1 }\n    - { up_to: inf, unit_amount: 1 }'),
    );
    expect(errors).toEqual([
      {
        path: `${TIERS}[1].up_to`,
        line: 17,
        code: 'tiers_not_ascending',
        message: "up_to 100 must be greater than the previous tier's up_to 100 (tiers[0]): tiers must be strictly ascending",
      },
      {
        path: `${TIERS}[2].up_to`,
        line: 18,
        code: 'tiers_not_ascending',
        message: "up_to 50 must be greater than the previous tier's up_to 100 (tiers[1]): tiers must be strictly ascending",
      },
    ]);
  });

  it('requires the last tier to be open', () => {
    expect(onlyError(tiered('    - { up_to: 100, unit_amount: 1 }\n    - { up_to: 200, unit_amount: 1 }'), 'last_tier_not_open')).toEqual({
      path: `${TIERS}[1].up_to`,
      line: 17,
      code: 'last_tier_not_open',
      message: "the last tier must be open: up_to: 'inf' (got 200)",
    });
  });

  it('allows only the last tier to be open', () => {
    const e = onlyError(tiered("    - { up_to: 'inf', unit_amount: 1 }\n    - { up_to: inf, unit_amount: 2 }"), 'open_tier_not_last');
    expect(e.path).toBe(`${TIERS}[0].up_to`);
    expect(e.line).toBe(16);
    expect(e.message).toBe("only the last tier may be open (up_to: 'inf')");
  });

  it('requires up_to > 0', () => {
    const errors = errorsOf(tiered('    - { up_to: 0, unit_amount: 1 }\n    - { up_to: inf, unit_amount: 1 }'));
    expect(errors).toEqual([
      { path: `${TIERS}[0].up_to`, line: 16, code: 'tier_up_to_not_positive', message: 'up_to must be greater than 0, got 0' },
    ]);
    expect(onlyError(tiered('    - { up_to: -10, unit_amount: 1 }\n    - { up_to: inf, unit_amount: 1 }'), 'tier_up_to_not_positive').message).toBe(
      'up_to must be greater than 0, got -10',
    );
  });

  it('requires a unit or flat amount on each tier', () => {
    const e = onlyError(tiered('    - { up_to: 10 }\n    - { up_to: inf, unit_amount: 1 }'), 'tier_amount_missing');
    expect(e.path).toBe(`${TIERS}[0]`);
    expect(e.line).toBe(16);
  });

  it('accepts up_to written as a string, and fractional bounds', () => {
    const { catalog } = catalogOf(tiered("    - { up_to: '1000000', unit_amount: 0 }\n    - { up_to: 1000000.5, unit_amount: 1 }\n    - { up_to: inf, unit_amount: 1 }"));
    const scheme = catalog.prices.get('product_analytics.paid.usd.month')?.scheme;
    expect(scheme?.type === 'tiered' && scheme.tiers.map((t) => t.upTo?.toString() ?? null)).toEqual(['1000000', '1000000.5', null]);
  });
});

describe('amounts', () => {
  it('rejects negative amounts wherever they are', () => {
    const errors = errorsOf(
      withPrice(`tiered:\n  mode: volume\n  tiers:\n    - { up_to: 10, unit_amount: -1 }\n    - { up_to: inf, unit_amount: 1, flat_amount: '-0.5' }\n${METERED}`),
    );
    expect(errors).toEqual([
      { path: `${PRICE}.tiered.tiers[0].unit_amount`, line: 16, code: 'negative_amount', message: 'unit_amount -1 is negative' },
      { path: `${PRICE}.tiered.tiers[1].flat_amount`, line: 17, code: 'negative_amount', message: 'flat_amount -0.5 is negative' },
    ]);
    expect(onlyError(withPrice('flat: { amount: -100 }'), 'negative_amount').path).toBe(`${PRICE}.flat.amount`);
  });

  it('rejects more than 12 decimal places, as a number or a string', () => {
    expect(onlyError(withPrice(`per_unit: { unit_amount: 0.0000000000001 }\n${METERED}`), 'too_many_decimal_places')).toEqual({
      path: `${PRICE}.per_unit.unit_amount`,
      line: 13,
      code: 'too_many_decimal_places',
      message: 'unit_amount 0.0000000000001 has more than 12 decimal places',
    });
    expect(onlyError(withPrice(`per_unit: { unit_amount: '0.1234567890123' }\n${METERED}`), 'too_many_decimal_places').message).toBe(
      'unit_amount 0.1234567890123 has more than 12 decimal places',
    );
  });

  it('rejects digits a float would silently drop', () => {
    // As a double this is 0.1; the extra places must still be seen.
    const e = onlyError(withPrice(`per_unit: { unit_amount: 0.1000000000000000001 }\n${METERED}`), 'too_many_decimal_places');
    expect(e.message).toBe('unit_amount 0.1000000000000000001 has more than 12 decimal places');
  });

  it('keeps every digit of a long amount written as a YAML number', () => {
    const { catalog } = catalogOf(withPrice(`per_unit: { unit_amount: 123456789.123456789012 }\n${METERED}`));
    const scheme = catalog.prices.get('product_analytics.paid.usd.month')?.scheme;
    expect(scheme?.type === 'per_unit' && scheme.unitAmount.toString()).toBe('123456789.123456789012');
  });

  it('rejects a package of zero units', () => {
    const e = onlyError(withPrice(`package: { amount: 100, divide_by: 0 }\n${METERED}`), 'package_size_not_positive');
    expect(e.path).toBe(`${PRICE}.package.divide_by`);
    expect(e.message).toBe('divide_by must be greater than 0, got 0');
  });
});

describe('pricing form and metering', () => {
  it('requires exactly one pricing form', () => {
    expect(onlyError(withPrice('description: nothing'), 'pricing_form')).toEqual({
      path: PRICE,
      line: 11,
      code: 'pricing_form',
      message: 'a price needs one pricing form: flat, per_unit, package, tiered, up_front',
    });
    expect(onlyError(withPrice('flat: { amount: 1 }\nup_front: { amount: 2 }'), 'pricing_form')).toEqual({
      path: `${PRICE}.up_front`,
      line: 14,
      code: 'pricing_form',
      message: 'a price has exactly one pricing form, this one has flat and up_front',
    });
  });

  it('rejects a metered price without aggregation', () => {
    expect(errorsOf(withPrice('per_unit: { unit_amount: 1 }\nmetered: {}'))).toEqual([
      {
        path: `${PRICE}.metered.aggregation`,
        line: 14,
        code: 'missing_field',
        message: 'a metered price needs an aggregation: sum, max, last, count or unique',
      },
    ]);
    expect(onlyError(withPrice('per_unit: { unit_amount: 1 }\nmetered: { aggregation: avg }'), 'invalid_value').message).toBe(
      "expected 'sum' or 'max' or 'last' or 'count' or 'unique', got 'avg'",
    );
  });

  it.each([
    ['per_unit', 'per_unit: { unit_amount: 1 }'],
    ['package', 'package: { amount: 100, divide_by: 1000 }'],
    ['tiered', 'tiered: { mode: graduated, tiers: [{ up_to: inf, unit_amount: 1 }] }'],
  ])('rejects a %s price that is not metered (licensed quantities are out of scope)', (form, body) => {
    expect(onlyError(withPrice(body), 'not_metered')).toEqual({
      path: `${PRICE}.${form}`,
      line: 13,
      code: 'not_metered',
      message: `a ${form} price must be metered (add metered: {aggregation: …}); licensed quantities are not supported`,
    });
  });

  it.each([
    ['flat', 'flat: { amount: 100 }'],
    ['up_front', 'up_front: { amount: 100 }'],
  ])('rejects a %s price that is metered', (form, body) => {
    expect(onlyError(withPrice(`${body}\n${METERED}`), 'metered_fixed_price')).toEqual({
      path: `${PRICE}.metered`,
      line: 14,
      code: 'metered_fixed_price',
      message: `a ${form} price cannot be metered: its amount does not depend on usage`,
    });
  });
});

describe('currencies and metrics', () => {
  it('rejects a currency with no known exponent', () => {
    expect(onlyError(withPrice('flat: { amount: 100 }', { currency: 'usx' }), 'unknown_currency')).toEqual({
      path: `${PRICE}.currency`,
      line: 11,
      code: 'unknown_currency',
      message: "unknown currency 'usx': no minor-unit exponent is known for it",
    });
  });

  it('rejects a metered product without metric, pointing at the product and the first metered price', () => {
    const e = onlyError(withPrice(`per_unit: { unit_amount: 1 }\n${METERED}`).replace('    metric: events\n', ''), 'missing_metric');
    expect(e).toEqual({
      path: 'products[0].metric',
      line: 3,
      code: 'missing_metric',
      message: `product 'product_analytics' has metered prices (first at ${PRICE}.metered, line 13) but no metric`,
    });
  });

  it('rejects a metric metered by two products', () => {
    const text = addonConfig('[{ up_to: inf, unit_amount: 1 }]', '[{ up_to: inf, unit_amount: 1 }]').replace(
      'metric: grouped_events',
      'metric: events',
    );
    expect(onlyError(text, 'duplicate_metric')).toEqual({
      path: 'products[1].metric',
      line: 18,
      code: 'duplicate_metric',
      message: "metric 'events' is already metered by another product (at products[0].metric, line 5)",
    });
  });
});

describe('startup terms', () => {
  it.each([
    ['0', 'valid_days must be at least 1'],
    ['-3', 'valid_days must be at least 1'],
    ['1.5', 'valid_days must be a whole number of days'],
    ["'30'", "expected a number, got '30'"],
  ])('rejects valid_days: %s', (value, message) => {
    const errors = errorsOf(withPrice(`flat: { amount: 0 }\nstartup: { valid_days: ${value} }`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ path: `${PRICE}.startup.valid_days`, line: 14, message });
  });
});

describe('features', () => {
  it('rejects a feature key twice in one plan', () => {
    const text = withPrice('flat: { amount: 0 }').replace(
      '        name: Paid\n',
      '        name: Paid\n        features:\n          - { key: projects, name: Projects, limit: 1 }\n          - { key: projects, name: More projects }\n',
    );
    expect(onlyError(text, 'duplicate_feature_key')).toEqual({
      path: 'products[0].plans.paid.features[1].key',
      line: 12,
      code: 'duplicate_feature_key',
      message: "duplicate feature key 'projects' (also at products[0].plans.paid.features[0].key, line 11)",
    });
  });
});
