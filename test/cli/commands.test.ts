import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTally } from '../support/processes.js';

describe('tally CLI', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('--help lists the commands', async () => {
    const p = runTally(['--help'], {});
    expect(await p.exited).toBe(0);
    for (const cmd of ['serve', 'migrate', 'config']) expect(p.output()).toContain(cmd);
  });

  it('config validate accepts the example config', async () => {
    const p = runTally(['config', 'validate', 'examples/billing.yaml'], {});
    expect(await p.exited).toBe(0);
    expect(p.output()).toMatch(/examples\/billing\.yaml is valid: \d+ products, \d+ plans, \d+ prices/);
  });

  it('config validate lists every error with its line and exits 1', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'products:',
        '  - key: analytics',
        '    name: A',
        '    default_plan: free',
        '    plans: { free: { name: Free } }',
        '  - key: analytics',
        '    name: B',
        '    default_plan: nope',
        '    plans: { free: { name: Free } }',
        '',
      ].join('\n'),
    );
    const p = runTally(['config', 'validate', file], {});
    expect(await p.exited).toBe(1);
    const out = p.output();
    expect(out).toContain(`${file}:7`);
    expect(out).toMatch(/duplicate product key 'analytics'/);
    expect(out).toMatch(/nope/);
    expect(out).toMatch(/\d+ error\(s\)/);
  });

  it('config validate on a missing file exits 1 with the reason', async () => {
    const p = runTally(['config', 'validate', join(dir, 'missing.yaml')], {});
    expect(await p.exited).toBe(1);
    expect(p.output()).toContain('cannot read');
  });

  it('migrate applies migrations to a new data directory, then finds nothing to do', async () => {
    const env = { TALLY_DATA_DIR: join(dir, 'mig') };
    const first = runTally(['migrate'], env);
    expect(await first.exited).toBe(0);
    expect(first.output()).toMatch(/Migrated .*: [1-9]\d* applied/);
    const second = runTally(['migrate'], env);
    expect(await second.exited).toBe(0);
    expect(second.output()).toMatch(/: 0 applied/);
  }, 60_000);
});
