import { expect, it } from 'vitest';
import { cancelSubscription, getSubscription, subscribe } from '../../src/billing/subscriptions/index.js';
import { describeDb } from '../support/db.js';
import { world } from './helpers.js';

const period = (s: { currentPeriodStart: Date; currentPeriodEnd: Date } | null) => [s?.currentPeriodStart.toISOString().slice(0, 10), s?.currentPeriodEnd.toISOString().slice(0, 10)];
const closed = (rows: { data: unknown }[]) => rows.map((r) => {
  const d = r.data as { period_start: string; period_end: string; reason: string };
  return `${d.period_start.slice(0, 10)}→${d.period_end.slice(0, 10)} ${d.reason}`;
});

describeDb('billing periods through roll-over jobs', (database) => {
  it('a Jan 31 anchor runs Jan 31 → Feb 29 → Mar 31 → Apr 30 in a leap year', async () => {
    const w = await world(database().db, '2024-01-31T09:00:00Z');
    // Subscribed at 09:00: the periods run from 00:00 UTC of the day.
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    expect(period(sub)).toEqual(['2024-01-31', '2024-02-29']);

    await w.advanceTo('2024-02-28T23:59:59.999Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2024-01-31', '2024-02-29']);
    await w.advanceTo('2024-02-29T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2024-02-29', '2024-03-31']);
    await w.advanceTo('2024-03-31T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2024-03-31', '2024-04-30']);
    await w.advanceTo('2024-04-30T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2024-04-30', '2024-05-31']);
    expect(closed(await w.events(cus.id, 'subscription.period_closed'))).toEqual([
      '2024-01-31→2024-02-29 roll_over',
      '2024-02-29→2024-03-31 roll_over',
      '2024-03-31→2024-04-30 roll_over',
    ]);
  });

  it('in a common year Feb 28 is the end; a clock jump closes each missed period once, then schedules the next', async () => {
    const w = await world(database().db, '2023-01-31T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    await w.advanceTo('2023-05-15T00:00:00Z');
    const sub = await getSubscription(w.ctx, cus.id);
    expect(period(sub)).toEqual(['2023-04-30', '2023-05-31']);
    expect(closed(await w.events(cus.id, 'subscription.period_closed'))).toEqual([
      '2023-01-31→2023-02-28 roll_over',
      '2023-02-28→2023-03-31 roll_over',
      '2023-03-31→2023-04-30 roll_over',
    ]);
    // Running again changes nothing; the next roll-over is queued at the new period end.
    await w.runJobs();
    expect((await w.events(cus.id, 'subscription.period_closed')).length).toBe(3);
    await w.advanceTo('2023-05-31T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2023-05-31', '2023-06-30']);
  });

  it('a Feb 29 yearly anchor bills to Feb 28 in common years and back to Feb 29 in leap years', async () => {
    const w = await world(database().db, '2024-02-29T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'enterprise' }] });
    expect(period(sub)).toEqual(['2024-02-29', '2025-02-28']);
    await w.advanceTo('2027-06-01T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2027-02-28', '2028-02-29']);
    await w.advanceTo('2028-02-29T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2028-02-29', '2029-02-28']);
  });

  it('a past anchor makes a stub first period up to its next boundary', async () => {
    const w = await world(database().db, '2026-03-15T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }], anchor: new Date('2026-01-01T00:00:00Z') });
    expect(period(sub)).toEqual(['2026-03-15', '2026-04-01']);
    await w.advanceTo('2026-04-01T00:00:00Z');
    expect(period(await getSubscription(w.ctx, cus.id))).toEqual(['2026-04-01', '2026-05-01']);
  });

  it('cancel at period end runs at the end through the job; cancel now ends everything at once', async () => {
    const w = await world(database().db, '2026-01-10T00:00:00Z');
    const later = await w.customer();
    const now = await w.customer();
    await subscribe(w.ctx, later.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    await subscribe(w.ctx, now.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });

    await w.advanceTo('2026-01-20T00:00:00Z');
    const pending = await cancelSubscription(w.ctx, later.id, { atPeriodEnd: true });
    expect(pending).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(pending.items.length).toBe(1);
    const gone = await cancelSubscription(w.ctx, now.id, { atPeriodEnd: false });
    expect(gone.status).toBe('canceled');
    expect(gone.canceledAt?.toISOString()).toBe('2026-01-20T00:00:00.000Z');
    expect(gone.items).toEqual([]);
    // The partial period closes at the cancel, for the final invoice.
    expect(closed(await w.events(now.id, 'subscription.period_closed'))).toEqual(['2026-01-10→2026-01-20 canceled']);

    await w.advanceTo('2026-02-09T23:59:59Z');
    expect((await getSubscription(w.ctx, later.id))?.status).toBe('active');
    await w.advanceTo('2026-02-10T00:00:00Z');
    const ended = await getSubscription(w.ctx, later.id);
    expect(ended).toMatchObject({ status: 'canceled', items: [] });
    expect(ended?.canceledAt?.toISOString()).toBe('2026-02-10T00:00:00.000Z');
    expect(closed(await w.events(later.id, 'subscription.period_closed'))).toEqual(['2026-01-10→2026-02-10 canceled']);
    expect((await w.events(later.id, 'subscription.cancel_scheduled')).length).toBe(1);
    expect((await w.events(later.id, 'subscription.canceled')).length).toBe(1);

    // A canceled subscription cannot be canceled again; the customer may subscribe anew.
    await expect(cancelSubscription(w.ctx, later.id, { atPeriodEnd: false })).rejects.toMatchObject({ code: 'no_subscription' });
    const again = await subscribe(w.ctx, later.id, { items: [{ product: 'product_analytics' }] });
    expect(again.status).toBe('active');
  });
});
