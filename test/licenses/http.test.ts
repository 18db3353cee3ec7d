import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { verifyLicense } from '../../src/core/licenses/license.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, systemCtx, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('licenses HTTP API', (database) => {
  const clock = new ManualClock('2026-01-20T10:00:00Z');
  let app: FastifyInstance;
  let admin: SeededStaff;
  let owner: SeededStaff;
  let cus: Customer;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    const us = await seedInstance(database(), clock, 'us');
    admin = await seedStaff(database(), clock, 'billing_admin');
    owner = await seedStaff(database(), clock, 'owner');
    cus = await createCustomer(systemCtx(database(), clock), { instanceId: us.instance.id, externalId: 'org_1', name: 'Acme Corp', currency: 'usd' });
  });
  afterAll(() => app.close());

  it('issue, download, verify against the public keys; rotate (owner only); old files still verify', async () => {
    const issue = () =>
      app.inject({
        method: 'POST',
        url: '/admin/v1/licenses',
        headers: admin.headers,
        payload: { customer: cus.id, plan: 'enterprise', features: ['saml_sso'], limits: { seats: 25 }, starts_at: '2026-02-01', expires_at: '2027-02-01', ticket: 'OPS-5' },
      });
    const res = await issue();
    expect(res.statusCode).toBe(201);
    const lic = res.json();
    expect(lic).toMatchObject({ object: 'license', customer: cus.id, plan: 'enterprise', features: ['saml_sso'], limits: { seats: 25 }, starts_at: '2026-02-01T00:00:00.000Z', expires_at: '2027-02-01T00:00:00.000Z' });

    const file = await app.inject({ url: `/admin/v1/licenses/${lic.id}/file`, headers: admin.headers });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toBe(`attachment; filename="${lic.id}.license.json"`);
    expect(JSON.parse(file.body)).toEqual(lic.file);

    const keysRes = await app.inject({ url: '/v1/license-keys' }); // no credentials
    expect(keysRes.statusCode).toBe(200);
    const { keys } = keysRes.json();
    expect(keys).toEqual([{ kid: lic.kid, kty: 'OKP', crv: 'Ed25519', x: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), created_at: '2026-01-20T10:00:00.000Z', retired_at: null }]);
    expect(verifyLicense(file.body, keys, new Date('2026-06-01T00:00:00Z'))).toMatchObject({ valid: true, payload: { customer_name: 'Acme Corp', limits: { seats: 25 } } });

    expect((await app.inject({ method: 'POST', url: '/admin/v1/license-keys/rotate', headers: admin.headers, payload: { reason: 'yearly' } })).statusCode).toBe(403);
    clock.set('2026-01-21T00:00:00Z');
    const rotated = await app.inject({ method: 'POST', url: '/admin/v1/license-keys/rotate', headers: owner.headers, payload: { reason: 'yearly' } });
    expect(rotated.statusCode).toBe(201);
    const second = (await issue()).json();
    expect(second.kid).toBe(rotated.json().kid);
    const after = (await app.inject({ url: '/v1/license-keys' })).json().keys;
    expect(after.map((k: { kid: string; retired_at: string | null }) => [k.kid, k.retired_at])).toEqual([
      [lic.kid, '2026-01-21T00:00:00.000Z'],
      [second.kid, null],
    ]);
    expect(verifyLicense(lic.file, after, new Date('2026-06-01T00:00:00Z')).valid).toBe(true);
    expect(verifyLicense(second.file, after, new Date('2026-06-01T00:00:00Z')).valid).toBe(true);

    const list = await app.inject({ url: `/admin/v1/licenses?customer=${cus.id}`, headers: admin.headers });
    expect(list.json().data.map((l: { id: string }) => l.id)).toEqual([second.id, lic.id]);
    const bad = await app.inject({ method: 'POST', url: '/admin/v1/licenses', headers: admin.headers, payload: { customer: cus.id, plan: 'e', starts_at: '2026-02-01', expires_at: 'soon', reason: 'x' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('expires_at');
  });
});
