import { and, eq, lt } from 'drizzle-orm';
import type { Db } from './database.js';
import { idempotencyKeys } from './schema.js';

export type Reservation =
  | { outcome: 'reserved' }
  | { outcome: 'replay'; statusCode: number; body: unknown }
  | { outcome: 'mismatch' }
  | { outcome: 'in_progress' };

export interface ReserveInput {
  scope: string;
  key: string;
  method: string;
  path: string;
  requestHash: string;
  now: Date;
  /** How long a reservation blocks repeats before a crashed request may be taken over. */
  lockMs: number;
}

/** Reserves a key for one request, or says how the earlier request with that key went. */
export async function reserveIdempotencyKey(db: Db, input: ReserveInput): Promise<Reservation> {
  const lockedUntil = new Date(input.now.getTime() + input.lockMs);
  const inserted = await db
    .insert(idempotencyKeys)
    .values({
      scope: input.scope,
      key: input.key,
      method: input.method,
      path: input.path,
      requestHash: input.requestHash,
      state: 'in_progress',
      lockedUntil,
      createdAt: input.now,
    })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.key });
  if (inserted.length > 0) return { outcome: 'reserved' };

  const [row] = await db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.scope, input.scope), eq(idempotencyKeys.key, input.key)));
  if (!row) return reserveIdempotencyKey(db, input); // expired and deleted in between
  if (row.requestHash !== input.requestHash) return { outcome: 'mismatch' };
  if (row.state === 'completed') return { outcome: 'replay', statusCode: row.statusCode ?? 200, body: row.responseBody };
  if (row.lockedUntil > input.now) return { outcome: 'in_progress' };
  // The first attempt died mid-way (its lock expired): this one takes over, once.
  const taken = await db
    .update(idempotencyKeys)
    .set({ lockedUntil })
    .where(
      and(
        eq(idempotencyKeys.scope, input.scope),
        eq(idempotencyKeys.key, input.key),
        eq(idempotencyKeys.state, 'in_progress'),
        lt(idempotencyKeys.lockedUntil, input.now),
      ),
    )
    .returning({ key: idempotencyKeys.key });
  return taken.length > 0 ? { outcome: 'reserved' } : { outcome: 'in_progress' };
}

export async function completeIdempotencyKey(db: Db, scope: string, key: string, statusCode: number, body: unknown): Promise<void> {
  await db
    .update(idempotencyKeys)
    .set({ state: 'completed', statusCode, responseBody: body as never })
    .where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key)));
}

/** Forget a reservation so the request can be retried (the handler failed without a result worth keeping). */
export async function releaseIdempotencyKey(db: Db, scope: string, key: string): Promise<void> {
  await db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key), eq(idempotencyKeys.state, 'in_progress')));
}

/** Keys are kept at least 24 hours, as at the provider; older ones are pruned by a job. */
export async function pruneIdempotencyKeys(db: Db, olderThan: Date): Promise<number> {
  const gone = await db.delete(idempotencyKeys).where(lt(idempotencyKeys.createdAt, olderThan)).returning({ key: idempotencyKeys.key });
  return gone.length;
}
