import { readFileSync } from 'node:fs';
import { and, asc, eq } from 'drizzle-orm';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import type { Actor, ServiceContext, StaffRole } from '../../src/billing/context.js';
import { createCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { createInstance, type Instance } from '../../src/billing/instances/instances.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Db } from '../../src/store/database.js';
import { auditLog, balanceTransactions } from '../../src/store/schema.js';

export const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

let seq = 0;

/** One scenario over a shared test database: its own clock, instance, staff actors and helpers. */
export interface World {
  db: Db;
  clock: ManualClock;
  instance: Instance;
  system: ServiceContext;
  /** The instance acting (checkout). */
  inst: ServiceContext;
  /** A staff member of `role`; `id` distinguishes people of the same role. */
  staff(role: StaffRole, id?: string): ServiceContext;
  customer(currency?: string): Promise<Customer>;
  audit(customerId: string): Promise<(typeof auditLog.$inferSelect)[]>;
  auditOf(targetId: string): Promise<(typeof auditLog.$inferSelect)[]>;
  ledger(customerId: string): Promise<(typeof balanceTransactions.$inferSelect)[]>;
}

export async function world(db: Db, start = '2026-01-01T00:00:00Z'): Promise<World> {
  const clock = new ManualClock(start);
  await activateCatalogConfig(db, clock, example, 'billing.yaml');
  const as = (actor: Actor): ServiceContext => ({ db, clock, actor });
  const system = as({ type: 'system', id: 'test' });
  const instance = await createInstance(system, { slug: `c${++seq}-${Math.random().toString(36).slice(2, 8)}` });
  return {
    db,
    clock,
    instance,
    system,
    inst: as({ type: 'instance', id: instance.id, keyId: null }),
    staff: (role, id) => as({ type: 'staff', id: id ?? `stf_${role}`, role }),
    customer: (currency = 'usd') => createCustomer(system, { instanceId: instance.id, externalId: `team-${++seq}`, name: 'Acme', currency }),
    audit: (customerId) => db.select().from(auditLog).where(eq(auditLog.customerId, customerId)).orderBy(asc(auditLog.id)),
    auditOf: (targetId) => db.select().from(auditLog).where(and(eq(auditLog.targetId, targetId))).orderBy(asc(auditLog.id)),
    ledger: (customerId) => db.select().from(balanceTransactions).where(eq(balanceTransactions.customerId, customerId)).orderBy(asc(balanceTransactions.id)),
  };
}

export const why = { reason: 'test', ticket: 'T-1' };
export const MONTH_STARTS = ['2026-01-01', '2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01', '2026-06-01'].map((d) => new Date(`${d}T00:00:00Z`));
