/**
 * Ingestion over HTTP on PostgreSQL: batches of 1,000 events (10% duplicates) through the real server,
 * against a raw COPY of the same number of rows into the same table in the same run. The client is a
 * worker thread; the figures include how busy the machine was (BENCH_PG_STATS=1: PostgreSQL's account
 * of it, see pgStats), and BENCH_CPU_PROFILE=FILE writes a CPU
 * profile of the server's thread during the HTTP phase (open it in Chrome's DevTools).
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createLogger } from '../src/app/logger.js';
import { createInstanceKey } from '../src/billing/api-keys/api-keys.js';
import { activateCatalogConfig } from '../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../src/billing/context.js';
import { createCustomer } from '../src/billing/customers/customers.js';
import { createInstance } from '../src/billing/instances/instances.js';
import { buildServer } from '../src/http/server.js';
import { systemClock } from '../src/shared/clock.js';
import { busyPercent, freshPgDatabase, machineCpu, pgStats, stealPercent, startProfile } from './support.js';

const BATCH = 1000;
const CUSTOMERS = 200;

/**
 * A minimal HTTP client in plain JavaScript: keep-alive connections, bodies sent as prepared, and only the
 * counts read from each answer (which starts with them).
 */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { base, secret, bodies, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const url = new URL(base + '/v1/usage');
function post(body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST',
      headers: { authorization: 'Bearer ' + secret, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const head = Buffer.concat(chunks).toString('utf8', 0, 200);
        if (res.statusCode !== 200) return reject(new Error('ingest failed: ' + res.statusCode + ' ' + head));
        const a = /"accepted":(\\d+)/.exec(head), d = /"duplicates":(\\d+)/.exec(head);
        if (!a || !d) return reject(new Error('unexpected answer: ' + head));
        resolve([Number(a[1]), Number(d[1])]);
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  let next = 0, accepted = 0, duplicates = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < bodies.length) {
      const [a, d] = await post(bodies[next++]);
      accepted += a; duplicates += d;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  // Close the connections before reporting: a worker that is terminated first leaves them open on the server.
  agent.destroy();
  await new Promise((r) => setTimeout(r, 100));
  parentPort.postMessage({ accepted, duplicates, seconds });
})().catch((e) => parentPort.postMessage({ error: String(e && e.stack || e) }));
`;

async function sendFromWorker(base: string, secret: string, bodies: string[], concurrency: number): Promise<{ accepted: number; duplicates: number; seconds: number }> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { base, secret, bodies, concurrency } });
  try {
    const msg = await new Promise<{ accepted: number; duplicates: number; seconds: number; error?: string }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    if (msg.error) throw new Error(msg.error);
    return msg;
  } finally {
    await worker.terminate();
  }
}

export async function benchIngest(options: { batches?: number; concurrency?: number } = {}): Promise<{ name: string; figures: Record<string, string | number> }> {
  const batches = options.batches ?? Number(process.env.BENCH_INGEST_BATCHES ?? 300);
  const concurrency = options.concurrency ?? Number(process.env.BENCH_INGEST_CONCURRENCY ?? 4);
  const clock = systemClock;
  const { database, url, drop } = await freshPgDatabase(clock);
  const app = await buildServer({ database, clock, logger: createLogger({ level: 'silent', pretty: false }), version: 'bench' });
  try {
    const ctx = { db: database.db, clock, actor: systemActor('bench') };
    await activateCatalogConfig(database.db, clock, readFileSync(new URL('../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
    const inst = await createInstance(ctx, { slug: 'bench' });
    const { secret } = await createInstanceKey(ctx, inst.id, 'bench');
    const customerIds: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customerIds.push((await createCustomer(ctx, { instanceId: inst.id, externalId: `team_${i}`, currency: 'usd' })).id);
    const base = await app.listen({ host: '127.0.0.1', port: 0 });

    const now = clock.now().getTime();
    const event = (n: number) => ({ id: `ev_${n}`, customer: customerIds[n % CUSTOMERS], metric: 'events', value: 1 + (n % 7), timestamp: new Date(now - (n % 86_400) * 1000).toISOString() });
    // Warm-up (not timed): events that the timed batches then repeat, as retries of already-counted
    // events do. Repeating ids of batches still in flight would measure lock waits, not ingestion.
    const WARM = 5 * BATCH;
    for (let w = 0; w < WARM; w += BATCH) {
      const res = await fetch(`${base}/v1/usage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ events: Array.from({ length: BATCH }, (_, i) => event(w + i)) }),
      });
      const answer = await res.text(); // read it all: an unread answer keeps the connection busy on close
      if (res.status !== 200) throw new Error(`warm-up failed: ${res.status} ${answer.slice(0, 200)}`);
    }
    const bodies: string[] = [];
    let seq = WARM;
    for (let b = 0; b < batches; b++) {
      const events = [];
      // 10% duplicates (ids of the warm-up), 90% new ids.
      for (let i = 0; i < BATCH; i++) events.push(event(i % 10 === 9 ? (b * 97 + i) % WARM : seq++));
      bodies.push(JSON.stringify({ events }));
    }

    // The load comes from a worker thread with its own event loop (as a separate client process would),
    // so the server's event loop does not also build requests and parse responses.
    const profile = await startProfile(process.env.BENCH_CPU_PROFILE);
    const stats = await pgStats(database.db);
    const cpu0 = machineCpu();
    const server0 = process.cpuUsage();
    const load = await sendFromWorker(base, secret, bodies, concurrency);
    const cpu1 = machineCpu();
    const serverCpu = process.cpuUsage(server0);
    await profile.stop();
    await stats.print();
    const { accepted, duplicates } = load;
    const httpSec = load.seconds;
    const total = batches * BATCH;

    // Raw COPY of the same number of rows into the same table (new ids so they do not collide).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const receivedAt = new Date().toISOString();
    // A batch's worth of rows per chunk: one stream write per row would make Node, not PostgreSQL, the limit.
    function* rows() {
      for (let from = 0; from < total; from += BATCH) {
        let chunk = '';
        for (let n = from; n < Math.min(total, from + BATCH); n++) {
          chunk += `${customerIds[n % CUSTOMERS]}\tcopy_${n}\tevents\t${1 + (n % 7)}\t${new Date(now - (n % 86_400) * 1000).toISOString()}\t\\N\t${receivedAt}\n`;
        }
        yield chunk;
      }
    }
    const t1 = performance.now();
    await pipeline(Readable.from(rows()), client.query(copyFrom('COPY usage_events (customer_id, event_id, metric, value, timestamp, properties, received_at) FROM STDIN')));
    const copySec = (performance.now() - t1) / 1000;
    await client.end();

    const httpRate = total / httpSec;
    const copyRate = total / copySec;
    return {
      name: 'ingest (postgres, HTTP)',
      figures: {
        events: total,
        accepted,
        duplicates,
        httpEventsPerSecond: Math.round(httpRate),
        rawCopyRowsPerSecond: Math.round(copyRate),
        ratioToCopy: Number((httpRate / copyRate).toFixed(3)),
        // Where the CPU went during the HTTP phase: the machine as a whole (all cores, so 100% = every core
        // busy) and this process (the server's event loop plus the client's worker thread).
        'machine CPU busy during HTTP (%)': busyPercent(cpu0, cpu1),
        'CPU stolen by the host during HTTP (%)': stealPercent(cpu0, cpu1),
        'this process CPU µs per event': Number((((serverCpu.user + serverCpu.system) / total)).toFixed(1)),
        concurrency,
      },
    };
  } finally {
    await app.close();
    await drop();
  }
}

const entry = process.argv[1];
if (entry && import.meta.url.endsWith(entry.split('/').pop() ?? '')) {
  const r = await benchIngest();
  console.log(r.name, r.figures);
}
