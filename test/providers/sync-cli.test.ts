import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openStore } from '../../src/app/open-store.js';
import { readSettings } from '../../src/app/settings.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { createPayments } from '../../src/billing/providers/select.js';
import { setUpProviderCustomer } from '../../src/billing/providers/setup.js';
import { syncCommand } from '../../src/cli/commands/sync.js';
import { systemClock } from '../../src/shared/clock.js';
import { startStripeEmulator, type StripeEmulator } from '../support/stripe-emulator/index.js';

describe('tally sync --customer (CLI)', () => {
  let dir: string;
  let emulator: StripeEmulator;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tally-sync-'));
    emulator = await startStripeEmulator();
    env = { TALLY_DATA_DIR: dir, STRIPE_SECRET_KEY: emulator.apiKey, STRIPE_WEBHOOK_SECRET: 'whsec_cli', STRIPE_API_BASE: emulator.url };
  });
  afterAll(async () => {
    await emulator.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prints what it fixed and the drift left, and exits 2 when drift is left', async () => {
    const settings = readSettings(env);
    const database = await openStore(settings, systemClock);
    const ctx = { db: database.db, clock: systemClock, actor: { type: 'system' as const, id: 'test' } };
    const instance = await createInstance(ctx, { slug: 'us' });
    const customer = await createCustomer(ctx, { instanceId: instance.id, externalId: 'team_7', name: 'Initech', billingEmail: 'ap@initech.test', currency: 'usd' });
    const linked = await setUpProviderCustomer(ctx, createPayments(settings.payments, systemClock).provider, customer.id, { reason: 'test' });
    await database.close();
    const stripe = emulator.client();
    await stripe.customers.update(linked.providerCustomerId as string, { email: 'wrong@initech.test' });
    await stripe.customers.createBalanceTransaction(linked.providerCustomerId as string, { amount: 250, currency: 'usd' });

    let out = '';
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    });
    let code: number;
    try {
      code = await syncCommand({ customer: [customer.id] }, env);
    } finally {
      spy.mockRestore();
    }
    expect(code).toBe(2);
    expect(out).toBe(
      'Fixed at stripe (Tally owns these): 1\n' +
        `  ${customer.id}  email: Tally ap@initech.test | stripe wrong@initech.test\n` +
        'Drift left for staff: 1\n' +
        `  ${customer.id}  balance: Tally 0 | stripe 250\n`,
    );
    const after = await stripe.customers.retrieve(linked.providerCustomerId as string);
    expect(after.deleted ? null : after.email).toBe('ap@initech.test');
    await expect(syncCommand({}, env)).rejects.toMatchObject({ code: 'customer_required' });
    // A fresh PGlite data directory is migrated from scratch: slow on a busy machine.
  }, 120_000);
});
