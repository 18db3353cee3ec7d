import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTally } from '../support/processes.js';

// Real `tally serve` processes on one PGlite directory: the second must refuse, touching nothing.
describe('tally serve (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-serve-'));
  const dataDir = join(dir, 'data');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves /healthz, refuses a second process on the same data directory, and shuts down cleanly', async () => {
    const first = runTally(['serve'], { TALLY_DATA_DIR: dataDir, PORT: '0' });
    const [, url] = await first.waitFor(/Tally is running at (http:\/\/\S+)/, 60_000);
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const lockPath = join(dataDir, 'tally.lock');
    const lockBefore = readFileSync(lockPath, 'utf8');
    const filesBefore = readdirSync(dataDir).sort();

    const second = runTally(['serve'], { TALLY_DATA_DIR: dataDir, PORT: '0' });
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toContain(`locked by another Tally process (pid ${first.child.pid}`);
    expect(second.output()).toContain(lockPath);
    // Nothing was touched: the lock still names the first process, the directory is as it was.
    expect(readFileSync(lockPath, 'utf8')).toBe(lockBefore);
    expect(readdirSync(dataDir).sort()).toEqual(filesBefore);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('Tally stopped.');
    expect(existsSync(lockPath)).toBe(false);
  }, 120_000);

  it('takes over the lock a killed process left behind, keeping the data', async () => {
    const victim = runTally(['serve'], { TALLY_DATA_DIR: dataDir, PORT: '0' });
    await victim.waitFor(/Tally is running at/, 60_000);
    victim.child.kill('SIGKILL');
    await victim.exited;
    expect(existsSync(join(dataDir, 'tally.lock'))).toBe(true);

    const next = runTally(['serve'], { TALLY_DATA_DIR: dataDir, PORT: '0' });
    const [, url] = await next.waitFor(/Tally is running at (http:\/\/\S+)/, 60_000);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    next.child.kill('SIGINT');
    expect(await next.exited).toBe(0);
  }, 120_000);
});
