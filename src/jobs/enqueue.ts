import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../billing/context.js';
import { invalid } from '../shared/errors.js';
import { newId } from '../shared/ids.js';
import { bulkInsert } from '../store/bulk-insert.js';
import { jobs } from '../store/schema.js';

export interface NewJob {
  kind: string;
  payload: Record<string, unknown>;
  /** When the job becomes due; now when omitted. */
  runAt?: Date;
  /**
   * Makes enqueueing the same logical job twice a no-op, e.g. `trial_expiry:cus_…:<instant>`. Keys are
   * unique for as long as the row exists: once pruneFinishedJobs removes a finished job its key is free again.
   */
  dedupeKey?: string;
  maxAttempts?: number;
}

export const DEFAULT_MAX_ATTEMPTS = 10;

/** The row of a new job, checked: every enqueue path goes through here. */
function jobValues(job: NewJob, now: Date) {
  if (!job.kind) throw invalid('job_kind_missing', 'A job needs a kind.', 'kind');
  const maxAttempts = job.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw invalid('job_max_attempts_invalid', `maxAttempts must be a positive integer, got ${maxAttempts}.`, 'maxAttempts');
  }
  const runAt = job.runAt ?? now;
  if (Number.isNaN(runAt.getTime())) throw invalid('job_run_at_invalid', 'runAt is not a valid date.', 'runAt');
  const values = {
    kind: job.kind,
    dedupeKey: job.dedupeKey ?? null,
    payload: job.payload,
    status: 'pending' as const,
    runAt,
    attempts: 0,
    maxAttempts,
    createdAt: now,
    updatedAt: now,
  };
  return values;
}

/**
 * Adds a job. Uses ctx.db, so called inside the caller's transaction the job exists only if that
 * transaction commits (the transactional-outbox way to schedule follow-up work).
 * With a dedupeKey that is already taken nothing is inserted and the existing job's id is returned.
 */
export async function enqueueJob(ctx: ServiceContext, job: NewJob): Promise<{ id: string; created: boolean }> {
  const now = ctx.clock.now();
  const values = jobValues(job, now);
  if (job.dedupeKey === undefined) {
    const id = newId('job', now);
    await ctx.db.insert(jobs).values({ id, ...values });
    return { id, created: true };
  }
  // The row holding the key may be deleted (pruned) between the conflict and the select: then try again.
  for (let attempt = 0; attempt < 3; attempt++) {
    const id = newId('job', now);
    const inserted = await ctx.db
      .insert(jobs)
      .values({ id, ...values })
      .onConflictDoNothing({ target: jobs.dedupeKey })
      .returning({ id: jobs.id });
    if (inserted.length > 0) return { id, created: true };
    const [existing] = await ctx.db.select({ id: jobs.id }).from(jobs).where(eq(jobs.dedupeKey, job.dedupeKey));
    if (existing) return { id: existing.id, created: false };
  }
  throw new Error(`enqueueJob: dedupe key '${job.dedupeKey}' conflicts but no job holds it`);
}

/**
 * Adds many jobs in one statement (chunked), in the caller's transaction like enqueueJob. A job whose
 * dedupeKey is taken is skipped; returns how many were inserted.
 */
export async function enqueueJobs(ctx: ServiceContext, list: readonly NewJob[]): Promise<number> {
  const now = ctx.clock.now();
  return bulkInsert(
    ctx.db,
    jobs,
    list.map((job) => ({ id: newId('job', now), ...jobValues(job, now) })),
    { onConflictDoNothing: true },
  );
}
