import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedInstance, type SeededInstance } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('instance API: usage', (database) => {
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let customerId: string;

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    app = await testApp(database(), clock);
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    const res = await app.inject({ method: 'POST', url: '/v1/customers', headers: us.headers, payload: { external_id: 'team_u', currency: 'usd' } });
    customerId = res.json().id;
  });
  afterAll(async () => app.close());

  const post = (who: SeededInstance, events: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url: '/v1/usage', headers: { ...who.headers, ...headers }, payload: { events } });

  it('reports per event: accepted, duplicate, rejected with the field', async () => {
    const res = await post(us, [
      { id: 'a', customer: 'team_u', metric: 'events', value: 10, timestamp: '2026-03-09T08:00:00Z' },
      { id: 'a', customer: 'team_u', metric: 'events', value: 10, timestamp: '2026-03-09T08:00:00Z' },
      { id: 'b', customer: 'team_u', metric: 'events', value: 'ten', timestamp: '2026-03-09T08:00:00Z' },
      { id: 'c', customer: customerId, metric: 'events', value: 5, timestamp: '2026-03-10T08:00:00Z' },
    ]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect([body.accepted, body.duplicates, body.rejected]).toEqual([2, 1, 1]);
    expect(body.results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'duplicate', 'rejected', 'accepted']);
    expect(body.results[2]).toMatchObject({ code: 'value_invalid', param: 'value' });
  });

  it('serves the daily series, and keeps another instance out (R1)', async () => {
    const res = await app.inject({ url: `/v1/customers/${customerId}/usage/daily?metric=events&from=2026-03-01&to=2026-04-01`, headers: us.headers });
    expect(res.statusCode).toBe(200);
    expect(res.json().data).toEqual([
      { day: '2026-03-09', sum: '10', count: 1, max: '10' },
      { day: '2026-03-10', sum: '5', count: 1, max: '5' },
    ]);
    const other = await app.inject({ url: `/v1/customers/${customerId}/usage/daily?metric=events&from=2026-03-01&to=2026-04-01`, headers: eu.headers });
    expect(other.statusCode).toBe(404);
    const ingest = await post(eu, [{ id: 'x', customer: customerId, metric: 'events', value: 1, timestamp: '2026-03-09T08:00:00Z' }]);
    expect(ingest.json().results[0]).toMatchObject({ status: 'rejected', code: 'customer_unknown' });
  });

  it('refuses a malformed batch as a whole with 400 naming `events`', async () => {
    for (const events of [[], 'nope', Array.from({ length: 1001 }, (_, i) => ({ id: `${i}` }))]) {
      const res = await post(us, events);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.param).toBe('events');
    }
  });

  it('needs an instance key', async () => {
    const res = await app.inject({ method: 'POST', url: '/v1/usage', payload: { events: [] } });
    expect(res.statusCode).toBe(401);
  });

  it('replays a batch sent again with the same Idempotency-Key', async () => {
    const events = [{ id: 'idem-1', customer: 'team_u', metric: 'events', value: 1, timestamp: '2026-03-09T09:00:00Z' }];
    const first = await post(us, events, { 'idempotency-key': 'batch-1' });
    const second = await post(us, events, { 'idempotency-key': 'batch-1' });
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(first.json().accepted).toBe(1);
  });
});
