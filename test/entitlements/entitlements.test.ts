import { expect, it } from 'vitest';
import { setPlanOverrides } from '../../src/billing/customers/plan-overrides.js';
import { cancelTrial, startTrial } from '../../src/billing/customers/trials.js';
import { checkEntitlement, getAvailableFeatures } from '../../src/billing/entitlements/index.js';
import { cancelSubscription, changePlan, subscribe } from '../../src/billing/subscriptions/index.js';
import { describeDb } from '../support/db.js';
import { startupConfig } from '../subscriptions/configs.js';
import { DAY, world } from '../subscriptions/helpers.js';

const keys = (f: { features: readonly { key: string }[] }) => f.features.map((x) => x.key).sort();

describeDb('entitlements', (database) => {
  it('a customer without a subscription gets every product’s default plan features', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    const f = await getAvailableFeatures(w.ctx, cus.id);
    expect(keys(f)).toEqual(['data_retention_days', 'feature_flags', 'product_analytics', 'projects', 'recording_retention_days', 'session_replay']);
    expect(f.features.find((x) => x.key === 'projects')).toEqual({ key: 'projects', name: 'Projects', limit: 1, source: 'plan', product: 'product_analytics' });
    expect(await checkEntitlement(w.ctx, cus.id, 'advanced_paths')).toEqual({ enabled: false, limit: null, source: null });
    expect(await checkEntitlement(w.ctx, cus.id, 'product_analytics')).toEqual({ enabled: true, limit: null, source: 'plan' });
  });

  it('subscribed plans give their features; the cache follows every change through the revision', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    expect((await checkEntitlement(w.ctx, cus.id, 'projects')).limit).toBe(1);
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    expect(await checkEntitlement(w.ctx, cus.id, 'projects')).toEqual({ enabled: true, limit: 6, source: 'plan' });
    expect((await checkEntitlement(w.ctx, cus.id, 'group_analytics')).enabled).toBe(false);
    await changePlan(w.ctx, cus.id, { product: 'group_analytics', plan: 'paid' });
    expect((await checkEntitlement(w.ctx, cus.id, 'group_analytics')).enabled).toBe(true);
    // Enterprise bills yearly only: refused on a monthly subscription, and nothing changes.
    await expect(changePlan(w.ctx, cus.id, { product: 'product_analytics', plan: 'enterprise' })).rejects.toMatchObject({ code: 'no_price_for_currency_interval' });
    expect((await checkEntitlement(w.ctx, cus.id, 'saml_sso')).enabled).toBe(false);
    await cancelSubscription(w.ctx, cus.id, { atPeriodEnd: false });
    expect((await checkEntitlement(w.ctx, cus.id, 'projects')).limit).toBe(1);
    expect((await checkEntitlement(w.ctx, cus.id, 'group_analytics')).enabled).toBe(false);
  });

  it('a cancel at period end takes the features away at the period end, before its job runs', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    await cancelSubscription(w.ctx, cus.id, { atPeriodEnd: true });
    const f = await getAvailableFeatures(w.ctx, cus.id);
    expect(f.validUntil?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect((await checkEntitlement(w.ctx, cus.id, 'advanced_paths')).enabled).toBe(true);
    w.clock.set('2026-02-01T00:00:00Z');
    expect((await checkEntitlement(w.ctx, cus.id, 'advanced_paths')).enabled).toBe(false);
  });

  it('staff override of the plan map wins over the subscribed plan (R8); staff only, validated, audited', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    await subscribe(w.ctx, cus.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    expect((await checkEntitlement(w.ctx, cus.id, 'saml_sso')).enabled).toBe(false);

    await expect(setPlanOverrides(w.ctx, cus.id, { product_analytics: 'enterprise' }, { reason: 'x' })).rejects.toMatchObject({ type: 'permission' });
    await expect(setPlanOverrides(w.staff, cus.id, { product_analytics: 'enterprise' }, {})).rejects.toMatchObject({ code: 'reason_required' });
    await expect(setPlanOverrides(w.staff, cus.id, { product_analytics: 'gold' }, { reason: 'x' })).rejects.toMatchObject({ code: 'unknown_plan', param: 'overrides.product_analytics' });
    await expect(setPlanOverrides(w.staff, cus.id, { nope: 'paid' }, { reason: 'x' })).rejects.toMatchObject({ code: 'unknown_product' });
    expect((await checkEntitlement(w.ctx, cus.id, 'saml_sso')).enabled).toBe(false);

    const updated = await setPlanOverrides(w.staff, cus.id, { product_analytics: 'enterprise', session_replay: 'team' }, { ticket: 'SUP-9' });
    expect(updated.planOverrides).toEqual({ product_analytics: 'enterprise', session_replay: 'team' });
    expect(await checkEntitlement(w.ctx, cus.id, 'saml_sso')).toEqual({ enabled: true, limit: null, source: 'override' });
    // Enterprise's `projects` has no limit: unlimited.
    expect(await checkEntitlement(w.ctx, cus.id, 'projects')).toEqual({ enabled: true, limit: null, source: 'override' });
    expect(await checkEntitlement(w.ctx, cus.id, 'recording_retention_days')).toEqual({ enabled: true, limit: 365, source: 'override' });
    // The override is about features only: billing still follows the items.
    const [audit] = await w.audit(cus.id);
    expect(audit).toMatchObject({ action: 'customer.plan_overrides', ticket: 'SUP-9', before: { plan_overrides: {} } });

    await setPlanOverrides(w.staff, cus.id, { product_analytics: null }, { reason: 'deal ended' });
    expect((await checkEntitlement(w.ctx, cus.id, 'saml_sso')).enabled).toBe(false);
    expect(await checkEntitlement(w.ctx, cus.id, 'projects')).toEqual({ enabled: true, limit: 6, source: 'plan' });
    expect((await w.events(cus.id, 'customer.plan_overrides_updated')).length).toBe(2);
  });

  it('a trial gives premium features until its end, then they fall back — the cache expires with the clock (R9)', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    expect((await checkEntitlement(w.ctx, cus.id, 'console_logs')).enabled).toBe(false);
    await expect(startTrial(w.ctx, cus.id, new Date('2025-12-31T00:00:00Z'))).rejects.toMatchObject({ code: 'trial_end_in_past', param: 'until' });
    const rev = await w.revision(cus.id);
    await startTrial(w.ctx, cus.id, new Date('2026-01-15T00:00:00Z'));
    expect(await w.revision(cus.id)).toBe(rev + 1);

    const during = await getAvailableFeatures(w.ctx, cus.id);
    expect(during.validUntil?.toISOString()).toBe('2026-01-15T00:00:00.000Z');
    expect(await checkEntitlement(w.ctx, cus.id, 'console_logs')).toEqual({ enabled: true, limit: null, source: 'trial' });
    // The larger limit wins, and says where it came from.
    expect(await checkEntitlement(w.ctx, cus.id, 'projects')).toEqual({ enabled: true, limit: 6, source: 'trial' });
    // A feature both give at the same level keeps the plan source.
    expect(await checkEntitlement(w.ctx, cus.id, 'product_analytics')).toEqual({ enabled: true, limit: null, source: 'plan' });

    // The clock passes the end with no job run and no revision change: the cached answer expires anyway.
    w.clock.set('2026-01-15T00:00:00Z');
    expect(await w.revision(cus.id)).toBe(rev + 1);
    expect((await checkEntitlement(w.ctx, cus.id, 'console_logs')).enabled).toBe(false);
    expect(await checkEntitlement(w.ctx, cus.id, 'projects')).toEqual({ enabled: true, limit: 1, source: 'plan' });

    // The job records the end once and bumps the revision.
    await w.runJobs();
    await w.runJobs();
    expect((await w.events(cus.id, 'customer.trial_ended')).map((e) => e.data)).toMatchObject([{ free_trial_until: '2026-01-15T00:00:00.000Z' }]);
    expect(await w.revision(cus.id)).toBe(rev + 2);
  });

  it('a customer who subscribed during the trial keeps the paid features after it', async () => {
    const w = await world(database().db, '2026-02-01T00:00:00Z');
    const cus = await w.customer();
    await startTrial(w.staff, cus.id, new Date('2026-02-15T00:00:00Z'), { reason: 'sales trial' });
    expect((await w.audit(cus.id)).map((a) => a.action)).toEqual(['customer.trial_start']);
    expect((await checkEntitlement(w.ctx, cus.id, 'console_logs')).source).toBe('trial');
    await w.advanceTo('2026-02-10T00:00:00Z');
    await subscribe(w.ctx, cus.id, { items: [{ product: 'session_replay', plan: 'paid' }] });
    await w.advanceTo('2026-02-16T00:00:00Z');
    expect(await checkEntitlement(w.ctx, cus.id, 'console_logs')).toEqual({ enabled: true, limit: null, source: 'plan' });
    expect((await checkEntitlement(w.ctx, cus.id, 'recording_retention_days')).limit).toBe(90);
    // Products they did not subscribe to fall back.
    expect((await checkEntitlement(w.ctx, cus.id, 'advanced_paths')).enabled).toBe(false);
  });

  it('canceling or moving a trial makes the queued expiry job a no-op', async () => {
    const w = await world(database().db, '2026-03-01T00:00:00Z');
    const cus = await w.customer();
    await startTrial(w.ctx, cus.id, new Date('2026-03-10T00:00:00Z'));
    await cancelTrial(w.ctx, cus.id);
    expect((await checkEntitlement(w.ctx, cus.id, 'console_logs')).enabled).toBe(false);
    const moved = await w.customer();
    await startTrial(w.ctx, moved.id, new Date('2026-03-10T00:00:00Z'));
    await startTrial(w.ctx, moved.id, new Date('2026-03-20T00:00:00Z'));
    await w.advanceTo('2026-03-11T00:00:00Z');
    expect(await w.events(cus.id, 'customer.trial_ended')).toEqual([]);
    expect(await w.events(moved.id, 'customer.trial_ended')).toEqual([]);
    expect((await checkEntitlement(w.ctx, moved.id, 'console_logs')).enabled).toBe(true);
    await w.advanceTo('2026-03-20T00:00:00Z');
    expect((await w.events(moved.id, 'customer.trial_ended')).length).toBe(1);
    expect((await w.events(cus.id)).map((e) => e.type)).toEqual(['customer.created', 'customer.trial_started', 'customer.trial_canceled']);
  });

  it('an instance sees only its own customers', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z');
    const other = await world(database().db, '2026-01-01T00:00:00Z');
    const cus = await w.customer();
    await expect(checkEntitlement(other.ctx, cus.id, 'projects', { instanceId: other.instanceId })).rejects.toMatchObject({ type: 'not_found' });
    expect((await checkEntitlement(w.ctx, cus.id, 'projects', { instanceId: w.instanceId })).enabled).toBe(true);
  });
});

describeDb('entitlements and startup expiry', (database) => {
  it('features follow a startup expiry on the instant, before its job runs, and the job changes them no further', async () => {
    const w = await world(database().db, '2026-01-01T00:00:00Z', startupConfig, 'startup.yaml');
    const cus = await w.customer();
    const sub = await subscribe(w.ctx, cus.id, { items: [{ product: 'gamma', plan: 'promo' }] });
    expect((await checkEntitlement(w.ctx, cus.id, 'gamma_pro')).enabled).toBe(true);
    expect((await getAvailableFeatures(w.ctx, cus.id)).validUntil?.getTime()).toBe(sub.startupExpiresAt?.getTime());
    w.clock.set(new Date(Date.parse('2026-01-01T00:00:00Z') + 30 * DAY));
    // promo is startup_plan: false → the free plan: gamma_pro goes.
    expect((await checkEntitlement(w.ctx, cus.id, 'gamma_pro')).enabled).toBe(false);
    expect((await checkEntitlement(w.ctx, cus.id, 'gamma')).enabled).toBe(true);
    await w.runJobs();
    expect((await checkEntitlement(w.ctx, cus.id, 'gamma_pro')).enabled).toBe(false);
    expect((await w.events(cus.id, 'subscription.startup_expired')).length).toBe(1);
  });
});
