import { createInstanceKey, createStaffKey } from '../../src/billing/api-keys/api-keys.js';
import { systemActor, type ServiceContext, type StaffRole } from '../../src/billing/context.js';
import { createInstance, type Instance } from '../../src/billing/instances/instances.js';
import { createStaff, type StaffMember } from '../../src/billing/staff/staff.js';
import type { Clock } from '../../src/shared/clock.js';
import type { Database } from '../../src/store/database.js';

export const systemCtx = (database: Database, clock: Clock): ServiceContext => ({ db: database.db, clock, actor: systemActor('test') });

export interface SeededInstance {
  instance: Instance;
  keyId: string;
  secret: string;
  /** `{authorization: 'Bearer tally_ik_…'}` for app.inject. */
  headers: { authorization: string };
}

/** An instance with one API key. */
export async function seedInstance(database: Database, clock: Clock, slug: string): Promise<SeededInstance> {
  const ctx = systemCtx(database, clock);
  const instance = await createInstance(ctx, { slug });
  const { key, secret } = await createInstanceKey(ctx, instance.id, `${slug} test key`);
  return { instance, keyId: key.id, secret, headers: { authorization: `Bearer ${secret}` } };
}

export interface SeededStaff {
  staff: StaffMember;
  keyId: string;
  secret: string;
  headers: { authorization: string };
}

/** A staff member of `role` (email `<role>-<n>@test.local` unless given) with one staff key. */
export async function seedStaff(database: Database, clock: Clock, role: StaffRole, email?: string): Promise<SeededStaff> {
  const ctx = systemCtx(database, clock);
  const staff = await createStaff(ctx, { email: email ?? `${role}-${Math.random().toString(36).slice(2, 8)}@test.local`, name: `Test ${role}`, role });
  const { key, secret } = await createStaffKey(ctx, staff.id, `${role} test key`);
  return { staff, keyId: key.id, secret, headers: { authorization: `Bearer ${secret}` } };
}
