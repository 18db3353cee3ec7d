/**
 * `npm run soak [-- --minutes 10 --sample-seconds 10 --max-events 50000000]`: a bounded soak test. Starts a
 * real Tally server (a child process running startTally, on loopback only) on a fresh PostgreSQL database
 * (BENCH_DATABASE_URL / TEST_DATABASE_URL, else PGlite in a temporary directory), then ingests usage and
 * reads usage, billing state and entitlements against it until the time or the event count is used up,
 * sampling the server's RSS and heap every few seconds. Prints each sample and, at the end, the memory
 * growth (start, end, max, least-squares slope) and the throughput. A heap that keeps climbing at a steady
 * slope after warm-up is a leak.
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { freshPgDatabase } from './support.js';
import { postgresAnswers } from './usage-read.js';
import { systemClock } from '../src/shared/clock.js';

interface Sample {
  atSec: number;
  rss: number;
  heapUsed: number;
}

const MB = 1024 * 1024;

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

const invokedDirectly = process.argv[1]?.endsWith('soak.ts') ?? false;
if (invokedDirectly) await soak();

async function soak(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      'sample-seconds': { type: 'string', default: '10' },
      'max-events': { type: 'string', default: '50000000' },
      concurrency: { type: 'string', default: '4' },
    },
  });
  const minutes = Number(values.minutes);
  const sampleSeconds = Number(values['sample-seconds']);
  const maxEvents = Number(values['max-events']);
  const concurrency = Number(values.concurrency);
  if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error(`--minutes must be more than 0 and at most 1440, got ${values.minutes}`);
  if (!(sampleSeconds >= 1)) throw new Error(`--sample-seconds must be at least 1, got ${values['sample-seconds']}`);
  if (!(maxEvents > 0)) throw new Error(`--max-events must be positive, got ${values['max-events']}`);

  const dir = mkdtempSync(join(tmpdir(), 'tally-soak-'));
  const pg = (await postgresAnswers()) ? await freshPgDatabase(systemClock) : null;
  if (pg) await pg.database.close(); // the server opens its own pool
  const env = {
    ...process.env,
    HOST: '127.0.0.1', // loopback only: the soak never listens beyond this machine
    PORT: '0',
    TALLY_CONFIG: fileURLToPath(new URL('../examples/billing.yaml', import.meta.url)),
    TALLY_ADMIN_PASSWORD: 'soak-test-password-123',
    TALLY_DATA_DIR: join(dir, 'data'),
    LOG_LEVEL: 'warn',
    ...(pg ? { DATABASE_URL: pg.url } : {}),
  };
  if (!pg) delete env.DATABASE_URL;
  const server = fork(fileURLToPath(new URL('../bin/run-ts.js', import.meta.url)), [fileURLToPath(new URL('./soak-server.ts', import.meta.url))], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });

  type Msg = { type: 'ready'; url: string; instanceKey: string | null } | ({ type: 'memory' } & { rss: number; heapUsed: number });
  const nextMessage = <T extends Msg['type']>(type: T): Promise<Extract<Msg, { type: T }>> =>
    new Promise((resolve, reject) => {
      const onMessage = (m: Msg) => {
        if (m.type !== type) return;
        server.off('message', onMessage);
        resolve(m as Extract<Msg, { type: T }>);
      };
      server.on('message', onMessage);
      server.once('exit', (code) => reject(new Error(`the soak server exited (${code})`)));
    });

  const ready = await nextMessage('ready');
  if (!ready.instanceKey) throw new Error('the soak server did not create an instance key (database not fresh?)');
  const url = ready.url;
  const auth = { authorization: `Bearer ${ready.instanceKey}` };
  process.stderr.write(`soak: server at ${url} on ${pg ? 'PostgreSQL' : 'PGlite'}; ${minutes} min, sampling every ${sampleSeconds} s\n`);

  // Customers to report usage for and read back.
  const customers: string[] = [];
  for (let i = 0; i < 100; i++) {
    const res = await fetch(`${url}/v1/customers`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ external_id: `soak_${i}`, currency: 'usd' }) });
    customers.push(((await res.json()) as { id: string }).id);
  }

  const started = performance.now();
  const deadline = started + minutes * 60_000;
  let events = 0;
  let ingestRequests = 0;
  let reads = 0;
  let errors = 0;
  let seq = 0;
  const samples: Sample[] = [];

  const sample = async () => {
    server.send('memory');
    const m = await nextMessage('memory');
    const s = { atSec: (performance.now() - started) / 1000, rss: m.rss, heapUsed: m.heapUsed };
    samples.push(s);
    process.stderr.write(`  t=${s.atSec.toFixed(0).padStart(5)} s  rss ${(s.rss / MB).toFixed(1)} MB  heap ${(s.heapUsed / MB).toFixed(1)} MB  events ${events.toLocaleString('en-US')}  reads ${reads.toLocaleString('en-US')}\n`);
  };

  await sample();
  const sampler = setInterval(() => void sample(), sampleSeconds * 1000);
  const now = () => new Date().toISOString();
  await Promise.all(
    Array.from({ length: concurrency }, async (_, worker) => {
      let round = 0;
      while (performance.now() < deadline && events < maxEvents) {
        round++;
        try {
          if (round % 5 === 0) {
            const batch = Array.from({ length: 500 }, () => {
              const n = seq++;
              return { id: `soak_${n}`, customer: customers[n % customers.length], metric: 'events', value: 1 + (n % 9), timestamp: now() };
            });
            const res = await fetch(`${url}/v1/usage`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ events: batch }) });
            if (res.status !== 200) errors++;
            await res.arrayBuffer();
            events += batch.length;
            ingestRequests++;
          } else {
            const id = customers[(round * 31 + worker) % customers.length]!;
            const path = round % 5 === 1 ? `/v1/customers/${id}/billing` : round % 5 === 2 ? `/v1/customers/${id}/features` : `/v1/customers/${id}/entitlements/projects`;
            const res = await fetch(`${url}${path}`, { headers: auth });
            if (res.status !== 200) errors++;
            await res.arrayBuffer();
            reads++;
          }
        } catch {
          errors++;
        }
      }
    }),
  );
  clearInterval(sampler);
  await sample();
  const elapsed = (performance.now() - started) / 1000;

  server.send('stop');
  await new Promise((r) => server.once('exit', r));
  if (pg) await pg.drop();
  rmSync(dir, { recursive: true, force: true });

  const xs = samples.map((s) => s.atSec / 60);
  const summary = (label: string, ys: number[]) =>
    `${label.padEnd(5)} start ${(ys[0]! / MB).toFixed(1)} MB  end ${(ys.at(-1)! / MB).toFixed(1)} MB  max ${(Math.max(...ys) / MB).toFixed(1)} MB  slope ${(slope(xs, ys) / MB).toFixed(2)} MB/min`;
  process.stdout.write(
    [
      '',
      `Soak summary — ${elapsed.toFixed(0)} s on ${pg ? 'PostgreSQL' : 'PGlite'}, ${samples.length} samples, concurrency ${concurrency}`,
      summary('rss', samples.map((s) => s.rss)),
      summary('heap', samples.map((s) => s.heapUsed)),
      `throughput  ${Math.round(events / elapsed).toLocaleString('en-US')} events/s ingested (${ingestRequests.toLocaleString('en-US')} requests), ${Math.round(reads / elapsed).toLocaleString('en-US')} reads/s`,
      `errors      ${errors}`,
      '',
    ].join('\n'),
  );
  process.exitCode = errors > 0 ? 1 : 0;
}
