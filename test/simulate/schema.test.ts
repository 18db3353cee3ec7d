import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isScenarioError, parseScenario } from '../../src/simulate/index.js';

const CONFIG = `config:
  version: 1
  products:
    - key: api
      name: API
      metric: calls
      default_plan: metered
      plans:
        metered:
          name: Metered
          prices:
            - { currency: usd, interval: month, per_unit: { unit_amount: 0.5 }, metered: { aggregation: sum } }
`;

/** A scenario with the small config above, `start` and the given steps (YAML lines, indented by 2). */
const scenario = (steps: string, head = '') => `${CONFIG}start: 2026-01-01T00:00:00Z\n${head}steps:\n${steps}`;

function errorsOf(text: string): string[] {
  try {
    parseScenario(text, 'scenario.yaml');
  } catch (e) {
    if (!isScenarioError(e)) throw e;
    return e.message.split('\n');
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario schema', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-sim-schema-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts a valid scenario and resolves its timeline', () => {
    const s = parseScenario(
      scenario(`  - customer: { id: acme, currency: usd }
  - subscribe: { customer: acme, items: [{ product: api }] }
  - at: +3d
    usage: { customer: acme, metric: calls, value: 10, count: 4, until: +4h }
  - advance: +1mo
`),
      'scenario.yaml',
    );
    expect(s.steps.map((st) => [st.action.kind, st.at.toISOString()])).toEqual([
      ['customer', '2026-01-01T00:00:00.000Z'],
      ['subscribe', '2026-01-01T00:00:00.000Z'],
      ['usage', '2026-01-04T00:00:00.000Z'],
      ['advance', '2026-02-04T00:00:00.000Z'],
    ]);
    const usage = s.steps[2]!.action;
    if (usage.kind !== 'usage') throw new Error('not usage');
    // Four events spread evenly over [at, until), with ids from the step index.
    expect(usage.events.map((e) => [e.id, e.timestamp.toISOString()])).toEqual([
      ['sim-s2-e0', '2026-01-04T00:00:00.000Z'],
      ['sim-s2-e1', '2026-01-04T01:00:00.000Z'],
      ['sim-s2-e2', '2026-01-04T02:00:00.000Z'],
      ['sim-s2-e3', '2026-01-04T03:00:00.000Z'],
    ]);
    expect(s.invoiceGraceMs).toBe(3_600_000);
    expect(s.instances).toEqual(['sim']);
  });

  it('names the step, field and line of an unknown metric', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd }
  - subscribe: { customer: acme, items: [{ product: api }] }
  - advance: +1d
  - usage: { customer: acme, metric: bananas, value: 1 }
`),
    );
    expect(errors).toEqual([`scenario.yaml:18 steps[3].usage.metric: unknown metric 'bananas' (metrics: calls)`]);
  });

  it('reports unknown fields, missing fields and wrong types with their paths', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd, emial: x@y.z }
  - usage: { customer: acme, metrc: calls, value: 1 }
  - credit: { customer: acme, amount: 12.5, description: goodwill }
  - cancel: { customer: acme }
`),
    );
    expect(errors).toContain(`scenario.yaml:15 steps[0].customer.emial: unknown key 'emial'`);
    expect(errors).toContain(`scenario.yaml:16 steps[1].usage.metrc: unknown key 'metrc'`);
    expect(errors.some((e) => e.startsWith('scenario.yaml:17 steps[2].credit.amount: '))).toBe(true);
    expect(errors).toContain('scenario.yaml:18 steps[3].cancel.at_period_end: missing required field');
  });

  it('wants exactly one action per step', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd }
    advance: +1d
  - at: +1d
`),
    );
    expect(errors).toContain(`scenario.yaml:16 steps[0].advance: a step has one action; this one also has 'customer' (split it into two steps)`);
    expect(errors.some((e) => /steps\[1\]: a step needs one action/.test(e))).toBe(true);
  });

  it('checks references in step order: customers, products, plans, prices', () => {
    const errors = errorsOf(
      scenario(`  - subscribe: { customer: ghost, items: [{ product: api }] }
  - customer: { id: acme, currency: usd }
  - customer: { id: acme, currency: xyz }
  - subscribe: { customer: acme, items: [{ product: api, plan: gold }, { product: nope }] }
  - change_plan: { customer: acme, product: api, price: api.metered.eur.month }
  - billing_limit: { customer: acme, product: apis, amount: 100 }
`),
    );
    expect(errors).toEqual([
      `scenario.yaml:15 steps[0].subscribe.customer: unknown customer 'ghost' (no customer step comes before it)`,
      `scenario.yaml:17 steps[2].customer.id: customer 'acme' is already defined`,
      `scenario.yaml:17 steps[2].customer.id: external_id 'acme' is already used in instance 'sim'`,
      `scenario.yaml:17 steps[2].customer.currency: unknown currency 'xyz'`,
      `scenario.yaml:18 steps[3].subscribe.items[0].plan: product 'api' has no plan 'gold' (plans: metered)`,
      `scenario.yaml:18 steps[3].subscribe.items[1].product: unknown product 'nope' (products: api)`,
      `scenario.yaml:19 steps[4].change_plan.price: unknown price 'api.metered.eur.month'`,
      `scenario.yaml:20 steps[5].billing_limit.product: unknown product 'apis' (products: api)`,
    ]);
  });

  it('refuses time going backwards', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd }
  - advance: 2026-02-01
  - at: 2026-01-15T00:00:00Z
    credit: { customer: acme, amount: 100, description: x }
  - advance: 2026-01-20
`),
    );
    expect(errors).toEqual([
      `scenario.yaml:17 steps[2].at: 2026-01-15T00:00:00.000Z is before the scenario's time 2026-02-01T00:00:00.000Z (steps run in time order)`,
      `scenario.yaml:19 steps[3].advance: 2026-01-20T00:00:00.000Z is before the scenario's time 2026-02-01T00:00:00.000Z (the clock only moves forward)`,
    ]);
  });

  it('refuses malformed times, naming the field', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd }
  - at: +3days
    credit: { customer: acme, amount: 100, description: x }
  - at: 2026-03-01T10:00:00
    credit: { customer: acme, amount: 100, description: x }
  - trial: { customer: acme, until: next week }
`),
    );
    expect(errors).toEqual([
      `scenario.yaml:16 steps[1].at: at: '+3days' is not a duration: use + then numbers with units y, mo, w, d, h, m, s (e.g. +1mo, +3d, +1h30m)`,
      `scenario.yaml:18 steps[2].at: at: '2026-03-01T10:00:00' is not an ISO instant: use 2026-01-31, 2026-01-31T10:00:00Z or an explicit offset (+02:00)`,
      `scenario.yaml:20 steps[3].trial.until: until: 'next week' is not an ISO instant: use 2026-01-31, 2026-01-31T10:00:00Z or an explicit offset (+02:00)`,
    ]);
  });

  it('checks the forms of usage and coupon steps', () => {
    const errors = errorsOf(
      scenario(`  - customer: { id: acme, currency: usd }
  - usage: { customer: acme, metric: calls, value: 1, events: [{ metric: calls, value: 1, timestamp: +1h }] }
  - usage: { customer: acme, metric: calls, value: -1, until: +1d }
  - coupon: { customer: acme, percent_off: 10, amount_off: 100, duration: repeating }
  - usage: { customer: acme, events: [{ metric: fish, value: 1, timestamp: +1h }] }
`),
    );
    expect(errors).toContain('scenario.yaml:16 steps[1].usage.metric: give either events or metric (with metric and value), not both');
    expect(errors).toContain('scenario.yaml:17 steps[2].usage.value: a usage value must not be negative');
    expect(errors).toContain('scenario.yaml:17 steps[2].usage.count: until spreads count events: give count too');
    expect(errors).toContain('scenario.yaml:18 steps[3].coupon.percent_off: give exactly one of percent_off and amount_off');
    expect(errors).toContain(`scenario.yaml:18 steps[3].coupon.duration_in_months: a 'repeating' coupon needs duration_in_months`);
  });

  it('reports errors of an inline config at their line in the scenario', () => {
    const text = scenario('  - customer: { id: acme, currency: usd }\n').replace('default_plan: metered', 'default_plan: gold');
    const errors = errorsOf(text);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]).toMatch(/^scenario\.yaml:7 config\.products\[0\]\.default_plan: /);
  });

  it('wants exactly one of config and config_file, and reads config_file relative to the scenario', () => {
    expect(errorsOf(`start: 2026-01-01\nsteps:\n  - advance: +1d\n`)).toContain(
      'scenario.yaml:1 config: give exactly one of config (the billing config inline) and config_file (a path relative to the scenario)',
    );
    writeFileSync(join(dir, 'billing.yaml'), CONFIG.replace(/^config:\n/, '').replace(/^ {2}/gm, ''));
    const s = parseScenario(`config_file: billing.yaml\nstart: 2026-01-01\nsteps:\n  - advance: +1d\n`, join(dir, 's.yaml'));
    expect([...s.catalog.products.keys()]).toEqual(['api']);
    expect(s.configSourceName).toBe('billing.yaml');
  });

  it('takes a config override instead of the scenario’s own (previewing a pricing change)', () => {
    const other = CONFIG.replace(/^config:\n/, '').replace(/^ {2}/gm, '').replace('unit_amount: 0.5', 'unit_amount: 0.75');
    const s = parseScenario(scenario('  - advance: +1d\n'), 'scenario.yaml', { configOverride: { text: other, sourceName: 'proposed.yaml' } });
    expect(s.configText).toContain('0.75');
    expect(s.configSourceName).toBe('proposed.yaml');
  });
});
