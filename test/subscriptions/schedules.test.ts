import { expect, it } from 'vitest';
import {
  cancelSchedule,
  createSchedule,
  getSchedule,
  getSubscription,
  releaseSchedule,
  scheduleJob,
  subscribe,
} from '../../src/billing/subscriptions/index.js';
import { describeDb } from '../support/db.js';
import { iso, priceKeys, world } from './helpers.js';

const annual = [{ product: 'product_analytics', plan: 'enterprise' }];
const reason = { reason: 'signed order form', ticket: 'OF-7' };

describeDb('subscription schedules', (database) => {
  it('a schedule starting in the future creates the subscription at its start and cancels it at its end', async () => {
    const w = await world(database().db, '2026-01-10T00:00:00Z');
    const cus = await w.customer();
    const schedule = await createSchedule(w.staff, cus.id, { phases: [{ start: new Date('2026-02-01T00:00:00Z'), months: 24, items: annual }], endBehavior: 'cancel' }, reason);
    expect(schedule).toMatchObject({ status: 'not_started', currentPhase: null, subscriptionId: null });
    expect(schedule.phases[0]).toMatchObject({ interval: 'year', end: '2028-02-01T00:00:00.000Z', items: [{ price_key: 'product_analytics.enterprise.usd.year' }] });
    expect((await w.audit(cus.id)).map((a) => a.action)).toEqual(['subscription_schedule.create']);

    await w.advanceTo('2026-01-31T23:59:59Z');
    expect(await getSubscription(w.ctx, cus.id)).toBeNull();
    await w.advanceTo('2026-02-01T00:00:00Z');
    const sub = await getSubscription(w.ctx, cus.id);
    expect(sub).toMatchObject({ status: 'active', interval: 'year', scheduleId: schedule.id });
    expect([iso(sub?.billingAnchor), iso(sub?.currentPeriodEnd)]).toEqual(['2026-02-01T00:00:00.000Z', '2027-02-01T00:00:00.000Z']);
    expect(priceKeys(sub)).toEqual(['product_analytics.enterprise.usd.year']);
    expect(await getSchedule(w.ctx, schedule.id)).toMatchObject({ status: 'active', currentPhase: 0, subscriptionId: sub?.id });

    // Running the phase job again changes nothing.
    await scheduleJob(w.system, { schedule_id: schedule.id });
    expect((await w.events(cus.id, 'subscription_schedule.phase_started')).length).toBe(1);

    await w.advanceTo('2028-02-01T00:00:00Z');
    const ended = await getSubscription(w.ctx, cus.id);
    expect(ended).toMatchObject({ status: 'canceled', id: sub?.id });
    expect(iso(ended?.canceledAt)).toBe('2028-02-01T00:00:00.000Z');
    expect((await getSchedule(w.ctx, schedule.id)).status).toBe('completed');
    const types = (await w.events(cus.id)).map((e) => e.type);
    expect(types.filter((t) => t.startsWith('subscription'))).toEqual([
      'subscription_schedule.created',
      'subscription.created',
      'subscription_schedule.phase_started',
      'subscription.period_closed',
      'subscription.period_closed',
      'subscription.canceled',
      'subscription_schedule.completed',
    ]);
  });

  it('phases take over an existing subscription in turn; release leaves it running after the end', async () => {
    const w = await world(database().db, '2026-03-05T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay', plan: 'paid' }] });
    const schedule = await createSchedule(
      w.staff,
      cus.id,
      {
        phases: [
          { start: new Date('2026-04-01T00:00:00Z'), months: 2, items: [{ product: 'product_analytics', plan: 'startup' }] },
          { start: new Date('2026-06-01T00:00:00Z'), months: 12, items: annual },
        ],
        endBehavior: 'release',
      },
      reason,
    );
    await w.advanceTo('2026-04-01T00:00:00Z');
    const first = await getSubscription(w.ctx, cus.id);
    // The same subscription, now holding exactly the phase's items; session_replay ended.
    expect(first?.id).toBe(sub.id);
    expect(priceKeys(first)).toEqual(['product_analytics.startup.usd.month']);

    await w.advanceTo('2026-06-01T00:00:00Z');
    const second = await getSubscription(w.ctx, cus.id);
    expect(priceKeys(second)).toEqual(['product_analytics.enterprise.usd.year']);
    // Monthly → yearly: the running period closes and the subscription re-anchors at the phase start.
    expect([second?.interval, iso(second?.billingAnchor), iso(second?.currentPeriodEnd)]).toEqual(['year', '2026-06-01T00:00:00.000Z', '2027-06-01T00:00:00.000Z']);
    expect(second?.startupExpiresAt).toBeNull();

    await w.advanceTo('2027-06-01T00:00:00Z');
    const released = await getSubscription(w.ctx, cus.id);
    expect(released).toMatchObject({ status: 'active', scheduleId: null });
    expect(priceKeys(released)).toEqual(['product_analytics.enterprise.usd.year']);
    expect((await getSchedule(w.ctx, schedule.id)).status).toBe('completed');
  });

  it('phases must be contiguous and not start in the past; one open schedule per customer', async () => {
    const w = await world(database().db, '2026-03-05T00:00:00Z');
    const cus = await w.customer();
    await expect(
      createSchedule(w.staff, cus.id, { phases: [{ start: new Date('2026-03-01T00:00:00Z'), months: 12, items: annual }], endBehavior: 'cancel' }, reason),
    ).rejects.toMatchObject({ code: 'phase_start_in_past', param: 'phases.0.start' });
    await expect(
      createSchedule(
        w.staff,
        cus.id,
        {
          phases: [
            { start: new Date('2026-04-01T00:00:00Z'), months: 12, items: annual },
            { start: new Date('2027-04-02T00:00:00Z'), months: 12, items: annual },
          ],
          endBehavior: 'cancel',
        },
        reason,
      ),
    ).rejects.toMatchObject({ code: 'phases_not_contiguous', param: 'phases.1.start' });
    await expect(
      createSchedule(w.staff, cus.id, { phases: [{ start: new Date('2026-04-01T00:00:00Z'), months: 12, items: [{ product: 'group_analytics', plan: 'paid' }] }], endBehavior: 'cancel' }, reason),
    ).rejects.toMatchObject({ code: 'addon_requires_parent', param: 'phases.0.items.0.product' });
    await expect(createSchedule(w.staff, cus.id, { phases: [{ start: new Date('2026-04-01T00:00:00Z'), months: 12, items: annual }], endBehavior: 'cancel' })).rejects.toMatchObject({
      code: 'reason_required',
    });
    await createSchedule(w.ctx, cus.id, { phases: [{ start: new Date('2026-04-01T00:00:00Z'), months: 12, items: annual }], endBehavior: 'cancel' });
    await expect(
      createSchedule(w.ctx, cus.id, { phases: [{ start: new Date('2026-05-01T00:00:00Z'), months: 12, items: annual }], endBehavior: 'cancel' }),
    ).rejects.toMatchObject({ code: 'schedule_exists' });
  });

  it('a schedule starting now applies at once; canceling it cancels the subscription; a released schedule does nothing more', async () => {
    const w = await world(database().db, '2026-03-05T00:00:00Z');
    const now = await w.customer();
    const s1 = await createSchedule(w.ctx, now.id, { phases: [{ start: w.clock.now(), months: 12, items: annual }], endBehavior: 'release' });
    expect(s1.status).toBe('active');
    expect((await getSubscription(w.ctx, now.id))?.status).toBe('active');
    const canceled = await cancelSchedule(w.staff, s1.id, reason);
    expect(canceled.status).toBe('canceled');
    expect((await getSubscription(w.ctx, now.id))?.status).toBe('canceled');
    await expect(releaseSchedule(w.staff, s1.id, reason)).rejects.toMatchObject({ code: 'schedule_not_open' });

    const later = await w.customer();
    const s2 = await createSchedule(w.ctx, later.id, { phases: [{ start: new Date('2026-04-01T00:00:00Z'), months: 12, items: annual }], endBehavior: 'cancel' });
    expect((await releaseSchedule(w.ctx, s2.id)).status).toBe('released');
    await w.advanceTo('2026-04-02T00:00:00Z');
    expect(await getSubscription(w.ctx, later.id)).toBeNull();
    expect((await w.events(later.id)).map((e) => e.type)).toEqual(['customer.created', 'subscription_schedule.created', 'subscription_schedule.released']);
  });
});
