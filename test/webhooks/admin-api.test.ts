import { and, eq, sql } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { auditLog, jobs } from '../../src/store/schema.js';
import { seedInstance, seedStaff } from '../support/accounts.js';
import { describeDb } from '../support/db.js';
import { scene, type Scene } from './support.js';

describeDb('webhook endpoints API', (database) => {
  let s: Scene | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  const audits = (targetId: string) => database().db.select().from(auditLog).where(eq(auditLog.targetId, targetId));

  it('shows the signing secret once: in the create response, never in a get, a list or an idempotent replay', async () => {
    s = await scene(database());
    const headers = { ...s.owner, 'idempotency-key': `create-${Math.random()}` };
    const payload = { url: s.receiver.url, enabled_events: ['invoice.paid', 'invoice.paid', 'customer.quota_limited'], description: 'billing sync', reason: 'new integration' };
    const res = await s.app.inject({ method: 'POST', url: s.base, headers, payload });
    expect(res.statusCode, res.body).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      object: 'webhook_endpoint',
      instance: s.w.instanceId,
      url: s.receiver.url,
      description: 'billing sync',
      enabled_events: ['invoice.paid', 'customer.quota_limited'],
      status: 'enabled',
      previous_secret_expires_at: null,
    });
    expect(created.id).toMatch(/^we_/);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);

    const replay = await s.app.inject({ method: 'POST', url: s.base, headers, payload });
    expect(replay.statusCode).toBe(201);
    expect(replay.json()).toMatchObject({ id: created.id, secret: null });

    const got = await s.app.inject({ method: 'GET', url: `${s.base}/${created.id}`, headers: s.owner });
    expect(got.statusCode).toBe(200);
    expect(got.json()).not.toHaveProperty('secret');
    expect(got.body).not.toContain(created.secret);
    const list = await s.app.inject({ method: 'GET', url: s.base, headers: s.owner });
    expect(list.json()).toMatchObject({ object: 'list', has_more: false, data: [{ id: created.id }] });
    expect(list.body).not.toContain(created.secret);
    // Not in the audit log either.
    const [audit] = await audits(created.id);
    expect(audit).toMatchObject({ action: 'webhook_endpoint.create', reason: 'new integration', targetType: 'webhook_endpoint' });
    expect(JSON.stringify(audit)).not.toContain(created.secret);
  });

  it('validates URLs and event types, needs a reason from staff, and changes nothing on bad input', async () => {
    s = await scene(database());
    const post = (payload: Record<string, unknown>) => s!.app.inject({ method: 'POST', url: s!.base, headers: s!.owner, payload: { url: 'https://example.com/hook', enabled_events: ['*'], reason: 'x', ...payload } });
    for (const url of ['ftp://example.com/hook', 'javascript:alert(1)', 'not a url', '/relative', 'https://user:pw@example.com/hook']) {
      const r = await post({ url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'url_invalid', param: 'url' });
    }
    // A metadata service or other link-local address is refused outright (host names at each delivery).
    for (const url of ['http://169.254.169.254/latest/meta-data/', 'http://[fe80::1]/hook', 'http://0.0.0.0:8080/hook']) {
      const r = await post({ url });
      expect(r.statusCode, url).toBe(400);
      expect(r.json().error).toMatchObject({ code: 'url_refused', param: 'url' });
    }
    const unknown = await post({ enabled_events: ['invoice.paid', 'api_key.created'] });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error).toMatchObject({ code: 'event_type_unknown', param: 'enabled_events.1' });
    const noReason = await post({ reason: undefined });
    expect(noReason.json().error).toMatchObject({ code: 'reason_required', param: 'reason' });
    const list = await s.app.inject({ method: 'GET', url: s.base, headers: s.owner });
    expect(list.json().data).toEqual([]);
    // http and https both go; '*' absorbs the rest.
    const ok = await post({ url: 'http://example.com:8080/hook?x=1', enabled_events: ['invoice.paid', '*'] });
    expect(ok.statusCode).toBe(201);
    expect(ok.json()).toMatchObject({ url: 'http://example.com:8080/hook?x=1', enabled_events: ['*'] });
  });

  it('roles: viewers read, only owners change endpoints; another instance’s endpoint is not found', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    const viewer = (await seedStaff(database(), s.w.clock, 'viewer')).headers;
    expect((await s.app.inject({ method: 'GET', url: s.base, headers: viewer })).statusCode).toBe(200);
    const denied = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}/rotate-secret`, headers: viewer, payload: { reason: 'x' } });
    expect(denied.statusCode).toBe(403);
    const other = await seedInstance(database(), s.w.clock, `o-${Math.random().toString(36).slice(2, 8)}`);
    const foreign = await s.app.inject({ method: 'GET', url: `/admin/v1/instances/${other.instance.id}/webhook-endpoints/${ep.id}`, headers: s.owner });
    expect(foreign.statusCode).toBe(404);
  });

  it('update and delete are audited; a deleted endpoint is gone from the API and gets nothing', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    const upd = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}`, headers: s.owner, payload: { enabled_events: ['invoice.paid'], description: 'only payments', ticket: 'OPS-1' } });
    expect(upd.statusCode, upd.body).toBe(200);
    expect(upd.json()).toMatchObject({ enabled_events: ['invoice.paid'], description: 'only payments', status: 'enabled' });
    const del = await s.app.inject({ method: 'DELETE', url: `${s.base}/${ep.id}`, headers: s.owner, payload: { reason: 'integration retired' } });
    expect(del.statusCode, del.body).toBe(200);
    expect((await s.app.inject({ method: 'GET', url: `${s.base}/${ep.id}`, headers: s.owner })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: s.base, headers: s.owner })).json().data).toEqual([]);
    expect((await audits(ep.id)).map((a) => [a.action, a.reason, a.ticket])).toEqual([
      ['webhook_endpoint.create', 'test receiver', null],
      ['webhook_endpoint.update', null, 'OPS-1'],
      ['webhook_endpoint.delete', 'integration retired', null],
    ]);
    const cus = await s.w.customer();
    // With no live endpoint the instance's events queue no webhook work at all.
    const [created] = await s.w.events(cus.id, 'customer.created');
    const fanOuts = await database()
      .db.select()
      .from(jobs)
      .where(and(eq(jobs.kind, 'webhook.fan_out'), sql`${jobs.payload}->>'event_id' = ${created!.id}`));
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(0);
    expect(fanOuts).toEqual([]);
  });

  it('lists deliveries with their attempts, and redelivers one with the same event id (audited)', async () => {
    s = await scene(database());
    const ep = await s.endpoint();
    s.receiver.behave({ status: 500 }, { status: 200 });
    await s.w.customer();
    await s.w.runJobs();
    const list = await s.app.inject({ method: 'GET', url: `${s.base}/${ep.id}/deliveries`, headers: s.owner });
    expect(list.statusCode, list.body).toBe(200);
    const [d] = list.json().data;
    expect(d).toMatchObject({ object: 'webhook_delivery', endpoint: ep.id, event_type: 'customer.created', status: 'pending', attempts: 1, last_status_code: 500 });
    const retryAt = d.next_attempt_at;

    // Redeliver now: it replaces the pending retry rather than adding a second send.
    const noReason = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}/deliveries/${d.id}/redeliver`, headers: s.owner, payload: {} });
    expect(noReason.json().error).toMatchObject({ code: 'reason_required' });
    const redo = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}/deliveries/${d.id}/redeliver`, headers: s.owner, payload: { reason: 'customer asked' } });
    expect(redo.statusCode, redo.body).toBe(200);
    expect(redo.json()).toMatchObject({ id: d.id, status: 'pending', next_attempt_at: '2026-03-01T00:00:00.000Z' });
    await s.w.runJobs();
    await s.w.advanceTo(new Date(Date.parse(retryAt) + 60 * 60_000));
    expect(s.receiver.requests).toHaveLength(2);

    // A succeeded delivery can be sent again too.
    const again = await s.app.inject({ method: 'POST', url: `${s.base}/${ep.id}/deliveries/${d.id}/redeliver`, headers: s.owner, payload: { reason: 'lost on their side' } });
    expect(again.statusCode).toBe(200);
    await s.w.runJobs();
    expect(s.receiver.requests).toHaveLength(3);
    expect(new Set(s.receiver.requests.map((r) => r.headers['tally-event-id']))).toEqual(new Set([d.event]));
    expect(new Set(s.receiver.requests.map((r) => r.body)).size).toBe(1);

    const detail = await s.app.inject({ method: 'GET', url: `${s.base}/${ep.id}/deliveries/${d.id}`, headers: s.owner });
    expect(detail.statusCode, detail.body).toBe(200);
    expect(detail.json()).toMatchObject({ status: 'succeeded', attempts: 3, body: s.receiver.requests[0]!.body });
    expect(detail.json().attempt_log.map((a: { attempt: number; status_code: number }) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, 200],
      [3, 200],
    ]);
    expect((await audits(d.id)).map((a) => a.action)).toEqual(['webhook_delivery.redeliver', 'webhook_delivery.redeliver']);
  });

  it('an instance manages its own endpoints under /v1 with its key, without reasons, and sees only its own', async () => {
    s = await scene(database());
    const mine = await seedInstance(database(), s.w.clock, `m-${Math.random().toString(36).slice(2, 8)}`);
    const theirs = await seedInstance(database(), s.w.clock, `t-${Math.random().toString(36).slice(2, 8)}`);
    const created = await s.app.inject({ method: 'POST', url: '/v1/webhook-endpoints', headers: mine.headers, payload: { url: s.receiver.url, enabled_events: ['customer.created'] } });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({ instance: mine.instance.id, secret: expect.stringMatching(/^whsec_/) });
    const id = created.json().id;
    expect((await s.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: theirs.headers })).json().data).toEqual([]);
    expect((await s.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${id}`, headers: theirs.headers })).statusCode).toBe(404);
    expect((await s.app.inject({ method: 'GET', url: `/v1/webhook-endpoints/${id}`, headers: mine.headers })).json()).not.toHaveProperty('secret');
    const rotated = await s.app.inject({ method: 'POST', url: `/v1/webhook-endpoints/${id}/rotate-secret`, headers: mine.headers });
    expect(rotated.statusCode, rotated.body).toBe(200);
    expect(rotated.json().secret).not.toBe(created.json().secret);
    // Staff keys are refused on the instance API.
    expect((await s.app.inject({ method: 'GET', url: '/v1/webhook-endpoints', headers: s.owner })).statusCode).toBe(403);
    expect(await audits(id)).toEqual([]);
  });
});
