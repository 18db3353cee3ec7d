import { and, eq, inArray } from 'drizzle-orm';
import { afterEach, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { startWorker, type RunningWorker } from '../../src/jobs/worker.js';
import { webhookDeliveries } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { scene, type Scene } from './support.js';

describeDb('webhook delivery with running workers', (database, kind) => {
  let s: Scene | undefined;
  let workers: RunningWorker[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.stop()));
    workers = [];
    await s?.close();
    s = undefined;
  });

  // PostgreSQL: several workers claim side by side (SKIP LOCKED); PGlite: the one in-process worker.
  const count = kind === 'postgres' ? 3 : 1;

  it(`${count} worker(s) deliver every event exactly once when the receiver always answers 2xx`, async () => {
    s = await scene(database());
    const ep = await s.endpoint({ enabled_events: ['customer.created'] });
    const customers = [];
    for (let i = 0; i < 12; i++) customers.push(await s.w.customer());
    const registry = buildJobRegistry();
    const logger = createLogger({ level: 'silent', pretty: false });
    workers = Array.from({ length: count }, (_, i) => startWorker({ database: database(), clock: s!.w.clock, registry, logger, pollMs: 20, concurrency: kind === 'postgres' ? 4 : 1, workerId: `w${i}` }));
    const deadline = performance.now() + 90_000;
    for (;;) {
      const done = await database()
        .db.select({ id: webhookDeliveries.id })
        .from(webhookDeliveries)
        .where(and(eq(webhookDeliveries.endpointId, ep.id), inArray(webhookDeliveries.status, ['succeeded'])));
      if (done.length === customers.length) break;
      if (performance.now() > deadline) throw new Error(`only ${done.length} of ${customers.length} delivered`);
      await new Promise((r) => setTimeout(r, 50));
    }
    await Promise.all(workers.map((w) => w.stop()));
    const ids = s.receiver.requests.map((r) => JSON.parse(r.body).data.id as string);
    expect(ids).toHaveLength(customers.length);
    expect(new Set(ids)).toEqual(new Set(customers.map((c) => c.id)));
  }, 120_000);
});
