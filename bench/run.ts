/**
 * `npm run bench`: runs every benchmark and prints one summary table at the end — each figure with the
 * database it was measured on and the machine's core count. Benchmarks measure; they never fail a build.
 *
 *   npm run bench                 all benchmarks at full size (several minutes)
 *   npm run bench -- ingest       one of them
 *   BENCH_QUICK=1 npm run bench   small sizes, for checking the harness works (about half a minute)
 *
 * PostgreSQL benchmarks use BENCH_DATABASE_URL or TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * where none answers they print a note in the table instead.
 */
import { cpus } from 'node:os';
import { benchEntitlements } from './entitlements.js';
import { benchEntitlementsHttp } from './entitlements-http.js';
import { benchIngest } from './ingest.js';
import { benchPeriodClose } from './period-close.js';
import { benchRating } from './rating.js';
import { benchUsageRead, postgresAnswers } from './usage-read.js';

export interface BenchRow {
  benchmark: string;
  figure: string;
  value: string;
  database: string;
  cores: string;
}

interface Bench {
  name: string;
  /** Where it runs, unless the benchmark reports it itself. */
  database: string;
  pgOnly?: boolean;
  run(quick: boolean): Promise<{ name: string; database?: string; figures: Record<string, string | number> }>;
}

export const BENCHES: Bench[] = [
  { name: 'rating', database: 'none (pure pricing)', run: (q) => benchRating(q ? { durationMs: 200 } : {}) },
  { name: 'entitlements', database: 'PGlite (in memory)', run: (q) => benchEntitlements(q ? { customers: 40, checks: 400 } : {}) },
  { name: 'entitlements-http', database: 'PostgreSQL, else PGlite', run: (q) => benchEntitlementsHttp(q ? { customers: 40, rate: 200, seconds: 2 } : {}) },
  { name: 'usage-read', database: 'PostgreSQL', pgOnly: true, run: (q) => benchUsageRead(q ? { rows: 20_000, customers: 20, reads: 100 } : {}) },
  { name: 'ingest', database: 'PostgreSQL', pgOnly: true, run: (q) => benchIngest(q ? { batches: 4 } : {}) },
  { name: 'period-close', database: 'PostgreSQL', pgOnly: true, run: (q) => benchPeriodClose(q ? { subscriptions: 30 } : {}) },
];

/** Runs the benchmarks (all, or those named) and returns the summary rows. */
export async function runBenches(options: { quick: boolean; only?: readonly string[]; log?: (line: string) => void }): Promise<BenchRow[]> {
  const cores = String(cpus().length);
  const rows: BenchRow[] = [];
  const pg = await postgresAnswers();
  for (const b of BENCHES) {
    if (options.only?.length && !options.only.includes(b.name)) continue;
    options.log?.(`running ${b.name}${options.quick ? ' (quick)' : ''}…`);
    if (b.pgOnly && !pg) {
      rows.push({ benchmark: b.name, figure: 'status', value: 'skipped: no PostgreSQL (set BENCH_DATABASE_URL or TEST_DATABASE_URL)', database: '-', cores });
      continue;
    }
    const t0 = performance.now();
    const r = await b.run(options.quick);
    for (const [k, v] of Object.entries(r.figures)) {
      rows.push({ benchmark: r.name, figure: k, value: typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 4 }) : v, database: r.database ?? b.database, cores });
    }
    options.log?.(`  ${b.name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  return rows;
}

/** The one table printed at the end. */
export function formatTable(rows: BenchRow[], quick: boolean): string {
  const head: BenchRow = { benchmark: 'benchmark', figure: 'figure', value: 'value', database: 'database', cores: 'cores' };
  const cols = Object.keys(head) as (keyof BenchRow)[];
  const width = cols.map((c) => Math.max(...[head, ...rows].map((r) => r[c].length)));
  const line = (r: BenchRow) => cols.map((c, i) => (c === 'value' ? r[c].padStart(width[i]!) : r[c].padEnd(width[i]!))).join('  ').trimEnd();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return [
    `Tally benchmarks${quick ? ' (QUICK: small sizes, not representative)' : ''} — ${cpus().length} cores (${cpu}), node ${process.version}`,
    '',
    line(head),
    cols.map((_, i) => '-'.repeat(width[i]!)).join('  '),
    ...rows.map(line),
    '',
  ].join('\n');
}

const invokedDirectly = process.argv[1]?.endsWith('run.ts') ?? false;
if (invokedDirectly) {
  const quick = process.env.BENCH_QUICK === '1';
  const only = process.argv.slice(2);
  const rows = await runBenches({ quick, only, log: (l) => process.stderr.write(`${l}\n`) });
  process.stdout.write(`\n${formatTable(rows, quick)}`);
}
