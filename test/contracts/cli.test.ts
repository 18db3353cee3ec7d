import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { createContract, importContract } from '../../src/billing/contracts/contracts.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { listLicenseKeys, publicJwk } from '../../src/billing/licenses/keys.js';
import { systemClock } from '../../src/shared/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { runMigrations } from '../../src/store/migrate.js';
import { runTally } from '../support/processes.js';
import { example } from '../subscriptions/helpers.js';

const fixtures = 'test/fixtures/order-forms';

describe('tally contracts import (offline)', () => {
  it('prints the parsed contract of a good form as JSON', async () => {
    const p = runTally(['contracts', 'import', `${fixtures}/acme-annual.csv`], {});
    expect(await p.exited).toBe(0);
    const json = JSON.parse(p.output().slice(p.output().indexOf('{')));
    expect(json).toMatchObject({ quote: 'Q-2026-0042', currency: 'USD', products: [{ product: 'product_analytics', up_front: 4_800_000, overage: [{ up_to: '60000000', unit_amount: '0' }, { up_to: 'inf', unit_amount: '0.0045' }] }] });
  }, 60_000);

  it('lists every problem of a malformed form with its field path and exits 1', async () => {
    const p = runTally(['contracts', 'import', `${fixtures}/malformed.yaml`], {});
    expect(await p.exited).toBe(1);
    const out = p.output();
    for (const path of ['start_date', 'term_years', 'customer.contact_email', 'products.0.up_front', 'products.0.overage.0.up_to', 'products.0.overage.1.unit_amount', 'products.1.up_front', 'products.2.up_front']) {
      expect(out).toContain(`malformed.yaml: ${path}: `);
    }
    expect(out).toContain('10 problem(s) in');
  }, 60_000);
});

describe('tally license and revenue commands (real process, PGlite data dir)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-contracts-cli-'));
  const dataDir = join(dir, 'data');
  let customerId = '';
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir }, systemClock);
    try {
      await runMigrations(database);
      await activateCatalogConfig(database.db, systemClock, example, 'billing.yaml');
      const c = { db: database.db, clock: systemClock, actor: systemActor('test') };
      const instance = await createInstance(c, { slug: 'us' });
      customerId = (await createCustomer(c, { instanceId: instance.id, externalId: 'org_cli', name: 'Initech', billingEmail: 'ap@initech.example', currency: 'usd' })).id;
      // A contract far enough ahead of the real clock: $12,000 from 2099-01-01 for a year.
      const form = { quote: 'Q-CLI', start_date: '2099-01-01', term_years: 1, customer: { id: customerId }, products: [{ product: 'product_analytics', up_front: '$12,000' }] };
      const contract = await importContract(c, { raw: form, format: 'json' });
      expect(contract.problems).toEqual([]);
      await createContract(c, contract.id);
    } finally {
      await database.close();
    }
  }, 120_000);

  it('issues a license file, verifies it offline with a keys file, and refuses a tampered one', async () => {
    const licFile = join(dir, 'acme.license.json');
    const issue = runTally(['license', 'issue', '--customer', customerId, '--plan', 'enterprise', '--feature', 'saml_sso', '--feature', 'audit_logs', '--limit', 'seats=10', '--starts', '2026-01-01', '--expires', '2099-01-01', '--out', licFile], { TALLY_DATA_DIR: dataDir });
    expect(await issue.exited).toBe(0);
    const database = await openDatabase({ kind: 'pglite', dataDir }, systemClock);
    const keysFile = join(dir, 'keys.json');
    try {
      const keys = (await listLicenseKeys({ db: database.db, clock: systemClock, actor: systemActor('test') })).map(publicJwk);
      writeFileSync(keysFile, JSON.stringify({ keys }));
    } finally {
      await database.close();
    }
    const ok = runTally(['license', 'verify', licFile, '--keys', keysFile, '--at', '2030-01-01T00:00:00Z'], {});
    expect(await ok.exited).toBe(0);
    expect(ok.output()).toContain('valid license for Initech (enterprise) until 2099-01-01T00:00:00.000Z');

    const file = JSON.parse(readFileSync(licFile, 'utf8'));
    const payload = JSON.parse(Buffer.from(file.payload, 'base64url').toString('utf8'));
    const forged = join(dir, 'forged.license.json');
    writeFileSync(forged, JSON.stringify({ ...file, payload: Buffer.from(JSON.stringify({ ...payload, limits: { seats: 1000 } })).toString('base64url') }));
    const bad = runTally(['license', 'verify', forged, '--keys', keysFile, '--at', '2030-01-01T00:00:00Z'], {});
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toContain('INVALID (bad_signature)');
  }, 120_000);

  it('exports the revenue schedule as CSV per month', async () => {
    const p = runTally(['revenue', 'export', '--by', 'customer', '--from', '2099-11', '--to', '2100-01'], { TALLY_DATA_DIR: dataDir });
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain(`month,customer,currency,amount_minor\n2099-11,${customerId},USD,100000\n2099-12,${customerId},USD,100000\n`);
    expect(p.output()).not.toContain('2100-01');
  }, 60_000);
});
