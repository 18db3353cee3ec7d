import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runTally } from '../support/processes.js';

const SCENARIO = 'examples/scenarios/flat-upfront-no-metering.yaml';

describe('tally simulate (a real process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-simulate-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the JSON of a scenario, exactly its expected output', async () => {
    const p = runTally(['simulate', SCENARIO], {});
    expect(await p.exited).toBe(0);
    expect(p.output()).toBe(readFileSync(join(ROOT, 'examples/scenarios/flat-upfront-no-metering.expected.json'), 'utf8'));
  }, 120_000);

  it('previews a pricing change with --config and writes --out', async () => {
    // The same customer and steps, priced by a proposed config: the contract goes from $30,000 to $25,000.
    const proposed = join(dir, 'proposed.yaml');
    const scenario = readFileSync(join(ROOT, SCENARIO), 'utf8');
    const inline = scenario.slice(scenario.indexOf('config:\n') + 'config:\n'.length, scenario.indexOf('\nstart:'));
    writeFileSync(proposed, `${inline.replace(/^ {2}/gm, '').replace('amount: 3000000', 'amount: 2500000')}\n`);
    const out = join(dir, 'out.json');
    const p = runTally(['simulate', SCENARIO, '--config', proposed, '--out', out], {});
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain(`${SCENARIO}: 2 invoice(s), 1 customer(s) → ${out}`);
    const result = JSON.parse(readFileSync(out, 'utf8')) as { invoices: { total: number }[] };
    expect(result.invoices.map((i) => i.total)).toEqual([2_500_000, 2_500_000]);
  }, 120_000);

  it('exits 1 naming the step and field of an invalid scenario', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        `config_file: ${join(ROOT, 'examples/billing.yaml')}`,
        'start: 2026-01-01',
        'steps:',
        '  - customer: { id: acme, currency: usd }',
        '  - usage: { customer: acme, metric: bananas, value: 1 }',
        '',
      ].join('\n'),
    );
    const p = runTally(['simulate', bad], {});
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain(`${bad}:5 steps[1].usage.metric: unknown metric 'bananas'`);
    expect(p.output()).toContain(`1 error(s) in ${bad}`);
  }, 60_000);
});
