import type { ServiceContext } from '../billing/context.js';
import type { jobs } from '../store/schema.js';

export type JobRow = typeof jobs.$inferSelect;
export type JobStatus = JobRow['status'];

/** A job as returned by claimJobs: leased to `lockedBy` until `lockedUntil`, for attempt number `attempts`. */
export type ClaimedJob = JobRow & { status: 'running'; lockedBy: string; lockedUntil: Date };

/**
 * Does the work of one job kind.
 *
 * Handlers must be idempotent: a job may run more than once — when a worker dies (or its lease runs out)
 * after the handler committed but before the job was marked succeeded, the next worker runs it again.
 * Do the work inside a transaction (`inTransaction(ctx.db, …)`) so a throw leaves nothing half-written,
 * and make the second run see the first one's result (a status check, a unique key) and do nothing.
 * A throw fails this attempt: the job is retried with backoff until its maxAttempts.
 */
export type JobHandler = (ctx: ServiceContext, payload: unknown, job: JobRow) => Promise<void>;

/**
 * Does the work of many jobs of one kind at once, in one transaction: all of it commits or none does.
 * The same idempotency rules as JobHandler apply to each job.
 */
export type BatchJobHandler = (ctx: ServiceContext, jobs: readonly JobRow[]) => Promise<void>;
