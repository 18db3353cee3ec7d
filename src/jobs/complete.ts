import { arrayParam } from '../store/array-params.js';
import { and, eq, sql } from 'drizzle-orm';
import type { Clock } from '../shared/clock.js';
import type { Db } from '../store/database.js';
import { jobs } from '../store/schema.js';
import { retryDelayMs } from './backoff.js';
import type { ClaimedJob } from './types.js';

/** What identifies one lease: the job, the worker holding it, and which attempt it is. */
export type JobLease = Pick<ClaimedJob, 'id' | 'lockedBy' | 'attempts'>;

export type FailOutcome = { outcome: 'retry'; runAt: Date } | { outcome: 'failed' } | { outcome: 'lost' };

const MAX_ERROR_CHARS = 4_000;

export function describeJobError(error: unknown): string {
  const text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/**
 * Only the current lease may complete a job: a worker whose lease expired and was taken over must not
 * overwrite the new holder's result. The attempt number is part of the guard as well as the worker id, so
 * even a worker that re-claimed its own expired job cannot complete it twice with the older run.
 */
function leaseHeld(lease: JobLease) {
  return and(eq(jobs.id, lease.id), eq(jobs.status, 'running'), eq(jobs.lockedBy, lease.lockedBy), eq(jobs.attempts, lease.attempts));
}

/** Marks the job succeeded. False when the lease was lost (nothing changed). */
export async function succeedJob(db: Db, clock: Clock, lease: JobLease): Promise<boolean> {
  const now = clock.now();
  const done = await db
    .update(jobs)
    .set({ status: 'succeeded', lockedUntil: null, finishedAt: now, updatedAt: now })
    .where(leaseHeld(lease))
    .returning({ id: jobs.id });
  return done.length > 0;
}

/** Marks many jobs succeeded in one statement, each under its own lease; returns the ids that were. */
export async function succeedJobs(db: Db, clock: Clock, leases: readonly JobLease[]): Promise<Set<string>> {
  if (leases.length === 0) return new Set();
  const now = clock.now();
  // Three array parameters however many leases: see arrayParam.
  const held = sql`select * from unnest(${arrayParam(jobs.id, leases.map((l) => l.id))}, ${arrayParam(jobs.lockedBy, leases.map((l) => l.lockedBy))}, ${arrayParam(jobs.attempts, leases.map((l) => l.attempts))})`;
  const done = await db
    .update(jobs)
    .set({ status: 'succeeded', lockedUntil: null, finishedAt: now, updatedAt: now })
    .where(and(eq(jobs.status, 'running'), sql`(${jobs.id}, ${jobs.lockedBy}, ${jobs.attempts}) in (${held})`))
    .returning({ id: jobs.id });
  return new Set(done.map((d) => d.id));
}

/**
 * Records a failed attempt: back to pending after retryDelayMs while attempts remain, else `failed` for
 * good (also at once when `permanent`, e.g. no handler for the kind). `lost` when the lease was lost.
 */
export async function failJob(
  db: Db,
  clock: Clock,
  job: JobLease & Pick<ClaimedJob, 'maxAttempts'>,
  error: unknown,
  options: { permanent?: boolean } = {},
): Promise<FailOutcome> {
  const now = clock.now();
  const lastError = describeJobError(error);
  if (options.permanent || job.attempts >= job.maxAttempts) {
    const done = await db
      .update(jobs)
      .set({ status: 'failed', lockedUntil: null, lastError, finishedAt: now, updatedAt: now })
      .where(leaseHeld(job))
      .returning({ id: jobs.id });
    return done.length > 0 ? { outcome: 'failed' } : { outcome: 'lost' };
  }
  const runAt = new Date(now.getTime() + retryDelayMs(job.id, job.attempts));
  const done = await db
    .update(jobs)
    .set({ status: 'pending', runAt, lockedBy: null, lockedUntil: null, lastError, updatedAt: now })
    .where(leaseHeld(job))
    .returning({ id: jobs.id });
  return done.length > 0 ? { outcome: 'retry', runAt } : { outcome: 'lost' };
}
