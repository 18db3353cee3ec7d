import { describe, expect, it } from 'vitest';
import { parseBillingConfig, type Catalog } from '../../src/core/catalog/index.js';
import {
  canTransition,
  checkAddonParents,
  chooseInterval,
  phaseEnds,
  planStartupReset,
  resolveItem,
  startupExpiryOf,
  type StartupItem,
  type SubscriptionStatus,
} from '../../src/core/subscriptions/index.js';
import { startupConfig } from './configs.js';
import { example } from './helpers.js';

function catalogOf(text: string): Catalog {
  const r = parseBillingConfig(text, 'test.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.catalog;
}

const ex = catalogOf(example);
const st = catalogOf(startupConfig);
const at = new Date('2026-01-01T00:00:00Z');

function item(c: Catalog, priceKey: string, validUntil: Date | null = null): StartupItem {
  const price = c.prices.get(priceKey)!;
  return { productKey: price.productKey, planKey: price.planKey, priceKey, price, validUntil };
}

describe('subscription rules (pure)', () => {
  it('status moves: canceled is final; past_due recovers to active; nothing goes back to trialing', () => {
    const all: SubscriptionStatus[] = ['trialing', 'active', 'past_due', 'canceled'];
    const legal = all.flatMap((f) => all.filter((t) => canTransition(f, t)).map((t) => `${f}→${t}`));
    expect(legal).toEqual(['trialing→active', 'trialing→past_due', 'trialing→canceled', 'active→past_due', 'active→canceled', 'past_due→active', 'past_due→canceled']);
  });

  it('resolves a plan to its prices in the currency and interval, the default plan when none is named (R3)', () => {
    expect(resolveItem(ex, { product: 'product_analytics' }, 'usd', 'month', 'items.0')).toMatchObject({ planKey: 'free', prices: [{ key: 'product_analytics.free.usd.month' }] });
    expect(resolveItem(ex, { product: 'group_analytics' }, 'usd', 'month', 'items.0')).toMatchObject({ planKey: 'free', prices: [] });
    expect(() => resolveItem(ex, { product: 'product_analytics', plan: 'startup' }, 'EUR', 'month', 'items.3')).toThrow(
      expect.objectContaining({ code: 'no_price_for_currency_interval', param: 'items.3.plan', message: expect.stringContaining('it has: USD monthly') }),
    );
    expect(() => resolveItem(ex, { product: 'product_analytics', price: 'product_analytics.paid.usd.month' }, 'usd', 'year', '')).toThrow(
      expect.objectContaining({ code: 'price_interval_mismatch', param: 'price' }),
    );
    expect(chooseInterval(ex, [{ product: 'product_analytics', plan: 'paid' }], 'usd')).toBe('month');
    expect(chooseInterval(ex, [{ product: 'product_analytics', plan: 'enterprise' }], 'usd')).toBe('year');
    expect(() => chooseInterval(ex, [{ product: 'product_analytics', plan: 'enterprise' }, { product: 'session_replay', plan: 'paid' }], 'usd')).toThrow(
      expect.objectContaining({ param: 'items.0.plan' }),
    );
    expect(() => checkAddonParents(ex, new Set(['group_analytics']), () => 'items.0.product')).toThrow(expect.objectContaining({ code: 'addon_requires_parent' }));
  });

  it('phases must be contiguous, month-end clamped from each start', () => {
    const ends = phaseEnds(
      [
        { start: new Date('2026-01-31T00:00:00Z'), months: 1 },
        { start: new Date('2026-02-28T00:00:00Z'), months: 12 },
      ],
      at,
    );
    expect(ends.map((d) => d.toISOString().slice(0, 10))).toEqual(['2026-02-28', '2027-02-28']);
    expect(() => phaseEnds([], at)).toThrow(expect.objectContaining({ code: 'phases_required' }));
    expect(() => phaseEnds([{ start: at, months: 0 }], at)).toThrow(expect.objectContaining({ param: 'phases.0.months' }));
    expect(() => phaseEnds([{ start: new Date('2026-02-01T10:00:00Z'), months: 1 }], at)).toThrow(expect.objectContaining({ code: 'not_day_aligned', param: 'phases.0.start' }));
  });

  it('startup expiry is the earliest validUntil among the items', () => {
    expect(startupExpiryOf([{ validUntil: null }, { validUntil: new Date(5) }, { validUntil: new Date(3) }])?.getTime()).toBe(3);
    expect(startupExpiryOf([{ validUntil: null }])).toBeNull();
  });

  it('R6 reset per product: move_to_price, else default paid for startup prices, else the default plan', () => {
    const plan = planStartupReset(
      st,
      [item(st, 'alpha.startup.usd.month', at), item(st, 'beta.special.usd.month', at), item(st, 'gamma.promo.usd.month', at)],
      'USD',
      'month',
      at,
    );
    expect(plan.map((r) => (r.action === 'replace' ? `${r.productKey}→${r.planKey} (${r.rule})` : `${r.productKey} ${r.action}`))).toEqual([
      'alpha→paid (default_paid)',
      'beta→partner (move_to_price)',
      'gamma→free (default_plan)',
    ]);
  });

  it('R6 read literally: an item without startup terms resets to its default plan too; one already there is kept', () => {
    const plan = planStartupReset(
      ex,
      [item(ex, 'product_analytics.startup.usd.month', at), item(ex, 'session_replay.paid.usd.month'), item(ex, 'feature_flags.free.usd.month')],
      'USD',
      'month',
      at,
    );
    expect(plan.map((r) => `${r.productKey} ${r.action}${r.action === 'replace' ? ` → ${r.planKey}` : ''}`)).toEqual([
      'product_analytics replace → paid',
      'session_replay replace → free',
      'feature_flags keep',
    ]);
  });

  it('an add-on whose target is its "not subscribed" plan leaves; an add-on whose parent leaves goes with it', () => {
    const plan = planStartupReset(ex, [item(ex, 'product_analytics.free.usd.month'), item(ex, 'group_analytics.paid.usd.month')], 'USD', 'month', at);
    expect(plan).toEqual([{ productKey: 'product_analytics', action: 'keep' }, { productKey: 'group_analytics', action: 'remove', rule: 'default_plan', planKey: 'free' }]);
  });
});
