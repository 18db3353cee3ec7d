import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCustomer, updateCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { ManualClock } from '../../src/shared/clock.js';
import { auditLog, customers, events, idempotencyKeys } from '../../src/store/schema.js';
import { seedInstance, seedStaff, systemCtx, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('admin API', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let viewer: SeededStaff;
  let support: SeededStaff;
  let owner: SeededStaff;
  let acme: Customer;
  let globex: Customer;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    viewer = await seedStaff(database(), clock, 'viewer');
    support = await seedStaff(database(), clock, 'support');
    owner = await seedStaff(database(), clock, 'owner');
    const ctx = { ...systemCtx(database(), clock), actor: { type: 'instance' as const, id: us.instance.id, keyId: null } };
    acme = await createCustomer(ctx, { instanceId: us.instance.id, externalId: 'team_1001', name: 'Acme Rockets', billingEmail: 'Billing@Acme.test', currency: 'usd' });
    acme = await updateCustomer(ctx, acme.id, { providerCustomerId: 'cus_Stripe123' });
    globex = await createCustomer({ ...ctx, actor: { type: 'instance', id: eu.instance.id, keyId: null } }, { instanceId: eu.instance.id, externalId: 'org_77', name: 'Globex', billingEmail: 'ap@globex.test', currency: 'eur' });
  });
  afterAll(async () => app.close());

  const search = (query: string, who: SeededStaff = viewer, extra = '') =>
    app.inject({ url: `/admin/v1/customers?query=${encodeURIComponent(query)}${extra}`, headers: who.headers });

  it('finds customers across instances by team/org ID, billing email (any case), provider ID and name', async () => {
    const ids = async (q: string) => (await search(q)).json().data.map((c: { id: string }) => c.id);
    expect(await ids('team_1001')).toEqual([acme.id]);
    expect(await ids('org_77')).toEqual([globex.id]);
    expect(await ids('BILLING@acme.TEST')).toEqual([acme.id]);
    expect(await ids('cus_Stripe123')).toEqual([acme.id]);
    expect(await ids('rocket')).toEqual([acme.id]);
    expect(await ids('glob')).toEqual([globex.id]);
    expect(await ids(acme.id)).toEqual([acme.id]);
    expect(await ids('nobody-like-this')).toEqual([]);
    const res = await search('team_1001');
    expect(res.json()).toMatchObject({ object: 'list', has_more: false, data: [{ object: 'customer', external_id: 'team_1001', provider_customer_id: 'cus_Stripe123' }] });
  });

  it('narrows a search to one instance and pages through results with starting_after', async () => {
    const ctx = { ...systemCtx(database(), clock), actor: { type: 'instance' as const, id: us.instance.id, keyId: null } };
    for (let i = 0; i < 5; i++) await createCustomer(ctx, { instanceId: us.instance.id, externalId: `page_${i}`, name: `Pager ${i}`, currency: 'usd' });
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = (await search('pager', viewer, `&limit=2${after ? `&starting_after=${after}` : ''}`)).json();
      seen.push(...page.data.map((c: { external_id: string }) => c.external_id));
      if (!page.has_more) break;
      after = page.data.at(-1).id;
    }
    expect(seen).toEqual(['page_0', 'page_1', 'page_2', 'page_3', 'page_4']);
    expect((await search('pager', viewer, '&instance=eu')).json().data).toEqual([]);
    expect((await search('pager', viewer, '&instance=us')).json().data).toHaveLength(5);
    expect((await search('pager', viewer, '&limit=0')).json().error.param).toBe('limit');
  });

  it('needs a query to search', async () => {
    const res = await app.inject({ url: '/admin/v1/customers', headers: viewer.headers });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.param).toBe('query');
  });

  it('lets a viewer read any customer but not change one (403 naming support)', async () => {
    expect((await app.inject({ url: `/admin/v1/customers/${globex.id}`, headers: viewer.headers })).json()).toMatchObject({ id: globex.id, instance: eu.instance.id });
    const res = await app.inject({ method: 'POST', url: `/admin/v1/customers/${acme.id}`, headers: viewer.headers, payload: { name: 'Nope', reason: 'testing' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error).toMatchObject({ type: 'permission', code: 'role_required' });
    expect(res.json().error.message).toContain("'support'");
  });

  it('refuses a staff update without a reason or ticket with 400 naming reason, changing nothing', async () => {
    const auditBefore = await database().db.select().from(auditLog).where(eq(auditLog.targetId, acme.id));
    const eventsBefore = await database().db.select().from(events).where(eq(events.customerId, acme.id));
    const [rowBefore] = await database().db.select().from(customers).where(eq(customers.id, acme.id));
    for (const payload of [{ name: 'Changed' }, { name: 'Changed', reason: '   ' }]) {
      const res = await app.inject({ method: 'POST', url: `/admin/v1/customers/${acme.id}`, headers: support.headers, payload });
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ type: 'invalid_request', code: 'reason_required', param: 'reason' });
    }
    const [rowAfter] = await database().db.select().from(customers).where(eq(customers.id, acme.id));
    expect(rowAfter).toEqual(rowBefore);
    expect(await database().db.select().from(auditLog).where(eq(auditLog.targetId, acme.id))).toEqual(auditBefore);
    expect(await database().db.select().from(events).where(eq(events.customerId, acme.id))).toEqual(eventsBefore);
  });

  it('applies a staff update with a reason and audits who, when, why, before and after (R15)', async () => {
    clock.advance(60_000);
    const res = await app.inject({
      method: 'POST',
      url: `/admin/v1/customers/${acme.id}`,
      headers: support.headers,
      payload: { billing_email: 'finance@acme.test', reason: 'customer asked to change the billing email', ticket: 'ZD-1234' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: acme.id, billing_email: 'finance@acme.test', name: 'Acme Rockets' });
    const rows = await database().db.select().from(auditLog).where(eq(auditLog.targetId, acme.id));
    const entry = rows.find((r) => r.action === 'customer.update');
    expect(entry).toMatchObject({
      at: clock.now(),
      actorType: 'staff',
      actorId: support.staff.id,
      customerId: acme.id,
      reason: 'customer asked to change the billing email',
      ticket: 'ZD-1234',
      before: expect.objectContaining({ billingEmail: 'Billing@Acme.test' }),
      after: expect.objectContaining({ billingEmail: 'finance@acme.test' }),
    });

    // A ticket reference alone is enough.
    const ticketOnly = await app.inject({ method: 'POST', url: `/admin/v1/customers/${acme.id}`, headers: support.headers, payload: { name: 'Acme Rockets Inc', ticket: 'ZD-1235' } });
    expect(ticketOnly.statusCode).toBe(200);
  });

  it('reads the audit log filtered by customer, actor, action and time, newest first, paged', async () => {
    const get = async (qs: string) => {
      const res = await app.inject({ url: `/admin/v1/audit?${qs}`, headers: viewer.headers });
      expect(res.statusCode, res.body).toBe(200);
      return res.json();
    };
    const forAcme = await get(`customer=${acme.id}`);
    expect(forAcme.data.map((a: { action: string }) => a.action)).toEqual(['customer.update', 'customer.update']);
    expect(forAcme.data[0]).toMatchObject({ object: 'audit_entry', ticket: 'ZD-1235', actor_type: 'staff', actor_id: support.staff.id, customer: acme.id });
    expect((await get(`actor=${support.staff.id}&action=customer.update`)).data).toHaveLength(2);
    expect((await get(`actor=${viewer.staff.id}`)).data).toEqual([]);
    expect((await get(`customer=${acme.id}&from=2026-05-01T12:00:30Z`)).data).toHaveLength(2);
    expect((await get(`customer=${acme.id}&to=2026-05-01T12:00:30Z`)).data).toHaveLength(0);
    const first = await get(`customer=${acme.id}&limit=1`);
    expect(first.has_more).toBe(true);
    const second = await get(`customer=${acme.id}&limit=1&starting_after=${first.data[0].id}`);
    expect(second.data[0].id).not.toBe(first.data[0].id);
    expect(second.has_more).toBe(false);
    const bad = await app.inject({ url: '/admin/v1/audit?from=yesterday', headers: viewer.headers });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.param).toBe('from');
  });

  it('lets an owner create instances and keys; the secret is shown once, even to idempotent replays', async () => {
    const created = await app.inject({ method: 'POST', url: '/admin/v1/instances', headers: owner.headers, payload: { slug: 'apac', name: 'Asia Pacific', reason: 'new region' } });
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({ object: 'instance', slug: 'apac', name: 'Asia Pacific', id: expect.stringMatching(/^ins_/) });
    const dup = await app.inject({ method: 'POST', url: '/admin/v1/instances', headers: owner.headers, payload: { slug: 'apac' } });
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.param).toBe('slug');
    const list = await app.inject({ url: '/admin/v1/instances?limit=100', headers: viewer.headers });
    expect(list.json().data.map((i: { slug: string }) => i.slug)).toEqual(expect.arrayContaining(['us', 'eu', 'apac']));

    const send = () => app.inject({ method: 'POST', url: '/admin/v1/instances/apac/keys', headers: { ...owner.headers, 'idempotency-key': 'apac-key-1' }, payload: { name: 'apac production' } });
    const key = await send();
    expect(key.statusCode).toBe(201);
    const { secret, id } = key.json();
    expect(secret).toMatch(/^tally_ik_/);
    const replay = await send();
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json()).toMatchObject({ id, secret: null });
    const stored = await database().db.select().from(idempotencyKeys);
    expect(JSON.stringify(stored)).not.toContain(secret);

    const keys = await app.inject({ url: `/admin/v1/instances/${created.json().id}/keys`, headers: owner.headers });
    expect(keys.json().data).toEqual([expect.objectContaining({ id, prefix: secret.slice(0, 15), revoked: null })]);
    expect(keys.body).not.toContain(secret);

    // The new key works on the instance API, sees only its own (empty) instance, and stops once revoked.
    const apac = { authorization: `Bearer ${secret}` };
    expect((await app.inject({ url: `/v1/customers/${acme.id}`, headers: apac })).statusCode).toBe(404);
    const noReason = await app.inject({ method: 'POST', url: `/admin/v1/keys/${id}/revoke`, headers: owner.headers, payload: {} });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.param).toBe('reason');
    const revoked = await app.inject({ method: 'POST', url: `/admin/v1/keys/${id}/revoke`, headers: owner.headers, payload: { reason: 'rotating' } });
    expect(revoked.statusCode).toBe(200);
    expect(revoked.json().revoked).toBe(clock.now().toISOString());
    expect((await app.inject({ url: `/v1/customers/${acme.id}`, headers: apac })).statusCode).toBe(401);
    const audit = (await app.inject({ url: `/admin/v1/audit?action=api_key.revoke&actor=${owner.staff.id}`, headers: viewer.headers })).json();
    expect(audit.data[0]).toMatchObject({ target_id: id, reason: 'rotating' });
  });

  it('answers 404 for unknown customers, instances and keys', async () => {
    expect((await app.inject({ url: '/admin/v1/customers/cus_missing', headers: viewer.headers })).statusCode).toBe(404);
    expect((await app.inject({ url: '/admin/v1/instances/nowhere', headers: viewer.headers })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/admin/v1/keys/key_missing/revoke', headers: owner.headers, payload: { reason: 'x' } })).statusCode).toBe(404);
    expect((await app.inject({ method: 'POST', url: '/admin/v1/customers/cus_missing', headers: support.headers, payload: { name: 'x', reason: 'x' } })).statusCode).toBe(404);
  });
});
