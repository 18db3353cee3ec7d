/**
 * The example scenarios are end-to-end tests: each runs through the real services and must print exactly
 * its `<name>.expected.json`, whose numbers were checked by hand (the arithmetic is in the scenario's
 * comments). A scenario listed in KNOWN_ISSUES is one where Tally currently bills something other than
 * the hand-checked result: it still runs, and is expected to differ until the issue is fixed — then this
 * test fails ("expected to fail") and the entry must go.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isScenarioError, loadScenario, parseScenario, renderOutput, runScenario } from '../../src/simulate/index.js';

const DIR = fileURLToPath(new URL('../../examples/scenarios/', import.meta.url));
const scenarios = readdirSync(DIR).filter((f) => f.endsWith('.yaml')).sort();

const KNOWN_ISSUES: Record<string, string> = {};

const simulate = async (file: string) => renderOutput(await runScenario(loadScenario(join(DIR, file))));

describe('example scenarios (hand-checked expected outputs)', () => {
  it('ships a scenario for each plan type and an expected output for every scenario', () => {
    for (const name of ['standard-metered', 'metered-with-coupon', 'flat-first-tier', 'upfront-then-metered', 'flat-upfront-no-metering', 'startup-expiry', 'month-end-anchor-leap-year', 'credits', 'jpy-zero-decimal']) {
      expect(scenarios).toContain(`${name}.yaml`);
    }
    const expected = readdirSync(DIR).filter((f) => f.endsWith('.expected.json'));
    expect(expected.sort()).toEqual(scenarios.map((f) => f.replace(/\.yaml$/, '.expected.json')));
  });

  for (const file of scenarios) {
    const issue = KNOWN_ISSUES[file];
    const test = issue ? it.fails : it;
    test(`${file}${issue ? ` — KNOWN ISSUE, differs from the hand check: ${issue}` : ''}`, async () => {
      const expected = readFileSync(join(DIR, file.replace(/\.yaml$/, '.expected.json')), 'utf8');
      expect(await simulate(file)).toBe(expected);
    }, 120_000);
  }
});

describe('simulation output', () => {
  it('is byte-identical from run to run and names no generated ID', async () => {
    const first = await simulate('credits.yaml');
    const second = await simulate('credits.yaml');
    expect(second).toBe(first);
    expect(first).not.toMatch(/\b[a-z]+_[0-9A-HJKMNP-TV-Z]{26}\b/);
  }, 120_000);
});

const config = `config:
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
            - { currency: usd, interval: month, per_unit: { unit_amount: 1 }, metered: { aggregation: sum } }
start: 2026-01-01T00:00:00Z
`;

describe('simulation errors name the step that failed', () => {
  async function failure(steps: string): Promise<string> {
    try {
      await runScenario(parseScenario(`${config}steps:\n${steps}`, 'bad.yaml'));
    } catch (e) {
      if (!isScenarioError(e)) throw e;
      return e.message;
    }
    throw new Error('expected the simulation to fail');
  }

  it('a service refusing the action, with the customer by alias', async () => {
    expect(
      await failure(`  - customer: { id: acme, currency: usd }
  - change_plan: { customer: acme, product: api }
`),
    ).toBe(`bad.yaml:16 steps[1].change_plan.customer: Customer 'acme' has no live subscription; subscribe first.`);
  }, 60_000);

  it('a late usage event for a period already invoiced', async () => {
    expect(
      await failure(`  - customer: { id: acme, currency: usd }
  - subscribe: { customer: acme, items: [{ product: api }] }
  - advance: 2026-02-01T01:00:00Z
  - usage:
      customer: acme
      events:
        - { metric: calls, value: 1, timestamp: 2026-01-20T00:00:00Z }
`),
    ).toMatch(/^bad\.yaml:21 steps\[3\]\.usage\.events\[0\]\.timestamp: usage event 'sim-s3-e0' at 2026-01-20T00:00:00\.000Z was rejected at 2026-02-01T01:00:00\.000Z \(period_closed\): /);
  }, 60_000);

  it('usage planned after the last step', async () => {
    expect(
      await failure(`  - customer: { id: acme, currency: usd }
  - usage: { customer: acme, metric: calls, value: 1, count: 3, until: +3d }
  - advance: +1d
`),
    ).toBe(
      `bad.yaml:16 steps[1].usage: usage event 'sim-s1-e2' at 2026-01-03T00:00:00.000Z is after the scenario's last step (2026-01-02T00:00:00.000Z), so it was never sent; add an advance step past it`,
    );
  }, 60_000);
});

describe('simulation instances', () => {
  it('numbers invoices per instance', async () => {
    const out = await runScenario(
      parseScenario(
        `${config}instances: [us, eu]
steps:
  - customer: { id: a, currency: usd }
  - customer: { id: b, external_id: a, currency: usd, instance: eu }
  - subscribe: { customer: a, items: [{ product: api }] }
  - subscribe: { customer: b, items: [{ product: api }] }
  - usage: { customer: a, metric: calls, value: 10 }
  - usage: { customer: b, metric: calls, value: 20 }
  - advance: 2026-02-01T01:00:00Z
`,
        'instances.yaml',
      ),
    );
    expect(out.invoices.map((i) => [i.number, i.customer, i.total])).toEqual([
      ['US-000001', 'a', 10],
      ['EU-000001', 'b', 20],
    ]);
  }, 60_000);
});
