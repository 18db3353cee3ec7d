import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { advanceSubscriptionJob, changePlan, getSubscription, subscribe } from '../../src/billing/subscriptions/index.js';
import { jobs } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { startupConfig } from './configs.js';
import { DAY, iso, priceKeys, world } from './helpers.js';

describeDb('startup plans (R6)', (database) => {
  it('example config: at the shortest expiry every item resets at once — default paid, move_to_price — exactly once', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, {
      items: [
        { product: 'product_analytics', plan: 'startup' },
        { product: 'group_analytics', plan: 'startup' },
      ],
    });
    expect(iso(sub.startupExpiresAt)).toBe('2027-01-01T00:00:00.000Z');
    expect(sub.items.map((i) => iso(i.validUntil))).toEqual(['2027-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']);

    await w.advanceTo('2026-12-31T23:59:59Z');
    expect(priceKeys(await getSubscription(w.ctx, cus.id))).toEqual(['group_analytics.startup.usd.month', 'product_analytics.startup.usd.month']);
    const rev = await w.revision(cus.id);

    await w.advanceTo('2027-01-01T00:00:00Z');
    const after = await getSubscription(w.ctx, cus.id);
    // product_analytics: a startup price without move_to_price → the default paid plan;
    // group_analytics: move_to_price group_analytics.paid.usd.month.
    expect(priceKeys(after)).toEqual(['group_analytics.paid.usd.month', 'product_analytics.paid.usd.month']);
    expect(after?.startupExpiresAt).toBeNull();
    expect(after?.items.every((i) => iso(i.startedAt) === '2027-01-01T00:00:00.000Z' && i.validUntil === null)).toBe(true);
    const expired = await w.events(cus.id, 'subscription.startup_expired');
    expect(expired.length).toBe(1);
    expect(expired[0]?.data).toMatchObject({ expired_at: '2027-01-01T00:00:00.000Z', rules: { product_analytics: 'default_paid', group_analytics: 'move_to_price' } });
    expect(await w.revision(cus.id)).toBe(rev + 1);

    // Running the job again (directly, and through the queue later) changes nothing.
    await advanceSubscriptionJob(w.system, { subscription_id: sub.id });
    await w.advanceTo('2027-01-05T00:00:00Z'); // within the 7 days finished jobs are kept
    expect((await w.events(cus.id, 'subscription.startup_expired')).length).toBe(1);
    expect(await w.revision(cus.id)).toBe(rev + 1);
    expect(priceKeys(await getSubscription(w.ctx, cus.id))).toEqual(['group_analytics.paid.usd.month', 'product_analytics.paid.usd.month']);
    const startupJobs = await w.db.select().from(jobs).where(eq(jobs.dedupeKey, `subscription.startup_expiry:${sub.id}:2027-01-01T00:00:00.000Z`));
    expect(startupJobs.map((j) => [j.status, j.attempts])).toEqual([['succeeded', 1]]);
  });

  it('inline config: the shortest valid_days resets all three branches together (move_to_price, default paid, free)', async () => {
    const w = await world(database().db, '2026-02-01T00:00:00Z', startupConfig, 'startup.yaml');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, {
      items: [
        { product: 'alpha', plan: 'startup' },
        { product: 'beta', plan: 'special' },
        { product: 'gamma', plan: 'promo' },
      ],
    });
    expect(iso(sub.startupExpiresAt)).toBe(new Date(Date.parse('2026-02-01T00:00:00Z') + 30 * DAY).toISOString());
    const rev = await w.revision(cus.id);
    await w.advanceTo(new Date(Date.parse('2026-02-01T00:00:00Z') + 30 * DAY));
    const after = await getSubscription(w.ctx, cus.id);
    expect(after?.items.map((i) => `${i.productKey}:${i.planKey}:${i.priceKey}`).sort()).toEqual([
      'alpha:paid:alpha.paid.usd.month',
      'beta:partner:beta.partner',
      'gamma:free:gamma.free.usd.month',
    ]);
    expect(after?.startupExpiresAt).toBeNull();
    expect((await w.events(cus.id, 'subscription.startup_expired'))[0]?.data).toMatchObject({
      rules: { alpha: 'default_paid', beta: 'move_to_price', gamma: 'default_plan' },
    });
    expect(await w.revision(cus.id)).toBe(rev + 1);
    await w.advanceTo(new Date(Date.parse('2026-02-01T00:00:00Z') + 100 * DAY));
    expect((await w.events(cus.id, 'subscription.startup_expired')).length).toBe(1);
  });

  it('a plan change that removed the startup price makes the queued expiry a no-op', async () => {
    const w = await world(database().db, '2026-03-01T00:00:00Z', startupConfig, 'startup.yaml');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'alpha', plan: 'startup' }] });
    expect(sub.startupExpiresAt).not.toBeNull();
    await w.advanceTo('2026-04-01T00:00:00Z');
    const changed = await changePlan(w.ctx, cus.id, { product: 'alpha', plan: 'paid' });
    expect(changed.startupExpiresAt).toBeNull();
    const rev = await w.revision(cus.id);
    await w.advanceTo('2026-07-01T00:00:00Z');
    expect((await w.events(cus.id, 'subscription.startup_expired')).length).toBe(0);
    expect(priceKeys(await getSubscription(w.ctx, cus.id))).toEqual(['alpha.paid.usd.month']);
    expect(await w.revision(cus.id)).toBe(rev);
  });

  it('a change made after the expiry but before its job ran applies the expiry first, keeping history in order', async () => {
    const w = await world(database().db, '2026-05-01T00:00:00Z', startupConfig, 'startup.yaml');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'alpha', plan: 'startup' }, { product: 'gamma', plan: 'promo' }] });
    const expiry = sub.startupExpiresAt!;
    w.clock.set(new Date(expiry.getTime() + DAY)); // no jobs run
    const after = await changePlan(w.ctx, cus.id, { product: 'gamma', plan: 'paid' });
    expect(priceKeys(after)).toEqual(['alpha.paid.usd.month', 'gamma.paid.usd.month']);
    const gamma = (await w.events(cus.id, 'subscription.startup_expired')).length;
    expect(gamma).toBe(1);
    await w.runJobs();
    expect((await w.events(cus.id, 'subscription.startup_expired')).length).toBe(1);
    expect(priceKeys(await getSubscription(w.ctx, cus.id))).toEqual(['alpha.paid.usd.month', 'gamma.paid.usd.month']);
  });
});
