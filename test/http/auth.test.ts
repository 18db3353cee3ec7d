import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { revokeKey } from '../../src/billing/api-keys/api-keys.js';
import type { StaffRole } from '../../src/billing/context.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, seedStaff, systemCtx, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('HTTP authentication and roles', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  const staff = {} as Record<StaffRole, SeededStaff>;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    for (const role of ['viewer', 'support', 'billing_admin', 'approver', 'owner'] as const) staff[role] = await seedStaff(database(), clock, role);
  });
  afterAll(async () => app.close());

  const newCustomer = (externalId: string) => ({ external_id: externalId, currency: 'usd' });

  it('keeps /healthz, /readyz and /openapi.json public', async () => {
    for (const url of ['/healthz', '/readyz', '/openapi.json']) expect((await app.inject({ url })).statusCode).toBe(200);
  });

  it('answers an instance route without a key with 401 in the error shape, before validating anything', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/customers', payload: { nonsense: true } });
    expect(res.statusCode).toBe(401);
    expect(res.json().error).toMatchObject({ type: 'authentication', code: 'api_key_missing', param: null });
    expect(res.json().error.request_id).toMatch(/^req_/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers unknown, malformed and non-Bearer credentials with 401', async () => {
    for (const authorization of ['Bearer tally_ik_' + 'x'.repeat(40), 'Bearer nonsense', `Basic ${us.secret}`, us.secret]) {
      const res = await app.inject({ url: '/v1/customers/cus_x', headers: { authorization } });
      expect(res.statusCode, authorization).toBe(401);
      expect(res.json().error.type).toBe('authentication');
    }
  });

  it('answers a revoked key with 401', async () => {
    const doomed = await seedInstance(database(), clock, 'doomed');
    expect((await app.inject({ method: 'POST', url: '/v1/customers', headers: doomed.headers, payload: newCustomer('d1') })).statusCode).toBe(201);
    await revokeKey(systemCtx(database(), clock), doomed.keyId, { reason: 'test' });
    const res = await app.inject({ method: 'POST', url: '/v1/customers', headers: doomed.headers, payload: newCustomer('d2') });
    expect(res.statusCode).toBe(401);
    expect(res.json().error.code).toBe('api_key_invalid');
  });

  it('refuses a staff key on the instance API and an instance key on the admin API with 403', async () => {
    const a = await app.inject({ url: '/v1/customers/cus_x', headers: staff.owner.headers });
    expect(a.statusCode).toBe(403);
    expect(a.json().error).toMatchObject({ type: 'permission', code: 'instance_key_required' });
    const b = await app.inject({ url: '/admin/v1/staff/me', headers: us.headers });
    expect(b.statusCode).toBe(403);
    expect(b.json().error).toMatchObject({ type: 'permission', code: 'staff_key_required' });
  });

  it('cannot be dodged by spelling the path differently', async () => {
    for (const url of ['/%761/customers/cus_x', '/v1/customers/cus_x?x=/healthz', '/v1//customers/cus_x', '/V1/customers/cus_x']) {
      expect([401, 404], url).toContain((await app.inject({ url })).statusCode);
    }
    expect((await app.inject({ url: '/%761/customers/cus_x' })).statusCode).toBe(401);
  });

  it('answers unknown routes with 404 without asking for a key', async () => {
    expect((await app.inject({ url: '/v1/nothing-here' })).statusCode).toBe(404);
    expect((await app.inject({ url: '/admin/v1/nothing-here' })).statusCode).toBe(404);
  });

  it('enforces the least role of every admin route, naming the role needed', async () => {
    const routes: { method: 'GET' | 'POST'; url: string; payload?: object; least: StaffRole }[] = [
      { method: 'GET', url: '/admin/v1/staff/me', least: 'viewer' },
      { method: 'GET', url: '/admin/v1/customers?query=nobody', least: 'viewer' },
      { method: 'GET', url: '/admin/v1/customers/cus_missing', least: 'viewer' },
      { method: 'GET', url: '/admin/v1/audit', least: 'viewer' },
      { method: 'GET', url: '/admin/v1/instances', least: 'viewer' },
      { method: 'POST', url: '/admin/v1/customers/cus_missing', payload: { name: 'x', reason: 'r' }, least: 'support' },
      { method: 'POST', url: '/admin/v1/instances', payload: { slug: 'zz', reason: 'r' }, least: 'owner' },
      { method: 'POST', url: `/admin/v1/instances/${us.instance.id}/keys`, payload: { name: 'k' }, least: 'owner' },
      { method: 'GET', url: `/admin/v1/instances/${us.instance.id}/keys`, least: 'owner' },
      { method: 'POST', url: '/admin/v1/keys/key_missing/revoke', payload: { reason: 'r' }, least: 'owner' },
    ];
    const ladder: StaffRole[] = ['viewer', 'support', 'billing_admin', 'owner'];
    for (const r of routes) {
      for (const role of ladder) {
        const res = await app.inject({ method: r.method, url: r.url, headers: staff[role].headers, ...(r.payload ? { payload: r.payload } : {}) });
        const allowed = ladder.indexOf(role) >= ladder.indexOf(r.least);
        if (allowed) {
          expect(res.statusCode, `${role} ${r.method} ${r.url}`).not.toBe(403);
        } else {
          expect(res.statusCode, `${role} ${r.method} ${r.url}`).toBe(403);
          expect(res.json().error).toMatchObject({ type: 'permission', code: 'role_required', details: { required_role: r.least, role } });
          expect(res.json().error.message).toContain(`'${r.least}'`);
        }
      }
    }
    // An approver reads like a viewer and no more.
    expect((await app.inject({ url: '/admin/v1/staff/me', headers: staff.approver.headers })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/admin/v1/customers/cus_missing', headers: staff.approver.headers, payload: { name: 'x', reason: 'r' } })).statusCode).toBe(403);
  });

  it('tells staff who they are', async () => {
    const res = await app.inject({ url: '/admin/v1/staff/me', headers: staff.support.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: staff.support.staff.id, object: 'staff', role: 'support', email: staff.support.staff.email });
    expect(res.json()).not.toHaveProperty('password_hash');
  });

  it('scopes Idempotency-Keys to the caller: two instances may use the same key', async () => {
    const send = (who: SeededInstance, externalId: string) =>
      app.inject({ method: 'POST', url: '/v1/customers', headers: { ...who.headers, 'idempotency-key': 'shared-key' }, payload: newCustomer(externalId) });
    const a = await send(us, 'idem-team');
    const b = await send(eu, 'idem-team');
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(a.json().instance).toBe(us.instance.id);
    expect(b.json().instance).toBe(eu.instance.id);
  });

  it('documents the security of every route in OpenAPI, with every $ref resolving', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.paths['/v1/customers'].post.security).toEqual([{ instanceKey: [] }]);
    expect(doc.paths['/admin/v1/customers'].get.security).toEqual([{ staff: [] }]);
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(0);
    for (const name of refs) expect(doc.components.schemas, name).toHaveProperty(name as string);
  });
});
