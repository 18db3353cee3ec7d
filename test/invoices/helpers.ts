import { readFileSync } from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import type { Actor, ServiceContext } from '../../src/billing/context.js';
import { createCustomer, type Customer, type CreateCustomerInput } from '../../src/billing/customers/customers.js';
import { createInstance, type Instance } from '../../src/billing/instances/instances.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Db } from '../../src/store/database.js';
import { auditLog, balanceTransactions, events } from '../../src/store/schema.js';

export const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

let seq = 0;

/** A scenario over a shared test database: its own clock, a fresh instance (so its own number sequence), helpers. */
export interface World {
  db: Db;
  clock: ManualClock;
  instance: Instance;
  system: ServiceContext;
  staff: ServiceContext;
  customer(over?: Partial<CreateCustomerInput>): Promise<Customer>;
  ledger(customerId: string): Promise<(typeof balanceTransactions.$inferSelect)[]>;
  events(objectId: string): Promise<string[]>;
  audit(targetId: string): Promise<(typeof auditLog.$inferSelect)[]>;
}

export async function world(db: Db, start = '2026-03-01T10:00:00Z', slug?: string): Promise<World> {
  const clock = new ManualClock(start);
  await activateCatalogConfig(db, clock, example, 'billing.yaml');
  const as = (actor: Actor): ServiceContext => ({ db, clock, actor });
  const system = as({ type: 'system', id: 'test' });
  const instance = await createInstance(system, { slug: slug ?? `w${++seq}-${Math.random().toString(36).slice(2, 7)}` });
  return {
    db,
    clock,
    instance,
    system,
    staff: as({ type: 'staff', id: 'stf_billing', role: 'billing_admin' }),
    customer: (over = {}) =>
      createCustomer(system, { instanceId: instance.id, externalId: `team-${++seq}`, name: 'Acme Rockets', billingEmail: 'ap@acme.test', currency: 'usd', ...over }),
    ledger: (customerId) => db.select().from(balanceTransactions).where(eq(balanceTransactions.customerId, customerId)).orderBy(asc(balanceTransactions.id)),
    events: async (objectId) =>
      (await db.select({ type: events.type }).from(events).where(eq(events.objectId, objectId)).orderBy(asc(events.id))).map((e) => e.type),
    audit: (targetId) => db.select().from(auditLog).where(and(eq(auditLog.targetId, targetId))).orderBy(asc(auditLog.id)),
  };
}

/** A custom line: `quantity × unit` minor units. */
export const custom = (description: string, unitAmount: string, quantity: string = '1') => ({ description, unitAmount, quantity });
