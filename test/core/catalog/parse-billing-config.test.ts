import { describe, expect, it } from 'vitest';
import { formatConfigErrors, parseBillingConfig, type ConfigError } from '../../../src/core/catalog/index.js';
import { errorsOf, yaml } from './helpers.js';

describe('parseBillingConfig', () => {
  it('collects every error at once — structure and rules, across products — sorted by line', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          metric: events
          default_plan: free
          plans:
            free:
              name: Free
              prices:
                - currency: usd
                  interval: month
                  tiered:
                    mode: graduated
                    tiers:
                      - { up_to: 100, unit_amount: 0 }
                      - { up_to: 50, unit_amount: 0.1 }
        - key: product_analytics
          name: Again
          colour: red
          default_plan: free
          plans:
            free:
              name: Free
              prices:
                - { currency: xyz, interval: month, flat: { amount: -1 } }
        - key: group_analytics
          name: Group analytics
          addon_of: session_replay
          default_plan: paid
          plans: { free: { name: Free } }
    `;
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.line, e.code, e.path])).toEqual([
      [13, 'not_metered', 'products[0].plans.free.prices[0].tiered'],
      [17, 'tiers_not_ascending', 'products[0].plans.free.prices[0].tiered.tiers[1].up_to'],
      [17, 'last_tier_not_open', 'products[0].plans.free.prices[0].tiered.tiers[1].up_to'],
      [18, 'duplicate_product_key', 'products[1].key'],
      [20, 'unknown_key', 'products[1].colour'],
      // That product failed the schema, yet its well-formed price's own rules still ran.
      [26, 'unknown_currency', 'products[1].plans.free.prices[0].currency'],
      [26, 'negative_amount', 'products[1].plans.free.prices[0].flat.amount'],
      [29, 'unknown_product', 'products[2].addon_of'],
      [30, 'unknown_plan', 'products[2].default_plan'],
    ]);
  });

  it('formats errors as FILE:LINE PATH: MESSAGE lines', () => {
    const errors: ConfigError[] = [
      { path: 'products[1].key', line: 42, code: 'duplicate_product_key', message: "duplicate product key 'x' (also at products[0].key, line 12)" },
      { path: '', line: 3, code: 'yaml_syntax', message: 'Map keys must be unique' },
      { path: 'version', line: null, code: 'missing_field', message: 'missing required field' },
    ];
    expect(formatConfigErrors(errors, 'billing.yaml')).toBe(
      [
        "billing.yaml:42 products[1].key: duplicate product key 'x' (also at products[0].key, line 12)",
        'billing.yaml:3: Map keys must be unique',
        'billing.yaml version: missing required field',
      ].join('\n'),
    );
  });

  it('labels the result with the source name', () => {
    const r = parseBillingConfig('version: 1\nproducts: []\n', 'empty.yaml');
    expect(r).toMatchObject({ ok: true, sourceName: 'empty.yaml' });
    expect(r.ok && r.catalog.products.size).toBe(0);
  });
});
