import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBillingConfig, type Catalog } from '../../src/core/catalog/index.js';
import { availableFeatures, entitlementOf, premiumPlanOf } from '../../src/core/entitlements/index.js';
import { example } from '../subscriptions/helpers.js';

function catalogOf(text: string): Catalog {
  const r = parseBillingConfig(text, 'test.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
  return r.catalog;
}

const ex = catalogOf(example);
const at = new Date('2026-01-01T00:00:00Z');
const none = { at, freeTrialUntil: null, planOverrides: {}, subscribedPlans: new Map<string, string>() };

describe('available features (pure)', () => {
  it('the trial grants each product’s default paid plan when premium', () => {
    expect(premiumPlanOf(ex, 'product_analytics')?.key).toBe('paid');
    expect(premiumPlanOf(ex, 'group_analytics')?.key).toBe('paid');
    expect(premiumPlanOf(ex, 'nope')).toBeNull();
  });

  it('a trial ends exactly at free_trial_until', () => {
    const until = new Date('2026-01-02T00:00:00Z');
    expect(entitlementOf(availableFeatures(ex, { ...none, freeTrialUntil: until }), 'console_logs').source).toBe('trial');
    expect(entitlementOf(availableFeatures(ex, { ...none, at: until, freeTrialUntil: until }), 'console_logs').enabled).toBe(false);
  });

  it('an override naming a plan the catalog no longer has falls back to the subscribed plan', () => {
    const f = availableFeatures(ex, { ...none, planOverrides: { product_analytics: 'gone' }, subscribedPlans: new Map([['product_analytics', 'paid']]) });
    expect(entitlementOf(f, 'projects')).toEqual({ enabled: true, limit: 6, source: 'plan' });
  });

  // Catalogs with random features over two products and plans: the merged limit of each key is the
  // largest any granting plan gives (null = unlimited), whichever order the sources come in.
  it('property: each feature’s limit is the largest any source grants; sources only add features', () => {
    const limit = fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null });
    const features = fc.uniqueArray(fc.record({ key: fc.constantFrom('a', 'b', 'c', 'd'), limit }), { selector: (f) => f.key, maxLength: 4 });
    const yamlFeatures = (fs: { key: string; limit: number | null }[]) =>
      `[${fs.map((f) => `{ key: ${f.key}, name: ${f.key.toUpperCase()}${f.limit === null ? '' : `, limit: ${f.limit}`} }`).join(', ')}]`;
    fc.assert(
      fc.property(fc.tuple(features, features, features, features), fc.boolean(), fc.boolean(), ([xFree, xPaid, yFree, yPaid], trial, subscribed) => {
        const text = `
version: 1
products:
  - key: x
    name: X
    default_plan: free
    plans:
      free: { name: Free, features: ${yamlFeatures(xFree)} }
      paid: { name: Paid, premium: true, features: ${yamlFeatures(xPaid)} }
  - key: y
    name: Y
    default_plan: free
    plans:
      free: { name: Free, features: ${yamlFeatures(yFree)} }
      paid: { name: Paid, premium: true, features: ${yamlFeatures(yPaid)} }
`;
        const c = catalogOf(text);
        const got = availableFeatures(c, {
          at,
          freeTrialUntil: trial ? new Date(at.getTime() + 1) : null,
          planOverrides: {},
          subscribedPlans: subscribed ? new Map([['x', 'paid']]) : new Map(),
        });
        const sources = [subscribed ? xPaid : xFree, yFree, ...(trial ? [xPaid, yPaid] : [])];
        for (const key of ['a', 'b', 'c', 'd']) {
          const grants = sources.flat().filter((f) => f.key === key);
          const e = entitlementOf(got, key);
          expect(e.enabled).toBe(grants.length > 0);
          if (grants.length === 0) continue;
          const best = grants.some((g) => g.limit === null) ? null : Math.max(...grants.map((g) => g.limit as number));
          expect(e.limit).toBe(best);
        }
        expect(new Set(got.map((f) => f.key)).size).toBe(got.length);
      }),
      { numRuns: 150 },
    );
  });
});
