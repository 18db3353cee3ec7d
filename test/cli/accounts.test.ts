import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { authenticateKey } from '../../src/billing/api-keys/api-keys.js';
import { systemClock } from '../../src/shared/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { runTally } from '../support/processes.js';

describe('tally instances / keys (real processes)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-accounts-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates an instance and a key whose secret alone is on stdout, and which authenticates', async () => {
    const env = { TALLY_DATA_DIR: join(dir, 'data') };
    const created = runTally(['instances', 'create', 'eu', '--name', 'Europe'], env);
    expect(await created.exited).toBe(0);
    expect(created.output()).toMatch(/Created instance eu \(ins_\w+, "Europe"\)/);

    const again = runTally(['instances', 'create', 'eu'], env);
    expect(await again.exited).toBe(1);
    expect(again.output()).toContain("An instance 'eu' already exists");

    let stdout = '';
    const key = runTally(['keys', 'create', '--instance', 'eu', '--name', 'eu production'], env);
    key.child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    expect(await key.exited).toBe(0);
    expect(stdout).toMatch(/^tally_ik_[0-9A-Za-z]{32,}\n$/);
    expect(key.output()).toContain('only time the key is shown');

    const missing = runTally(['keys', 'create', '--instance', 'nowhere'], env);
    expect(await missing.exited).toBe(1);
    expect(missing.output()).toContain("No instance with id 'nowhere'");

    const database = await openDatabase({ kind: 'pglite', dataDir: join(dir, 'data') }, systemClock);
    try {
      expect(await authenticateKey(database.db, systemClock, stdout.trim())).toMatchObject({ kind: 'instance' });
    } finally {
      await database.close();
    }
  }, 120_000);

  it('prints the owner, password and instance key on the first start only; the key creates a customer', async () => {
    const env = { TALLY_DATA_DIR: join(dir, 'first'), PORT: '0', TALLY_ADMIN_PASSWORD: 'a long admin password' };
    const first = runTally(['serve'], env);
    const [, url] = await first.waitFor(/Tally is running at (http:\/\/\S+)/, 60_000);
    const [, secret] = await first.waitFor(/Instance key\s+(tally_ik_[0-9A-Za-z]+)/, 10_000);
    expect(first.output()).toContain('owner@tally.local');
    expect(first.output()).toContain('(from TALLY_ADMIN_PASSWORD)');
    expect(first.output()).not.toContain('a long admin password');
    expect(first.output()).toContain(`${url}/admin`);

    const res = await fetch(`${url}/v1/customers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ external_id: 'team_1', billing_email: 'billing@example.com', currency: 'usd' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ object: 'customer', external_id: 'team_1' });
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = runTally(['serve'], env);
    const [, url2] = await second.waitFor(/Tally is running at (http:\/\/\S+)/, 60_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(second.output()).not.toContain('tally_ik_');
    expect(second.output()).not.toContain('owner@tally.local');
    // The key from the first start still works.
    expect((await fetch(`${url2}/v1/customers/by-external-id/team_1`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  }, 120_000);
});
