import { describe, expect, it } from 'vitest';
import { catalogOf, errorsOf, onlyError, PRICE, withPrice, yaml } from './helpers.js';

describe('structure (schema)', () => {
  it('rejects unknown keys at every level, each with its own path and line', () => {
    const text = yaml`
      version: 1
      colour: blue
      products:
        - key: product_analytics
          name: Product analytics
          metrc: events
          default_plan: paid
          plans:
            paid:
              name: Paid
              premum: true
              prices:
                - currency: usd
                  interval: month
                  tiered:
                    mode: graduated
                    tiers:
                      - { up_to: inf, unit_amount: 1, unit_price: 2 }
                  metered: { aggregation: sum, metric: events }
    `;
    expect(errorsOf(text).map((e) => [e.line, e.path, e.code, e.message])).toEqual([
      [2, 'colour', 'unknown_key', "unknown key 'colour'"],
      [6, 'products[0].metrc', 'unknown_key', "unknown key 'metrc'"],
      [11, 'products[0].plans.paid.premum', 'unknown_key', "unknown key 'premum'"],
      [18, 'products[0].plans.paid.prices[0].tiered.tiers[0].unit_price', 'unknown_key', "unknown key 'unit_price'"],
      [19, 'products[0].plans.paid.prices[0].metered.metric', 'unknown_key', "unknown key 'metric'"],
    ]);
  });

  it('reports missing required fields at the line of the map that lacks them', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          plans:
            paid:
              prices:
                - currency: usd
                  flat: { amount: 1 }
    `;
    expect(errorsOf(text).map((e) => [e.line, e.path, e.code, e.message])).toEqual([
      [3, 'products[0].name', 'missing_field', 'missing required field'],
      [3, 'products[0].default_plan', 'missing_field', 'missing required field'],
      [5, 'products[0].plans.paid.name', 'missing_field', 'missing required field'],
      [7, 'products[0].plans.paid.prices[0].interval', 'missing_field', 'missing required field'],
    ]);
  });

  it('explains wrong types in the config’s terms', () => {
    const text = yaml`
      version: 1
      products:
        - key: product_analytics
          name: Product analytics
          default_plan: paid
          plans:
            paid:
              name: Paid
              premium: yes
              features: { key: projects }
              prices:
                - { currency: usd, interval: month, flat: { amount: true } }
    `;
    expect(errorsOf(text).map((e) => [e.line, e.path, e.message])).toEqual([
      [9, 'products[0].plans.paid.premium', "expected true or false, got 'yes'"],
      [10, 'products[0].plans.paid.features', 'expected a list, got a map'],
      [12, 'products[0].plans.paid.prices[0].flat.amount', 'expected a decimal amount: a number or a numeric string such as "0.005"'],
    ]);
  });

  it('requires version 1', () => {
    expect(onlyError('version: 2\nproducts: []\n', 'invalid_value')).toEqual({
      path: 'version',
      line: 1,
      code: 'invalid_value',
      message: 'expected 1, got 2',
    });
  });

  it('requires snake_case product and plan keys', () => {
    const text = yaml`
      version: 1
      products:
        - key: Product-Analytics
          name: Product analytics
          default_plan: free
          plans:
            Free: { name: Free }
            free: { name: Free }
    `;
    expect(errorsOf(text).map((e) => [e.line, e.path, e.code])).toEqual([
      [3, 'products[0].key', 'invalid_format'],
      [7, 'products[0].plans.Free', 'invalid_key'],
    ]);
    expect(errorsOf(text)[1]?.message).toBe(
      "a plan key must be snake_case: a lower-case letter, then lower-case letters, digits or '_'",
    );
  });

  it('rejects a malformed currency code and interval', () => {
    const errors = errorsOf(withPrice('flat: { amount: 1 }', { currency: 'dollars', interval: 'weekly' }));
    expect(errors.map((e) => [e.path, e.message])).toEqual([
      [`${PRICE}.currency`, 'a currency is a three-letter ISO 4217 code such as usd or EUR'],
      [`${PRICE}.interval`, "expected 'month' or 'year', got 'weekly'"],
    ]);
  });

  it('rejects a numeric string amount that is not a number', () => {
    expect(onlyError(withPrice("flat: { amount: '12,50' }"), 'invalid_format')).toMatchObject({
      path: `${PRICE}.flat.amount`,
      message: "'12,50' is not a decimal number",
    });
  });

  it('accepts a $schema key and a plain YAML document with defaults filled in', () => {
    const { catalog } = catalogOf(`$schema: ../schema/billing-config.schema.json\n${withPrice('flat: { amount: 1 }')}`);
    const plan = catalog.plans.get('product_analytics/paid');
    expect(plan).toMatchObject({ premium: false, features: [] });
  });
});
