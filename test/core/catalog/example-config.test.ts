import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/core/money/decimal.js';
import { parseBillingConfig, planId, type Price, type Tier } from '../../../src/core/catalog/index.js';
import { catalogOf, exampleText } from './helpers.js';

const d = (s: string): Decimal => Decimal.parse(s);
const { catalog, hash } = catalogOf(exampleText());

function price(key: string): Price {
  const p = catalog.prices.get(key);
  if (!p) throw new Error(`no price ${key}`);
  return p;
}

function tiersOf(key: string): readonly Tier[] {
  const scheme = price(key).scheme;
  if (scheme.type !== 'tiered') throw new Error(`${key} is not tiered`);
  return scheme.tiers;
}

const bounds = (tiers: readonly Tier[]): (string | null)[] => tiers.map((t) => t.upTo?.toString() ?? null);

describe('examples/billing.yaml', () => {
  it('points editors at the published schema on its first line', () => {
    expect(exampleText().split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/billing-config.schema.json');
  });

  it('validates clean', () => {
    const r = parseBillingConfig(exampleText(), 'billing.yaml');
    expect(r.ok ? [] : r.errors).toEqual([]);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('has the products, the add-on, metrics and default plans (R3)', () => {
    expect([...catalog.products.keys()]).toEqual(['product_analytics', 'group_analytics', 'session_replay', 'feature_flags']);
    expect(catalog.products.get('group_analytics')).toMatchObject({ addonOf: 'product_analytics', metric: 'grouped_events' });
    expect(Object.fromEntries(catalog.metrics)).toEqual({
      events: 'product_analytics',
      grouped_events: 'group_analytics',
      recordings: 'session_replay',
      feature_flag_requests: 'feature_flags',
    });
    expect(catalog.products.get('product_analytics')).toMatchObject({
      metric: 'events',
      unit: 'event',
      addonOf: null,
      defaultPlan: 'free',
      defaultPaidPlan: 'paid',
      planKeys: ['free', 'paid', 'startup', 'annual', 'enterprise', 'custom_acme'],
    });
  });

  it('prices standard metered usage with graduated tiers as exact Decimals', () => {
    const p = price('product_analytics.paid.usd.month');
    expect(p).toMatchObject({
      productKey: 'product_analytics',
      planKey: 'paid',
      currency: 'USD',
      interval: 'month',
      metered: { metric: 'events', aggregation: 'sum' },
      startup: null,
    });
    const tiers = tiersOf(p.key);
    expect(p.scheme.type === 'tiered' && p.scheme.mode).toBe('graduated');
    expect(bounds(tiers)).toEqual(['1000000', '2000000', '15000000', '50000000', '100000000', '250000000', null]);
    expect(tiers[0]?.unitAmount.isZero()).toBe(true);
    expect(tiers[1]?.unitAmount.eq(d('0.005'))).toBe(true);
    expect(tiers[1]?.unitAmount.scaled).toBe(5_000_000_000n);
    expect(tiers[6]?.unitAmount.toString()).toBe('0.0009');
    expect(tiers.every((t) => t.flatAmount.isZero())).toBe(true);
  });

  it('has a EUR price next to the USD one', () => {
    expect(price('product_analytics.paid.eur.month')).toMatchObject({ currency: 'EUR' });
    expect(tiersOf('product_analytics.paid.eur.month')[1]?.unitAmount.toString()).toBe('0.0046');
  });

  it('has $0 "Free" prices that still meter (R4)', () => {
    const free = price('product_analytics.free.usd.month');
    expect(free.scheme).toEqual({ type: 'per_unit', unitAmount: Decimal.ZERO });
    expect(free.metered).toEqual({ metric: 'events', aggregation: 'sum' });
    expect(free.description).toBe('Free');
  });

  it('expresses every plan type of R5', () => {
    // Flat up-front, no metering.
    expect(price('product_analytics.enterprise.usd.year')).toMatchObject({
      scheme: { type: 'up_front', amount: d('3000000') },
      metered: null,
      interval: 'year',
    });
    // Up-front payment, $0 first tier, metered after.
    expect(catalog.plans.get(planId('product_analytics', 'annual'))?.priceKeys).toEqual([
      'product_analytics.annual.usd.year.up_front',
      'product_analytics.annual.usd.year.usage',
    ]);
    expect(price('product_analytics.annual.usd.year.up_front').scheme).toEqual({ type: 'up_front', amount: d('1200000') });
    const usage = tiersOf('product_analytics.annual.usd.year.usage');
    expect(usage[0]).toEqual({ upTo: d('300000000'), unitAmount: Decimal.ZERO, flatAmount: Decimal.ZERO });
    // Flat first tier, metered after.
    const team = tiersOf('session_replay.team.usd.month');
    expect(team[0]).toEqual({ upTo: d('15000'), unitAmount: Decimal.ZERO, flatAmount: d('4500') });
    expect(team[1]?.unitAmount.toString()).toBe('0.35');
  });

  it('carries startup terms (R6)', () => {
    expect(price('product_analytics.startup.usd.month')).toMatchObject({
      startup: { validDays: 365, moveToPrice: null },
      metadata: { program: 'startup' },
    });
    expect(price('group_analytics.startup.usd.month').startup).toEqual({
      validDays: 365,
      moveToPrice: 'group_analytics.paid.usd.month',
      startupPlan: true,
    });
  });

  it('has a bespoke price aggregated by maximum, with add-on tiers equal to the product’s (R7)', () => {
    const pa = price('product_analytics.custom_acme.usd.month');
    expect(pa.description).toBe('Custom - 2024-05-01');
    expect(pa.metered?.aggregation).toBe('max');
    expect(bounds(tiersOf('group_analytics.custom_acme.usd.month'))).toEqual(bounds(tiersOf(pa.key)));
    expect(bounds(tiersOf('group_analytics.paid.usd.month'))).toEqual(bounds(tiersOf('product_analytics.paid.usd.month')));
  });

  it('builds plans with features and premium flags', () => {
    const free = catalog.plans.get(planId('product_analytics', 'free'));
    expect(free).toMatchObject({ name: 'Free', premium: false, productKey: 'product_analytics' });
    expect(free?.features).toContainEqual({ key: 'projects', name: 'Projects', limit: 1 });
    const enterprise = catalog.plans.get(planId('product_analytics', 'enterprise'));
    expect(enterprise?.premium).toBe(true);
    expect(enterprise?.features).toContainEqual({ key: 'projects', name: 'Projects', limit: null });
    // YAML anchors share a feature list between plans.
    expect(catalog.plans.get(planId('product_analytics', 'startup'))?.features).toEqual(
      catalog.plans.get(planId('product_analytics', 'paid'))?.features,
    );
    expect(catalog.plans.get(planId('group_analytics', 'free'))).toMatchObject({ priceKeys: [], features: [] });
  });

  it('is deeply frozen', () => {
    const p = price('product_analytics.paid.usd.month');
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.scheme)).toBe(true);
    expect(Object.isFrozen(tiersOf(p.key))).toBe(true);
    expect(Object.isFrozen(catalog.products.get('product_analytics')?.planKeys)).toBe(true);
  });
});
