/**
 * Entitlement checks over HTTP at a fixed request rate: autocannon sends GET /v1/customers/:id/entitlements/:key
 * at `rate` requests per second for `seconds` to a listening Tally server (the real Fastify app with auth,
 * logging off) and reports the latency percentiles it saw. On PostgreSQL when one answers, else PGlite.
 * autocannon runs in a worker thread, so generating load does not share the server's event loop.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import { createLogger } from '../src/app/logger.js';
import { createInstanceKey } from '../src/billing/api-keys/api-keys.js';
import { activateCatalogConfig } from '../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../src/billing/context.js';
import { createCustomer } from '../src/billing/customers/customers.js';
import { createInstance } from '../src/billing/instances/instances.js';
import { subscribe } from '../src/billing/subscriptions/index.js';
import { buildServer } from '../src/http/server.js';
import { systemClock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { runMigrations } from '../src/store/migrate.js';
import { freshPgDatabase } from './support.js';
import { postgresAnswers } from './usage-read.js';

const KEYS = ['projects', 'data_retention_days', 'advanced_paths', 'saml_sso', 'nope'];

export interface EntitlementsHttpOptions {
  customers?: number;
  /** Requests per second, all connections together. */
  rate?: number;
  seconds?: number;
  connections?: number;
}

export async function benchEntitlementsHttp(options: EntitlementsHttpOptions = {}): Promise<{ name: string; database: string; figures: Record<string, string | number> }> {
  const nCustomers = options.customers ?? 500;
  const rate = options.rate ?? 1_000;
  const seconds = options.seconds ?? 10;
  const connections = options.connections ?? 10;
  const clock = systemClock;
  let database: Database;
  let drop: () => Promise<void>;
  if (await postgresAnswers()) {
    const pgdb = await freshPgDatabase(clock);
    database = pgdb.database;
    drop = pgdb.drop;
  } else {
    database = await openDatabase({ kind: 'pglite', dataDir: null }, clock);
    await runMigrations(database);
    drop = () => database.close();
  }
  const app = await buildServer({ database, clock, logger: createLogger({ level: 'silent', pretty: false }), version: 'bench' });
  try {
    const ctx = { db: database.db, clock, actor: systemActor('bench') };
    await activateCatalogConfig(database.db, clock, readFileSync(new URL('../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
    const instance = await createInstance(ctx, { slug: 'bench' });
    const { secret } = await createInstanceKey(ctx, instance.id, 'bench');
    const ids: string[] = [];
    for (let i = 0; i < nCustomers; i++) {
      const c = await createCustomer(ctx, { instanceId: instance.id, externalId: `team_${i}`, currency: 'usd' });
      if (i % 2 === 1) await subscribe(ctx, c.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
      ids.push(c.id);
    }
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    // Customers and keys cycle; a request per (customer, key) pair, in a fixed shuffled order.
    const requests = ids.map((id, i) => ({ method: 'GET' as const, path: `/v1/customers/${id}/entitlements/${KEYS[(i * 7) % KEYS.length]}` }));
    const result = await autocannon({
      url: base,
      connections,
      overallRate: rate,
      duration: seconds,
      headers: { authorization: `Bearer ${secret}` },
      requests,
      workers: 1,
    });
    return {
      name: 'entitlements (HTTP)',
      database: database.kind === 'postgres' ? 'PostgreSQL' : 'PGlite (in memory)',
      figures: {
        customers: nCustomers,
        targetRequestsPerSecond: rate,
        seconds,
        connections,
        requests: result.requests.total,
        achievedRequestsPerSecond: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        maxMs: result.latency.max,
        non2xx: result.non2xx,
        errors: result.errors + result.timeouts,
      },
    };
  } finally {
    await app.close();
    await drop();
  }
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(resolve(entry)).href) {
  const r = await benchEntitlementsHttp({ seconds: Number(process.env.BENCH_SECONDS ?? 10) });
  console.log(r.name, r.database, r.figures);
}
