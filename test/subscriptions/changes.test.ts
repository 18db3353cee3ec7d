import { expect, it } from 'vitest';
import {
  addItem,
  cancelSubscription,
  changePlan,
  getSubscription,
  itemHistory,
  itemsAtPeriodEnd,
  itemsInForce,
  removeItem,
  setSubscriptionStatus,
  subscribe,
} from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { usageForPeriod } from '../../src/billing/usage/read-usage.js';
import { describeDb } from '../support/db.js';
import { iso, priceKeys, world } from './helpers.js';

describeDb('subscription changes (R10)', (database) => {
  it('a plan change applies now, without proration: the old item ends and a new one starts at the same instant', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }, { product: 'session_replay' }] });
    await w.advanceTo('2026-04-12T15:30:00Z');
    const rev = await w.revision(cus.id);

    const after = await changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'paid' });
    expect(priceKeys(after)).toEqual(['product_analytics.paid.usd.month', 'session_replay.free.usd.month']);
    // The billing period is untouched: no proration, no new period, nothing scheduled.
    expect([iso(after.currentPeriodStart), iso(after.currentPeriodEnd)]).toEqual(['2026-04-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z']);
    expect(await w.revision(cus.id)).toBe(rev + 1);

    const history = await itemHistory(w.ctx, sub.id, new Date('2026-04-01T00:00:00Z'), new Date('2026-05-01T00:00:00Z'));
    const pa = history.filter((i) => i.productKey === 'product_analytics').map((i) => [i.planKey, iso(i.startedAt), iso(i.endedAt)]);
    expect(pa).toEqual([
      ['free', '2026-04-01T00:00:00.000Z', '2026-04-12T15:30:00.000Z'],
      ['paid', '2026-04-12T15:30:00.000Z', null],
    ]);
    expect(priceKeys({ items: await itemsInForce(w.ctx, sub.id, new Date('2026-04-12T15:29:59Z')) })).toContain('product_analytics.free.usd.month');
    expect(priceKeys({ items: await itemsInForce(w.ctx, sub.id, new Date('2026-04-12T15:30:00Z')) })).toContain('product_analytics.paid.usd.month');
    // The period is priced at the item in force at its end, over the whole period's usage.
    expect(priceKeys({ items: await itemsAtPeriodEnd(w.ctx, sub.id, new Date('2026-05-01T00:00:00Z')) })).toEqual([
      'product_analytics.paid.usd.month',
      'session_replay.free.usd.month',
    ]);

    const [event] = await w.events(cus.id, 'subscription.plan_changed');
    expect(event?.data).toMatchObject({
      product: 'product_analytics',
      from: { plan: 'free', prices: ['product_analytics.free.usd.month'] },
      to: { plan: 'paid', prices: ['product_analytics.paid.usd.month'] },
      actor: { type: 'instance' },
    });

    // Asking for what it already has changes nothing and records nothing.
    await changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'paid' });
    expect((await w.events(cus.id, 'subscription.plan_changed')).length).toBe(1);
    expect(await w.revision(cus.id)).toBe(rev + 1);

    // Without a plan, a change goes back to the default plan (R3).
    const back = await changePlan(w.ctx, cus.id, { product: 'product_analytics' });
    expect(priceKeys(back)).toContain('product_analytics.free.usd.month');
  });

  it('swapping a metered price keeps the period’s usage: it is re-counted per customer and metric (R10)', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    const event = (id: string, value: number) => ({ id, customer: cus.id, metric: 'events', value, timestamp: w.clock.now() });
    w.clock.set('2026-04-10T00:00:00Z');
    await ingestUsage(w.ctx, w.instanceId, [event('e1', 1_500_000)]);
    w.clock.set('2026-04-20T00:00:00Z');
    await changePlan(w.staff, cus.id, { product: 'product_analytics', price: 'product_analytics.custom_acme.usd.month' }, { reason: 'custom deal' });
    w.clock.set('2026-04-25T00:00:00Z');
    await ingestUsage(w.ctx, w.instanceId, [event('e2', 500_000)]);
    // The whole period's usage, before and after the swap, is priced at the item in force at period end.
    const [start, end] = [sub.currentPeriodStart, sub.currentPeriodEnd];
    expect((await usageForPeriod(w.ctx, cus.id, 'events', 'sum', start, end)).toString()).toBe('2000000');
    expect(priceKeys({ items: await itemsAtPeriodEnd(w.ctx, sub.id, end) })).toEqual(['product_analytics.custom_acme.usd.month']);
  });

  it('swaps to a specific (bespoke) price by key', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    const after = await changePlan(w.staff, cus.id, { product: 'product_analytics', price: 'product_analytics.custom_acme.usd.month' }, { reason: 'Acme deal', ticket: 'SUP-12' });
    expect(after.items.map((i) => [i.planKey, i.price.description])).toEqual([['custom_acme', 'Custom - 2024-05-01']]);
    expect(after.items[0]?.price.metered?.aggregation).toBe('max');
  });

  it('add-ons need their parent; removing a parent with add-ons is refused; the last product cannot be removed', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'session_replay' }] });
    await expect(addItem(w.ctx, cus.id, { product: 'group_analytics', plan: 'paid' })).rejects.toMatchObject({ code: 'addon_requires_parent', param: 'product' });
    await expect(changePlan(w.ctx, cus.id, { product: 'group_analytics', plan: 'paid' })).rejects.toMatchObject({ code: 'addon_requires_parent' });

    await addItem(w.ctx, cus.id, { product: 'product_analytics', plan: 'paid' });
    await expect(addItem(w.ctx, cus.id, { product: 'product_analytics' })).rejects.toMatchObject({ code: 'item_exists' });
    const withAddon = await addItem(w.ctx, cus.id, { product: 'group_analytics', plan: 'paid' });
    expect(priceKeys(withAddon)).toEqual(['group_analytics.paid.usd.month', 'product_analytics.paid.usd.month', 'session_replay.free.usd.month']);

    await expect(removeItem(w.ctx, cus.id, 'product_analytics')).rejects.toMatchObject({ code: 'addons_attached', message: expect.stringContaining('group_analytics') });
    // Moving the add-on to its "not subscribed" plan takes it off.
    const noAddon = await changePlan(w.ctx, cus.id, { product: 'group_analytics', plan: 'free' });
    expect(priceKeys(noAddon)).not.toContain('group_analytics.paid.usd.month');
    const removed = await removeItem(w.ctx, cus.id, 'product_analytics');
    expect(priceKeys(removed)).toEqual(['session_replay.free.usd.month']);
    await expect(removeItem(w.ctx, cus.id, 'session_replay')).rejects.toMatchObject({ code: 'last_item' });
    await expect(removeItem(w.ctx, cus.id, 'feature_flags')).rejects.toMatchObject({ code: 'item_not_found' });

    const types = (await w.events(cus.id)).map((e) => e.type).filter((t) => t.startsWith('subscription.'));
    expect(types).toEqual([
      'subscription.created',
      'subscription.item_added',
      'subscription.item_added',
      'subscription.plan_changed',
      'subscription.item_removed',
    ]);
  });

  it('staff changes need a reason and are audited with before and after; without one nothing changes', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    const rev = await w.revision(cus.id);
    const eventsBefore = (await w.events(cus.id)).length;

    await expect(changePlan(w.staff, cus.id, { product: 'product_analytics', plan: 'paid' })).rejects.toMatchObject({ code: 'reason_required', param: 'reason' });
    await expect(changePlan(w.staff, cus.id, { product: 'product_analytics', plan: 'paid' }, { reason: '  ' })).rejects.toMatchObject({ code: 'reason_required' });
    await expect(cancelSubscription(w.staff, cus.id, { atPeriodEnd: false })).rejects.toMatchObject({ code: 'reason_required' });
    await expect(subscribe(w.staff, (await w.customer()).id, { items: [{ product: 'product_analytics' }] })).rejects.toMatchObject({ code: 'reason_required' });
    expect(priceKeys(await getSubscription(w.ctx, cus.id))).toEqual(['product_analytics.free.usd.month']);
    expect(await w.revision(cus.id)).toBe(rev);
    expect((await w.events(cus.id)).length).toBe(eventsBefore);
    expect(await w.audit(cus.id)).toEqual([]);

    await changePlan(w.staff, cus.id, { product: 'product_analytics', plan: 'paid' }, { ticket: 'SUP-1' });
    const [audit] = await w.audit(cus.id);
    expect(audit).toMatchObject({ action: 'subscription.change_plan', actorType: 'staff', actorId: 'stf_test', ticket: 'SUP-1', reason: null });
    expect((audit?.before as { items: { plan: string }[] }).items.map((i) => i.plan)).toEqual(['free']);
    expect((audit?.after as { items: { plan: string }[] }).items.map((i) => i.plan)).toEqual(['paid']);
    // Instance and system changes record events only.
    await changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'free' });
    expect((await w.audit(cus.id)).length).toBe(1);
  });

  it('statuses move only along legal transitions', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    expect((await setSubscriptionStatus(w.system, cus.id, 'past_due')).status).toBe('past_due');
    await expect(setSubscriptionStatus(w.system, cus.id, 'trialing')).rejects.toMatchObject({ code: 'illegal_status_transition' });
    expect((await setSubscriptionStatus(w.system, cus.id, 'active')).status).toBe('active');
    expect((await setSubscriptionStatus(w.system, cus.id, 'canceled')).status).toBe('canceled');
    expect((await w.events(cus.id, 'subscription.status_changed')).map((e) => e.data)).toMatchObject([
      { from: 'active', to: 'past_due' },
      { from: 'past_due', to: 'active' },
    ]);
  });

  it('changes on a customer without a live subscription are refused', async () => {
    const w = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await w.customer();
    await expect(changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'paid' })).rejects.toMatchObject({ code: 'no_subscription' });
    await expect(changePlan(w.ctx, 'cus_nope', { product: 'product_analytics' })).rejects.toMatchObject({ type: 'not_found' });
  });

  it('an instance cannot see or change another instance’s customer (R1)', async () => {
    const us = await world(database().db, '2026-04-01T00:00:00Z');
    const eu = await world(database().db, '2026-04-01T00:00:00Z');
    const cus = await us.customer();
    const sub = await subscribe(us.ctx, cus.id, { items: [{ product: 'product_analytics' }] });
    await expect(subscribe(eu.ctx, (await us.customer()).id, { items: [{ product: 'product_analytics' }] })).rejects.toMatchObject({ type: 'not_found' });
    await expect(getSubscription(eu.ctx, cus.id)).rejects.toMatchObject({ type: 'not_found' });
    await expect(changePlan(eu.ctx, cus.id, { product: 'product_analytics', plan: 'paid' })).rejects.toMatchObject({ type: 'not_found' });
    await expect(itemsInForce(eu.ctx, sub.id, us.clock.now())).rejects.toMatchObject({ type: 'not_found' });
    expect(priceKeys(await getSubscription(us.ctx, cus.id))).toEqual(['product_analytics.free.usd.month']);
  });
});
