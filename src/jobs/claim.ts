import { and, asc, eq, inArray, lt, lte, sql } from 'drizzle-orm';
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
 * crashed or stalled) first, longest expired first, then pending jobs whose run_at has come, oldest run_at
 * first. Each claim counts as an attempt. On PostgreSQL, FOR UPDATE SKIP LOCKED lets any number of workers
 * claim concurrently without waiting on each other or taking the same job; a row another worker claimed
 * meanwhile is re-checked against the WHERE clause when locked, so it drops out. On PGlite (one session)
 * the locking is moot.
 */
export async function claimJobs(db: Db, clock: Clock, options: ClaimOptions): Promise<ClaimedJob[]> {
  if (options.limit <= 0 || (options.kinds !== undefined && options.kinds.length === 0)) return [];
  const now = clock.now();
  const lockedUntil = new Date(now.getTime() + (options.leaseMs ?? DEFAULT_LEASE_MS));
  // First leases that expired (their worker died), then due pending jobs: see dueJobs.
  const claim = async (which: 'expired' | 'pending', limit: number) =>
    db
      .update(jobs)
      .set({
        status: 'running',
        lockedBy: options.workerId,
        lockedUntil,
        attempts: sql`${jobs.attempts} + 1`,
        updatedAt: now,
      })
      .where(inArray(jobs.id, dueJobs(db, now, which, limit, options.kinds).for('update', { skipLocked: true })))
      .returning();
  const claimed = await claim('expired', options.limit);
  if (claimed.length < options.limit) claimed.push(...(await claim('pending', options.limit - claimed.length)));
  // RETURNING order is unspecified; run in due order.
  claimed.sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return claimed as ClaimedJob[];
}

/**
 * The ids of up to `limit` jobs a claim could take now, in the order it takes them: `expired` leases
 * (longest expired first) or due `pending` jobs (oldest run_at first), of `kinds` when given. Each is a
 * walk of a partial index that holds only such jobs (jobs_running_idx, jobs_pending_idx, or
 * jobs_pending_kind_idx for one kind), in exactly that index's order, stopping after `limit` rows, so
 * the plan cannot flip to sorting every due job. With one full index over every status it did whenever
 * the statistics said few of a kind were due (a month end's closes, just enqueued): every claim read the
 * whole table.
 */
export function dueJobs(db: Db, now: Date, which: 'expired' | 'pending', limit: number, kinds?: readonly string[]) {
  const ofKinds = kinds ? (kinds.length === 1 ? eq(jobs.kind, kinds[0] as string) : inArray(jobs.kind, [...kinds])) : undefined;
  // The status is written out, not bound: the planner must see it to use a partial index.
  const [where, order] =
    which === 'expired'
      ? [and(sql`${jobs.status} = 'running'`, lt(jobs.lockedUntil, now), ofKinds), [asc(jobs.lockedUntil), asc(jobs.id)]]
      : [and(sql`${jobs.status} = 'pending'`, lte(jobs.runAt, now), ofKinds), kinds?.length === 1 ? [asc(jobs.kind), asc(jobs.runAt), asc(jobs.id)] : [asc(jobs.runAt), asc(jobs.id)]];
  return db
    .select({ id: jobs.id })
    .from(jobs)
    .where(where)
    .orderBy(...order)
    .limit(limit);
}
