import type { Clock } from '../shared/clock.js';
import type { Db } from '../store/database.js';

export type StaffRole = 'viewer' | 'support' | 'billing_admin' | 'approver' | 'owner';

/** Who is acting: recorded on every event and audit row. */
export type Actor =
  | { readonly type: 'staff'; readonly id: string; readonly role: StaffRole }
  | { readonly type: 'instance'; readonly id: string /* instance id */; readonly keyId: string | null }
  | { readonly type: 'system'; readonly id: string /* e.g. job kind, 'bootstrap', 'simulate' */ };

/**
 * What every service function receives from its caller: the database or transaction to use, the clock to
 * read "now" from, and the actor. Services never open their own connections or read the system time.
 */
export interface ServiceContext {
  readonly db: Db;
  readonly clock: Clock;
  readonly actor: Actor;
}

/** Staff actions must say why (R15): a reason, a ticket reference, or both. */
export interface Justification {
  readonly reason?: string | null | undefined;
  readonly ticket?: string | null | undefined;
}

export const systemActor = (id: string): Actor => ({ type: 'system', id });

export const withDb = (ctx: ServiceContext, db: Db): ServiceContext => ({ ...ctx, db });
