import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { activateCatalogConfig } from '../src/billing/catalog/catalog-versions.js';
import type { ServiceContext } from '../src/billing/context.js';
import { createCustomer } from '../src/billing/customers/customers.js';
import { setPlanOverrides } from '../src/billing/customers/plan-overrides.js';
import { startTrial } from '../src/billing/customers/trials.js';
import { checkEntitlement, clearEntitlementCache } from '../src/billing/entitlements/index.js';
import { createInstance } from '../src/billing/instances/instances.js';
import { subscribe } from '../src/billing/subscriptions/index.js';
import { ManualClock } from '../src/shared/clock.js';
import { openDatabase } from '../src/store/database.js';
import { runMigrations } from '../src/store/migrate.js';

/**
 * Entitlement checks in-process on PGlite: 1,000 customers (a mix of free, subscribed, on trial and with
 * staff overrides), one cold check each, then 20,000 checks of random customers and feature keys against
 * the warm cache — each of those costs one primary-key read of the customer's revision. Target: p99 < 2 ms.
 */

export interface BenchResult {
  name: string;
  figures: Record<string, string | number>;
}

/** mulberry32: picks customers and keys reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
const ms = (n: number): number => Number(n.toFixed(4));

const KEYS = ['projects', 'data_retention_days', 'advanced_paths', 'saml_sso', 'group_analytics', 'console_logs', 'multivariate_flags', 'nope'];

export async function benchEntitlements(options: { customers?: number; checks?: number; seed?: number } = {}): Promise<BenchResult> {
  const nCustomers = options.customers ?? 1_000;
  const nChecks = options.checks ?? 20_000;
  const next = prng(options.seed ?? 20260301);
  const clock = new ManualClock('2026-03-01T00:00:00Z');
  const database = await openDatabase({ kind: 'pglite', dataDir: null }, clock);
  try {
    await runMigrations(database);
    const db = database.db;
    await activateCatalogConfig(db, clock, readFileSync(new URL('../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
    const system: ServiceContext = { db, clock, actor: { type: 'system', id: 'bench' } };
    const staff: ServiceContext = { db, clock, actor: { type: 'staff', id: 'stf_bench', role: 'billing_admin' } };
    const instance = await createInstance(system, { slug: 'bench' });

    const tSetup = performance.now();
    const ids: string[] = [];
    for (let i = 0; i < nCustomers; i++) {
      const c = await createCustomer(system, { instanceId: instance.id, externalId: `team-${i}`, currency: 'usd' });
      ids.push(c.id);
      const kind = i % 5;
      if (kind === 1) await subscribe(system, c.id, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay', plan: 'paid' }] });
      if (kind === 2) await subscribe(system, c.id, { items: [{ product: 'product_analytics', plan: 'startup' }, { product: 'group_analytics', plan: 'startup' }] });
      if (kind === 3) await startTrial(system, c.id, new Date('2026-04-01T00:00:00Z'));
      if (kind === 4) await setPlanOverrides(staff, c.id, { product_analytics: 'enterprise' }, { reason: 'bench' });
    }
    const setupSeconds = (performance.now() - tSetup) / 1000;

    clearEntitlementCache();
    const cold: number[] = [];
    for (const id of ids) {
      const t = performance.now();
      await checkEntitlement(system, id, 'projects');
      cold.push(performance.now() - t);
    }

    const warm: number[] = [];
    let enabled = 0;
    const t0 = performance.now();
    for (let i = 0; i < nChecks; i++) {
      const id = ids[next() % ids.length]!;
      const key = KEYS[next() % KEYS.length]!;
      const t = performance.now();
      const e = await checkEntitlement(system, id, key);
      warm.push(performance.now() - t);
      if (e.enabled) enabled++;
    }
    const seconds = (performance.now() - t0) / 1000;
    cold.sort((a, b) => a - b);
    warm.sort((a, b) => a - b);
    return {
      name: 'entitlements',
      figures: {
        database: 'pglite (in memory)',
        customers: nCustomers,
        setupSeconds: Number(setupSeconds.toFixed(2)),
        coldP50Ms: ms(pct(cold, 50)),
        coldP99Ms: ms(pct(cold, 99)),
        checks: nChecks,
        p50Ms: ms(pct(warm, 50)),
        p99Ms: ms(pct(warm, 99)),
        maxMs: ms(warm[warm.length - 1] ?? Number.NaN),
        checksPerSecond: Math.round(nChecks / seconds),
        enabledShare: Number((enabled / nChecks).toFixed(3)),
      },
    };
  } finally {
    await database.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const { name, figures } = await benchEntitlements();
  console.log(name);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k}: ${v}`);
}
