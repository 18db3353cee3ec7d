import { readFileSync } from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import type { Actor, ServiceContext } from '../../src/billing/context.js';
import { createCustomer, getCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { runDueJobs } from '../../src/jobs/run-due.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Db } from '../../src/store/database.js';
import { auditLog, events } from '../../src/store/schema.js';

export const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

export const DAY = 86_400_000;
export const utc = (s: string): Date => new Date(s);

const registry = buildJobRegistry();

/** One scenario: its own clock, instance and helpers over a shared test database. */
export interface World {
  db: Db;
  clock: ManualClock;
  instanceId: string;
  /** Acting as the instance (the product calling the API). */
  ctx: ServiceContext;
  staff: ServiceContext;
  system: ServiceContext;
  customer(currency?: string): Promise<Customer>;
  /** Moves the clock to `to` and runs every job due by then. */
  advanceTo(to: string | Date): Promise<{ ran: number; failed: number }>;
  runJobs(): Promise<{ ran: number; failed: number }>;
  events(customerId: string, type?: string): Promise<(typeof events.$inferSelect)[]>;
  audit(customerId: string): Promise<(typeof auditLog.$inferSelect)[]>;
  revision(customerId: string): Promise<number>;
}

let seq = 0;

export async function world(db: Db, start: string, config: string = example, configName = 'billing.yaml'): Promise<World> {
  const clock = new ManualClock(start);
  await activateCatalogConfig(db, clock, config, configName);
  const as = (actor: Actor): ServiceContext => ({ db, clock, actor });
  const system = as({ type: 'system', id: 'test' });
  const instance = await createInstance(system, { slug: `i${++seq}-${Math.random().toString(36).slice(2, 8)}` });
  const w: World = {
    db,
    clock,
    instanceId: instance.id,
    ctx: as({ type: 'instance', id: instance.id, keyId: null }),
    staff: as({ type: 'staff', id: 'stf_test', role: 'billing_admin' }),
    system,
    customer: (currency = 'usd') => createCustomer(system, { instanceId: instance.id, externalId: `team-${++seq}`, currency }),
    async advanceTo(to) {
      clock.set(to);
      return runDueJobs({ db, clock, registry });
    },
    runJobs: () => runDueJobs({ db, clock, registry }),
    events: (customerId, type) =>
      db
        .select()
        .from(events)
        .where(type ? and(eq(events.customerId, customerId), eq(events.type, type)) : eq(events.customerId, customerId))
        .orderBy(asc(events.id)),
    audit: (customerId) => db.select().from(auditLog).where(eq(auditLog.customerId, customerId)).orderBy(asc(auditLog.id)),
    revision: async (customerId) => (await getCustomer(system, customerId)).revision,
  };
  return w;
}

/** Price keys of live items, sorted: what a subscription bills now. */
export const priceKeys = (s: { items: { priceKey: string }[] } | null): string[] => (s?.items ?? []).map((i) => i.priceKey).sort();

export const iso = (d: Date | null | undefined): string | null => d?.toISOString() ?? null;
