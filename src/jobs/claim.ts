import { and, eq, inArray, lt, lte, sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../shared/clock.js';
import type { Db } from '../store/database.js';
import { jobs } from '../store/schema.js';
import type { ClaimedJob } from './types.js';

/** Long enough for any sane handler; a worker that dies holds its jobs this long at most. */
export const DEFAULT_LEASE_MS = 5 * 60 * 1_000;

export interface ClaimOptions {
  workerId: string;
  limit: number;
  leaseMs?: number;
  /** Only these kinds (all kinds when omitted). */
  kinds?: readonly string[];
}

/**
 * Atomically leases up to `limit` due jobs to `workerId`: running jobs whose lease expired (their worker
 * crashed or stalled) first, then pending jobs whose run_at has come, each oldest run_at first. Each claim counts as
 * an attempt. On PostgreSQL, FOR UPDATE SKIP LOCKED lets any number of workers claim concurrently without
 * waiting on each other or taking the same job; a row another worker claimed meanwhile is re-checked
 * against the WHERE clause when locked, so it drops out. On PGlite (one session) the locking is moot.
 */
export async function claimJobs(db: Db, clock: Clock, options: ClaimOptions): Promise<ClaimedJob[]> {
  if (options.limit <= 0 || (options.kinds !== undefined && options.kinds.length === 0)) return [];
  const now = clock.now();
  const lockedUntil = new Date(now.getTime() + (options.leaseMs ?? DEFAULT_LEASE_MS));
  // Two claims, each a walk of jobs_due_idx (status, run_at, id) in order that stops after `limit` rows:
  // first leases that expired (their worker died), then pending jobs that are due. One query with an OR of
  // both would fetch and sort every due job to pick the first few: at a month end that is every
  // subscription's job, all due at the same instant, for every claim.
  const claim = async (due: SQL, limit: number) => {
    const candidates = db
      .select({ id: jobs.id })
      .from(jobs)
      .where(options.kinds ? and(due, inArray(jobs.kind, [...options.kinds])) : due)
      .orderBy(jobs.status, jobs.runAt, jobs.id)
      .limit(limit)
      .for('update', { skipLocked: true });
    return db
      .update(jobs)
      .set({
        status: 'running',
        lockedBy: options.workerId,
        lockedUntil,
        attempts: sql`${jobs.attempts} + 1`,
        updatedAt: now,
      })
      .where(inArray(jobs.id, candidates))
      .returning();
  };
  const claimed = await claim(and(eq(jobs.status, 'running'), lt(jobs.lockedUntil, now)) as SQL, options.limit);
  if (claimed.length < options.limit) claimed.push(...(await claim(and(eq(jobs.status, 'pending'), lte(jobs.runAt, now)) as SQL, options.limit - claimed.length)));
  // RETURNING order is unspecified; run in due order.
  claimed.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return claimed as ClaimedJob[];
}
