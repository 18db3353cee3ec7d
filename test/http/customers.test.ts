import { and, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { customers } from '../../src/store/schema.js';
import { seedInstance, type SeededInstance } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('instance API: customers', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
  });
  afterAll(async () => app.close());

  const create = (who: SeededInstance, payload: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/customers', headers: { ...who.headers, ...headers }, payload });

  it('creates a customer and reads it back by ID and by external ID', async () => {
    const res = await create(us, {
      external_id: 'team_42',
      name: 'Acme',
      billing_email: 'billing@acme.test',
      address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'us' },
      tax_ids: [{ type: 'us_ein', value: '12-3456789' }],
      currency: 'USD',
      metadata: { plan_source: 'signup' },
    });
    expect(res.statusCode).toBe(201);
    const c = res.json();
    expect(c).toEqual({
      id: expect.stringMatching(/^cus_[0-9A-Z]{26}$/),
      object: 'customer',
      instance: us.instance.id,
      external_id: 'team_42',
      name: 'Acme',
      billing_email: 'billing@acme.test',
      address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US' },
      tax_ids: [{ type: 'us_ein', value: '12-3456789' }],
      currency: 'usd',
      metadata: { plan_source: 'signup' },
      provider_customer_id: null, // R16: not at the provider until billing details are set up
      billing_setup_at: null,
      free_trial_until: null,
      created: '2026-05-01T12:00:00.000Z',
    });
    const byId = await app.inject({ url: `/v1/customers/${c.id}`, headers: us.headers });
    expect(byId.statusCode).toBe(200);
    expect(byId.json()).toEqual(c);
    const byExternal = await app.inject({ url: '/v1/customers/by-external-id/team_42', headers: us.headers });
    expect(byExternal.json()).toEqual(c);
  });

  it('updates only the fields given, and null clears one', async () => {
    const c = (await create(us, { external_id: 'team_upd', name: 'Old', billing_email: 'old@x.test', currency: 'eur' })).json();
    const res = await app.inject({ method: 'POST', url: `/v1/customers/${c.id}`, headers: us.headers, payload: { name: 'New', billing_email: null, metadata: { a: '1' } } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ name: 'New', billing_email: null, metadata: { a: '1' }, currency: 'eur', external_id: 'team_upd' });
  });

  it("gives an instance 404 for another instance's customer: GET, update and external ID (R1)", async () => {
    const usCustomer = (await create(us, { external_id: 'us_only', name: 'US Co', currency: 'usd' })).json();

    const get = await app.inject({ url: `/v1/customers/${usCustomer.id}`, headers: eu.headers });
    expect(get.statusCode).toBe(404);
    expect(get.json().error).toMatchObject({ type: 'not_found', code: 'resource_missing' });

    const update = await app.inject({ method: 'POST', url: `/v1/customers/${usCustomer.id}`, headers: eu.headers, payload: { name: 'Hijacked' } });
    expect(update.statusCode).toBe(404);
    // Same answer as for an ID that does not exist at all: nothing to learn from it.
    const missing = await app.inject({ method: 'POST', url: '/v1/customers/cus_00000000000000000000000000', headers: eu.headers, payload: { name: 'x' } });
    expect(update.json().error.message.replace(usCustomer.id, 'ID')).toBe(missing.json().error.message.replace('cus_00000000000000000000000000', 'ID'));

    const byExternal = await app.inject({ url: '/v1/customers/by-external-id/us_only', headers: eu.headers });
    expect(byExternal.statusCode).toBe(404);

    const unchanged = await app.inject({ url: `/v1/customers/${usCustomer.id}`, headers: us.headers });
    expect(unchanged.json().name).toBe('US Co');
  });

  it('lets two instances use the same external ID, each seeing its own', async () => {
    const a = (await create(us, { external_id: 'team_7', currency: 'usd' })).json();
    const b = (await create(eu, { external_id: 'team_7', currency: 'eur' })).json();
    expect(a.id).not.toBe(b.id);
    expect((await app.inject({ url: '/v1/customers/by-external-id/team_7', headers: eu.headers })).json().id).toBe(b.id);
    expect((await app.inject({ url: '/v1/customers/by-external-id/team_7', headers: us.headers })).json().id).toBe(a.id);
  });

  it('refuses a duplicate external ID in one instance with 409 naming external_id', async () => {
    expect((await create(us, { external_id: 'team_dup', currency: 'usd' })).statusCode).toBe(201);
    const res = await create(us, { external_id: 'team_dup', currency: 'usd' });
    expect(res.statusCode).toBe(409);
    expect(res.json().error).toMatchObject({ type: 'conflict', code: 'customer_exists', param: 'external_id' });
  });

  it('refuses bad input with 400 naming the field, creating nothing', async () => {
    const cases: [object, string][] = [
      [{ currency: 'usd' }, 'external_id'],
      [{ external_id: 'b1' }, 'currency'],
      [{ external_id: 'b1', currency: 'dollars' }, 'currency'],
      [{ external_id: 'b1', currency: 'xyz' }, 'currency'], // well-formed but unknown
      [{ external_id: 'b1', currency: 'usd', billing_email: 'not-an-email' }, 'billing_email'],
      [{ external_id: 'b1', currency: 'usd', address: { country: 'United States' } }, 'address.country'],
      [{ external_id: 'b1', currency: 'usd', tax_ids: [{ type: 'eu_vat' }] }, 'tax_ids.0.value'],
      [{ external_id: 'b1', currency: 'usd', metadata: { n: 1 } }, 'metadata.n'],
      [{ external_id: 'b1', currency: 'usd', billingEmail: 'a@b.test' }, 'billingEmail'],
      [{ external_id: '   ', currency: 'usd' }, 'external_id'],
    ];
    for (const [payload, param] of cases) {
      const res = await create(us, payload);
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json().error.type).toBe('invalid_request');
      expect(res.json().error.param, JSON.stringify(payload)).toBe(param);
    }
    const rows = await database().db.select().from(customers).where(eq(customers.externalId, 'b1'));
    expect(rows).toEqual([]);
    const badUpdate = await app.inject({ method: 'POST', url: '/v1/customers/cus_x', headers: us.headers, payload: { external_id: 'new' } });
    expect(badUpdate.statusCode).toBe(400);
    expect(badUpdate.json().error.param).toBe('external_id');
  });

  it('replays a create with the same Idempotency-Key: one customer, same response', async () => {
    const payload = { external_id: 'team_idem', currency: 'usd', name: 'Once' };
    const first = await create(us, payload, { 'idempotency-key': 'create-team-idem' });
    const again = await create(us, payload, { 'idempotency-key': 'create-team-idem' });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json()).toEqual(first.json());
    const rows = await database()
      .db.select()
      .from(customers)
      .where(and(eq(customers.instanceId, us.instance.id), eq(customers.externalId, 'team_idem')));
    expect(rows).toHaveLength(1);
  });
});
