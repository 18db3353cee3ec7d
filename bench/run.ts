/**
 * `npm run bench`: runs every benchmark and prints one table of figures and ratios, with the machine's
 * core count and the database used. Benchmarks measure; they never fail a build.
 */
import { cpus } from 'node:os';
import { benchEntitlements } from './entitlements.js';
import { benchRating } from './rating.js';
import { benchIngest } from './ingest.js';
import { benchPeriodClose } from './period-close.js';
import { benchUsageRead, postgresAnswers } from './usage-read.js';

interface BenchResult {
  name: string;
  figures: Record<string, string | number>;
}

const benches: { name: string; run: () => Promise<BenchResult> }[] = [
  { name: 'rating', run: () => benchRating() },
  { name: 'entitlements', run: () => benchEntitlements() },
  // PostgreSQL only: runs when BENCH_DATABASE_URL/TEST_DATABASE_URL or a local server answers, else prints a note.
  { name: 'usage-read', run: () => benchUsageRead() },
  { name: 'ingest', run: () => onPostgres('ingest', () => benchIngest()) },
  { name: 'period-close', run: () => onPostgres('period-close', () => benchPeriodClose()) },
];

/** PostgreSQL benchmarks print a note instead of failing where no server answers. */
async function onPostgres(name: string, run: () => Promise<BenchResult>): Promise<BenchResult> {
  if (await postgresAnswers()) return run();
  return { name, figures: { status: 'skipped: no PostgreSQL (set BENCH_DATABASE_URL or TEST_DATABASE_URL)' } };
}

const only = process.argv[2];
const results: BenchResult[] = [];
for (const b of benches) {
  if (only && b.name !== only) continue;
  process.stderr.write(`running ${b.name}…\n`);
  results.push(await b.run());
}

const rows: [string, string, string][] = [];
for (const r of results) for (const [k, v] of Object.entries(r.figures)) rows.push([r.name, k, typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: 2 }) : v]);
const w = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i]?.length ?? 0), ['benchmark', 'figure', 'value'][i]?.length ?? 0));
const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i] ?? 0)).join('  ');
console.log(`\nTally benchmarks — ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown cpu'}), node ${process.version}, databases: PGlite (rating, entitlements) and PostgreSQL (usage-read, ingest, period-close)\n`);
console.log(line(['benchmark', 'figure', 'value']));
console.log(line(w.map((n) => '-'.repeat(n))));
for (const r of rows) console.log(line(r));
