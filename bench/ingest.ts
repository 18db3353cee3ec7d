/**
 * Ingestion over HTTP on PostgreSQL: batches of 1,000 events (10% duplicates) through real `tally serve`
 * processes (BENCH_INGEST_PROCESSES, default 2: one per core, as a deployment on this machine would run
 * them), against a raw COPY of the same number of rows into the same table in the same run. The client is
 * a worker thread of this process, round-robin over the servers. The figures include how busy the machine
 * was (BENCH_PG_STATS=1: PostgreSQL's account of it, see pgStats). BENCH_CPU_PROFILE_DIR=DIR makes each
 * server write a CPU profile; with BENCH_INGEST_PROCESSES=0 the server runs in this process and
 * BENCH_CPU_PROFILE=FILE profiles its thread during the HTTP phase alone.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
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
import { busyPercent, freshPgDatabase, machineCpu, pgStats, processCpuSeconds, startProfile, startTallyProcess, stealPercent, stopProcess } from './support.js';

const BATCH = 1000;
const CUSTOMERS = 200;

/**
 * A minimal HTTP client in plain JavaScript: keep-alive connections, bodies sent as prepared, and only the
 * counts read from each answer (which starts with them).
 */
const CLIENT = `
const { workerData, parentPort } = require('node:worker_threads');
const http = require('node:http');
const { bases, secret, bodies, concurrency } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const urls = bases.map((b) => new URL(b + '/v1/usage'));
let turn = 0;
function post(body) {
  // Round robin over the server processes, as a load balancer would.
  const url = urls[turn++ % urls.length];
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

async function sendFromWorker(bases: string[], secret: string, bodies: string[], concurrency: number): Promise<{ accepted: number; duplicates: number; seconds: number }> {
  const worker = new Worker(CLIENT, { eval: true, workerData: { bases, secret, bodies, concurrency } });
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

/** A port nothing listens on now, for a server process to take. */
async function freePort(): Promise<number> {
  const probe = createNetServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const { port } = probe.address() as AddressInfo;
  await new Promise((r) => probe.close(r));
  return port;
}

export async function benchIngest(options: { batches?: number; concurrency?: number; processes?: number } = {}): Promise<{ name: string; figures: Record<string, string | number> }> {
  const batches = options.batches ?? Number(process.env.BENCH_INGEST_BATCHES ?? 300);
  // Server processes: `tally serve` API nodes (TALLY_WORKER=off), as a deployment on this machine would run
  // one per core; 0 serves from this process instead (what BENCH_CPU_PROFILE profiles).
  const processes = options.processes ?? Number(process.env.BENCH_INGEST_PROCESSES ?? 2);
  const concurrency = options.concurrency ?? Number(process.env.BENCH_INGEST_CONCURRENCY ?? 4 * Math.max(1, processes));
  const clock = systemClock;
  const { database, url, drop } = await freshPgDatabase(clock);
  const app = processes === 0 ? await buildServer({ database, clock, logger: createLogger({ level: 'silent', pretty: false }), version: 'bench' }) : null;
  const servers: ChildProcess[] = [];
  try {
    const ctx = { db: database.db, clock, actor: systemActor('bench') };
    await activateCatalogConfig(database.db, clock, readFileSync(new URL('../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
    const inst = await createInstance(ctx, { slug: 'bench' });
    const { secret } = await createInstanceKey(ctx, inst.id, 'bench');
    const customerIds: string[] = [];
    for (let i = 0; i < CUSTOMERS; i++) customerIds.push((await createCustomer(ctx, { instanceId: inst.id, externalId: `team_${i}`, currency: 'usd' })).id);
    const bases: string[] = [];
    if (app) bases.push(await app.listen({ host: '127.0.0.1', port: 0 }));
    const configPath = fileURLToPath(new URL('../examples/billing.yaml', import.meta.url));
    for (let i = 0; i < processes; i++) {
      const port = await freePort();
      servers.push(await startTallyProcess('serve', { DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', TALLY_WORKER: 'off', TALLY_CONFIG: configPath }));
      bases.push(`http://127.0.0.1:${port}`);
    }

    const now = clock.now().getTime();
    const event = (n: number) => ({ id: `ev_${n}`, customer: customerIds[n % CUSTOMERS], metric: 'events', value: 1 + (n % 7), timestamp: new Date(now - (n % 86_400) * 1000).toISOString() });
    // Warm-up (not timed): events that the timed batches then repeat, as retries of already-counted
    // events do. Repeating ids of batches still in flight would measure lock waits, not ingestion.
    const WARM = 5 * BATCH;
    for (let w = 0; w < WARM; w += BATCH) {
      const res = await fetch(`${bases[(w / BATCH) % bases.length]}/v1/usage`, {
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
    const own0 = process.cpuUsage();
    const servers0 = servers.map((p) => processCpuSeconds(p.pid));
    const load = await sendFromWorker(bases, secret, bodies, concurrency);
    const cpu1 = machineCpu();
    const ownCpu = process.cpuUsage(own0);
    const serversCpu = servers.reduce((sum, p, i) => sum + processCpuSeconds(p.pid) - (servers0[i] ?? 0), 0);
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
        'server processes': processes === 0 ? 'this one' : processes,
        'requests in flight': concurrency,
        // Where the CPU went during the HTTP phase: the machine as a whole (all cores, so 100% = every core
        // busy), the server processes, and this process (the client's worker thread, plus the server when
        // it serves from here).
        'machine CPU busy during HTTP (%)': busyPercent(cpu0, cpu1),
        'CPU stolen by the host during HTTP (%)': stealPercent(cpu0, cpu1),
        ...(processes > 0 ? { 'server processes CPU µs per event': Number(((serversCpu * 1e6) / total).toFixed(1)) } : {}),
        'this process CPU µs per event': Number(((ownCpu.user + ownCpu.system) / total).toFixed(1)),
      },
    };
  } finally {
    await app?.close();
    await Promise.all(servers.map(stopProcess));
    await drop();
  }
}

const entry = process.argv[1];
if (entry && import.meta.url.endsWith(entry.split('/').pop() ?? '')) {
  const r = await benchIngest();
  console.log(r.name, r.figures);
}
