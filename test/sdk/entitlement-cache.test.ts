import { describe, expect, it } from 'vitest';
import { EntitlementCache, type Entitlement } from '../../packages/sdk/src/index.js';

// The cache on its own, with an injected clock and a fetcher that answers what the test says.
function setup(maxStalenessMs = 10_000, maxEntries?: number) {
  let now = 1_000_000;
  let enabled = false;
  const calls: { customer: string; feature: string; at: number }[] = [];
  let delayMs = 0;
  const fetchOne = async (customer: string, feature: string): Promise<Entitlement> => {
    calls.push({ customer, feature, at: now });
    now += delayMs; // the answer takes this long on the clock
    if (feature === 'broken') throw new Error('Tally is down');
    return { object: 'entitlement', feature, enabled, limit: null, source: enabled ? 'plan' : null };
  };
  const cache = new EntitlementCache(fetchOne, () => now, { maxStalenessMs, ...(maxEntries ? { maxEntries } : {}) });
  return {
    cache,
    calls,
    advance: (ms: number) => (now += ms),
    enable: () => (enabled = true),
    slow: (ms: number) => (delayMs = ms),
  };
}

describe('EntitlementCache', () => {
  it('counts an answer’s age from when its request was sent, not from when it arrived', async () => {
    const t = setup(10_000);
    t.slow(4_000);
    await t.cache.check('cus_1', 'sso'); // sent at T, arrived at T+4s
    t.slow(0);
    t.advance(6_000); // T+10s: exactly at the bound
    await t.cache.check('cus_1', 'sso');
    expect(t.calls).toHaveLength(1);
    t.advance(1); // T+10.001s: older than promised, although it arrived only 6.001 s ago
    await t.cache.check('cus_1', 'sso');
    expect(t.calls).toHaveLength(2);
  });

  it('keys by customer and feature, never caches failures, and 0 means always ask', async () => {
    const t = setup(10_000);
    await t.cache.check('cus_1', 'sso');
    await t.cache.check('cus_2', 'sso');
    await t.cache.check('cus_1', 'audit');
    expect(t.calls).toHaveLength(3);
    await expect(t.cache.check('cus_1', 'broken')).rejects.toThrow('Tally is down');
    await expect(t.cache.check('cus_1', 'broken')).rejects.toThrow('Tally is down');
    expect(t.calls).toHaveLength(5);
    t.enable();
    expect((await t.cache.check('cus_1', 'sso', { maxStalenessMs: 0 })).enabled).toBe(true);
    expect(t.calls).toHaveLength(6);
  });

  it('invalidates one customer or all, and evicts the oldest beyond maxEntries', async () => {
    const t = setup(10_000, 2);
    await t.cache.check('cus_1', 'a');
    await t.cache.check('cus_2', 'a');
    t.cache.invalidate('cus_1');
    await t.cache.check('cus_2', 'a'); // still cached
    await t.cache.check('cus_1', 'a'); // asked again
    expect(t.calls.map((c) => c.customer)).toEqual(['cus_1', 'cus_2', 'cus_1']);
    await t.cache.check('cus_3', 'a'); // evicts cus_2 (the oldest)
    await t.cache.check('cus_2', 'a');
    expect(t.calls.map((c) => c.customer)).toEqual(['cus_1', 'cus_2', 'cus_1', 'cus_3', 'cus_2']);
    t.cache.invalidate();
    await t.cache.check('cus_2', 'a');
    expect(t.calls).toHaveLength(6);
  });
});
