import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createStaff } from '../../src/billing/staff/staff.js';
import { ManualClock } from '../../src/shared/clock.js';
import { staffSessions } from '../../src/store/schema.js';
import { systemCtx } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('staff sign-in sessions (admin UI)', (database) => {
  const clock = new ManualClock('2026-08-03T08:00:00Z');
  let app: FastifyInstance;
  const signIn = (email: string, password: string) => app.inject({ method: 'POST', url: '/admin/v1/sessions', payload: { email, password } });

  beforeAll(async () => {
    app = await testApp(database(), clock);
    await createStaff(systemCtx(database(), clock), { email: 'ada@tally.test', name: 'Ada', role: 'support', password: 'correct horse battery' });
    await createStaff(systemCtx(database(), clock), { email: 'vic@tally.test', name: 'Vic', role: 'viewer', password: 'another long one' });
  });
  afterAll(async () => app.close());

  it('signs in with the right password and the token works on admin routes', async () => {
    const res = await signIn('ada@tally.test', 'correct horse battery');
    expect(res.statusCode).toBe(201);
    const { token, staff, expires } = res.json();
    expect(token).toMatch(/^tally_ss_[0-9A-Za-z]{40}$/);
    expect(staff.email).toBe('ada@tally.test');
    expect(expires).toBe('2026-08-03T20:00:00.000Z');
    const me = await app.inject({ url: '/admin/v1/staff/me', headers: { authorization: `Bearer ${token}` } });
    expect(me.json().email).toBe('ada@tally.test');
    // Only a hash is kept.
    const rows = await database().db.select().from(staffSessions);
    expect(JSON.stringify(rows)).not.toContain(token);
    const audit = await app.inject({ url: '/admin/v1/audit?action=staff.sign_in', headers: { authorization: `Bearer ${token}` } });
    expect(audit.json().data[0]).toMatchObject({ action: 'staff.sign_in' });
  });

  it('gives the same answer for a wrong password and an unknown email', async () => {
    const wrong = await signIn('ada@tally.test', 'nope nope nope');
    const unknown = await signIn('nobody@tally.test', 'nope nope nope');
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.json().error.code).toBe('invalid_credentials');
    expect(unknown.json().error.message).toBe(wrong.json().error.message);
  });

  it('keeps the role of the account', async () => {
    const { token } = (await signIn('vic@tally.test', 'another long one')).json();
    const res = await app.inject({ method: 'POST', url: '/admin/v1/customers/cus_x', headers: { authorization: `Bearer ${token}` }, payload: { name: 'x', reason: 'y' } });
    expect(res.statusCode).toBe(403);
  });

  it('stops working after sign-out, and after 12 hours', async () => {
    const { token } = (await signIn('ada@tally.test', 'correct horse battery')).json();
    const auth = { authorization: `Bearer ${token}` };
    expect((await app.inject({ method: 'POST', url: '/admin/v1/sessions/sign-out', headers: auth })).json()).toEqual({ signed_out: true });
    expect((await app.inject({ url: '/admin/v1/staff/me', headers: auth })).statusCode).toBe(401);

    const second = (await signIn('ada@tally.test', 'correct horse battery')).json().token;
    clock.advance(12 * 60 * 60 * 1000 - 1000);
    expect((await app.inject({ url: '/admin/v1/staff/me', headers: { authorization: `Bearer ${second}` } })).statusCode).toBe(200);
    clock.advance(2000);
    expect((await app.inject({ url: '/admin/v1/staff/me', headers: { authorization: `Bearer ${second}` } })).statusCode).toBe(401);
  });

  it('a session token is not an instance key', async () => {
    const { token } = (await signIn('ada@tally.test', 'correct horse battery')).json();
    expect((await app.inject({ url: '/v1/customers/cus_x', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(403);
  });
});
