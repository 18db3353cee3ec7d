import { beforeAll, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { dailyUsage, rawEventCount, usageForPeriod } from '../../src/billing/usage/read-usage.js';
import { aggregate } from '../../src/core/pricing/index.js';
import { Decimal } from '../../src/core/money/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

// `recordings` is priced by distinct count, so its unique keys are kept (they are only kept for such metrics).
const config = `
version: 1
products:
  - key: product_analytics
    name: Product analytics
    metric: events
    unit: event
    default_plan: free
    plans:
      free:
        name: Free
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
  - key: session_replay
    name: Session replay
    metric: recordings
    unit: recording
    default_plan: free
    plans:
      free:
        name: Free
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: unique } }]
`;
const jan = { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-02-01T00:00:00Z') };

describeDb('usage ingestion', (database) => {
  const clock = new ManualClock('2026-01-20T12:00:00Z');
  let ctx: ServiceContext;
  let us: string;
  let eu: string;
  let acme: string;
  let globex: string;
  let euCustomer: string;

  beforeAll(async () => {
    ctx = { db: database().db, clock, actor: systemActor('test') };
    await activateCatalogConfig(ctx.db, clock, config, 'usage-test.yaml');
    us = (await createInstance(ctx, { slug: 'us' })).id;
    eu = (await createInstance(ctx, { slug: 'eu' })).id;
    acme = (await createCustomer(ctx, { instanceId: us, externalId: 'team_acme', currency: 'usd' })).id;
    globex = (await createCustomer(ctx, { instanceId: us, externalId: 'team_globex', currency: 'usd' })).id;
    euCustomer = (await createCustomer(ctx, { instanceId: eu, externalId: 'team_eu', currency: 'eur' })).id;
  });

  it('accepts events by customer ID or team/org ID and counts them in the period', async () => {
    const r = await ingestUsage(ctx, us, [
      { id: 'e1', customer: acme, metric: 'events', value: 100, timestamp: '2026-01-05T10:00:00Z' },
      { id: 'e2', customer: 'team_acme', metric: 'events', value: '250.5', timestamp: '2026-01-06T10:00:00Z' },
      { id: 'e3', customer: 'team_globex', metric: 'events', value: 7, timestamp: '2026-01-06T11:00:00Z' },
    ]);
    expect(r.results.map((x) => x.status)).toEqual(['accepted', 'accepted', 'accepted']);
    expect((await usageForPeriod(ctx, acme, 'events', 'sum', jan.start, jan.end)).toString()).toBe('350.5');
    expect((await usageForPeriod(ctx, globex, 'events', 'sum', jan.start, jan.end)).toString()).toBe('7');
  });

  it('counts an event id once per customer, forever: repeats are duplicates, not errors', async () => {
    const again = await ingestUsage(ctx, us, [
      { id: 'e1', customer: acme, metric: 'events', value: 100, timestamp: '2026-01-05T10:00:00Z' },
      { id: 'e1', customer: 'team_acme', metric: 'events', value: 999, timestamp: '2026-01-07T10:00:00Z' },
      { id: 'e1', customer: globex, metric: 'events', value: 1, timestamp: '2026-01-07T10:00:00Z' }, // same id, other customer: new
      { id: 'new', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-07T10:00:00Z' },
      { id: 'new', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-07T10:00:00Z' }, // twice in one batch
    ]);
    expect(again.results.map((x) => x.status)).toEqual(['duplicate', 'duplicate', 'accepted', 'accepted', 'duplicate']);
    expect([again.accepted, again.duplicates, again.rejected]).toEqual([2, 3, 0]);
    expect((await usageForPeriod(ctx, acme, 'events', 'sum', jan.start, jan.end)).toString()).toBe('351.5');
  });

  it('rejects bad events with a reason naming the field and keeps the good ones of the batch', async () => {
    const r = await ingestUsage(ctx, us, [
      { id: 'ok-1', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'bad-cust', customer: 'team_nobody', metric: 'events', value: 1, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'bad-metric', customer: acme, metric: 'bananas', value: 1, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'bad-value', customer: acme, metric: 'events', value: Number.NaN, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'neg-value', customer: acme, metric: 'events', value: -1, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'future', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-20T12:06:00Z' },
      { id: 'soon', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-20T12:04:00Z' },
      { id: 'bad-ts', customer: acme, metric: 'events', value: 1, timestamp: 'yesterday' },
      { id: '', customer: acme, metric: 'events', value: 1, timestamp: '2026-01-08T00:00:00Z' },
      { id: 'eu-cust', customer: euCustomer, metric: 'events', value: 1, timestamp: '2026-01-08T00:00:00Z' },
    ]);
    expect(r.results.map((x) => [x.id, x.status, x.code ?? null, x.param ?? null])).toEqual([
      ['ok-1', 'accepted', null, null],
      ['bad-cust', 'rejected', 'customer_unknown', 'customer'],
      ['bad-metric', 'rejected', 'metric_unknown', 'metric'],
      ['bad-value', 'rejected', 'value_invalid', 'value'],
      ['neg-value', 'rejected', 'value_invalid', 'value'],
      ['future', 'rejected', 'timestamp_in_future', 'timestamp'],
      ['soon', 'accepted', null, null],
      ['bad-ts', 'rejected', 'timestamp_invalid', 'timestamp'],
      ['', 'rejected', 'id_invalid', 'id'],
      // Another instance's customer does not exist for this instance (R1).
      ['eu-cust', 'rejected', 'customer_unknown', 'customer'],
    ]);
    expect(await rawEventCount(ctx, euCustomer, 'events')).toBe(0);
  });

  it('refuses malformed batches whole, naming `events`', async () => {
    await expect(ingestUsage(ctx, us, [])).rejects.toMatchObject({ code: 'batch_empty', param: 'events' });
    const big = Array.from({ length: 1001 }, (_, i) => ({ id: `b${i}`, customer: acme, metric: 'events', value: 1, timestamp: '2026-01-08T00:00:00Z' }));
    await expect(ingestUsage(ctx, us, big)).rejects.toMatchObject({ code: 'batch_too_large', param: 'events' });
  });

  it('keeps every aggregation equal to a recount of the raw events, across days and batches', async () => {
    const c = (await createCustomer(ctx, { instanceId: us, externalId: 'team_agg', currency: 'usd' })).id;
    const events = Array.from({ length: 300 }, (_, i) => ({
      id: `agg-${i}`,
      customer: c,
      metric: 'recordings',
      value: String((i * 37) % 101) + (i % 3 === 0 ? '.25' : ''),
      timestamp: new Date(Date.UTC(2026, 0, 1 + (i % 19), i % 24, (i * 7) % 60)).toISOString(),
      properties: { unique_key: `user-${i % 23}` },
    }));
    for (let i = 0; i < events.length; i += 70) await ingestUsage(ctx, us, events.slice(i, i + 70));
    const values = events.map((e) => ({ value: Decimal.parse(e.value), timestamp: new Date(e.timestamp), uniqueKey: e.properties.unique_key }));
    for (const agg of ['sum', 'count', 'max', 'last', 'unique'] as const) {
      const stored = await usageForPeriod(ctx, c, 'recordings', agg, jan.start, jan.end);
      expect(stored.toString(), agg).toBe(aggregate(agg, values).toString());
    }
    const series = await dailyUsage(ctx, c, 'recordings', jan.start, jan.end);
    expect(series).toHaveLength(19);
    expect(series.reduce((s, p) => s + p.count, 0)).toBe(300);
  });

  it('keeps no distinct keys for metrics that no price counts as unique', async () => {
    const c = (await createCustomer(ctx, { instanceId: us, externalId: 'team_nouniq', currency: 'usd' })).id;
    await ingestUsage(ctx, us, [{ id: 'u1', customer: c, metric: 'events', value: 3, timestamp: '2026-01-02T00:00:00Z', properties: { unique_key: 'x' } }]);
    expect((await usageForPeriod(ctx, c, 'events', 'unique', jan.start, jan.end)).toString()).toBe('0');
    expect((await usageForPeriod(ctx, c, 'events', 'sum', jan.start, jan.end)).toString()).toBe('3');
  });

  it('adds up aggregates written to different shards by concurrent batches', async () => {
    const c = (await createCustomer(ctx, { instanceId: us, externalId: 'team_shards', currency: 'usd' })).id;
    const batches = Array.from({ length: 10 }, (_, b) =>
      Array.from({ length: 20 }, (_, i) => ({ id: `s${b}-${i}`, customer: c, metric: 'events', value: b + 1, timestamp: `2026-01-03T0${i % 10}:00:00Z` })),
    );
    await Promise.all(batches.map((events) => ingestUsage(ctx, us, events)));
    // Σ over b of 20 × (b + 1) = 20 × 55 = 1100; max 10; count 200; last is a value of the latest hour.
    expect((await usageForPeriod(ctx, c, 'events', 'sum', jan.start, jan.end)).toString()).toBe('1100');
    expect((await usageForPeriod(ctx, c, 'events', 'count', jan.start, jan.end)).toString()).toBe('200');
    expect((await usageForPeriod(ctx, c, 'events', 'max', jan.start, jan.end)).toString()).toBe('10');
  });

  it('refuses periods that do not start at 00:00 UTC', async () => {
    await expect(usageForPeriod(ctx, acme, 'events', 'sum', new Date('2026-01-01T05:00:00Z'), jan.end)).rejects.toMatchObject({ param: 'start' });
  });
});
