import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { PricingScheme, Tier } from '../src/core/catalog/model.js';
import { Decimal } from '../src/core/money/decimal.js';
import { ratePrice, unitLimitForBudget } from '../src/core/pricing/index.js';

/**
 * Rating throughput: a mix of schemes priced over seeded random quantities for a fixed wall-clock time.
 * Inputs are deterministic (same seed → same quantities); only the timings vary between runs.
 */

/** mulberry32: a tiny seeded PRNG; it only picks quantities, never touches money. */
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

const d = (s: string): Decimal => Decimal.parse(s);
const tier = (upTo: string | null, unit: string, flat = '0'): Tier => ({
  upTo: upTo === null ? null : d(upTo),
  unitAmount: d(unit),
  flatAmount: d(flat),
});

const SCHEMES: ReadonlyArray<{ name: string; scheme: PricingScheme }> = [
  {
    name: 'graduated-5',
    scheme: {
      type: 'tiered',
      mode: 'graduated',
      tiers: [
        tier('1000000', '0'),
        tier('2000000', '0.005'),
        tier('15000000', '0.00343'),
        tier('50000000', '0.00295'),
        tier(null, '0.00218'),
      ],
    },
  },
  {
    name: 'volume-4',
    scheme: {
      type: 'tiered',
      mode: 'volume',
      tiers: [tier('10000', '0.9', '500'), tier('100000', '0.75'), tier('1000000', '0.5'), tier(null, '0.333333333333')],
    },
  },
  { name: 'per_unit', scheme: { type: 'per_unit', unitAmount: d('0.000125') } },
  { name: 'package', scheme: { type: 'package', amount: d('2500'), size: d('1000'), round: 'up' } },
];

function quantities(seed: number, n: number): Decimal[] {
  const next = prng(seed);
  return Array.from({ length: n }, () => {
    // Spread over magnitudes 1…~1e8 so every tier is reached; a quarter carry three decimals.
    const magnitude = 10n ** BigInt(next() % 9);
    const whole = (BigInt(next()) * magnitude) / 4294967296n;
    const frac = next() % 4 === 0 ? BigInt(next() % 1000) * 10n ** 9n : 0n;
    return Decimal.fromScaled(whole * Decimal.ONE.scaled + frac);
  });
}

export interface BenchResult {
  name: string;
  figures: Record<string, string | number>;
}

export async function benchRating(options: { durationMs?: number; seed?: number } = {}): Promise<BenchResult> {
  const durationMs = options.durationMs ?? 2000;
  const qs = quantities(options.seed ?? 20250301, 4096);
  const ratingMs = durationMs * 0.8;

  // Rating: round-robin over the schemes; check the clock every batch, not every call.
  let ratings = 0;
  let lines = 0;
  let checksum = 0n; // keeps the work observable so nothing is optimized away
  const t0 = performance.now();
  let elapsed = 0;
  for (let i = 0; elapsed < ratingMs; ) {
    for (let b = 0; b < 256; b++, i++) {
      const s = SCHEMES[i % SCHEMES.length] as (typeof SCHEMES)[number];
      const r = ratePrice(s.scheme, qs[i % qs.length] as Decimal, 'USD');
      ratings++;
      lines += r.lines.length;
      checksum += r.amount;
    }
    elapsed = performance.now() - t0;
  }

  // Limit inversion over the same schemes with budgets from $0 to ~$1M.
  const next = prng(7);
  let limits = 0;
  const t1 = performance.now();
  let elapsedLimits = 0;
  while (elapsedLimits < durationMs - ratingMs) {
    for (let b = 0; b < 64; b++) {
      const s = SCHEMES[limits % SCHEMES.length] as (typeof SCHEMES)[number];
      const budget = BigInt(next() % 100_000_001);
      const l = unitLimitForBudget(s.scheme, budget, null, 'USD');
      checksum += l.listAmountAtLimit ?? 0n;
      limits++;
    }
    elapsedLimits = performance.now() - t1;
  }

  return {
    name: 'rating',
    figures: {
      schemes: SCHEMES.map((s) => s.name).join(', '),
      ratings,
      lines,
      seconds: Number((elapsed / 1000).toFixed(3)),
      ratingsPerSecond: Math.round(ratings / (elapsed / 1000)),
      linesPerSecond: Math.round(lines / (elapsed / 1000)),
      limitInversionsPerSecond: Math.round(limits / (elapsedLimits / 1000)),
      checksum: checksum.toString(),
    },
  };
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const { name, figures } = await benchRating();
  console.log(name);
  for (const [k, v] of Object.entries(figures)) console.log(`  ${k}: ${v}`);
}
