import type { Logger } from '../app/logger.js';
import { systemActor, type ServiceContext } from '../billing/context.js';
import type { Clock } from '../shared/clock.js';
import type { Db } from '../store/database.js';
import { failJob, succeedJob, succeedJobs } from './complete.js';
import { ensureRecurring } from './recurring.js';
import type { JobRegistry } from './registry.js';
import type { BatchJobHandler, ClaimedJob } from './types.js';

export type JobLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface ExecuteDeps {
  db: Db;
  clock: Clock;
  registry: JobRegistry;
  logger?: JobLogger | undefined;
}

/**
 * How one claimed attempt ended: `succeeded`; `retry` (failed, pending again at runAt); `failed` (for
 * good); `lost` (the lease was taken over before we could record the result, which the new holder owns).
 */
export type JobOutcome = { outcome: 'succeeded' } | { outcome: 'retry'; runAt: Date; error: unknown } | { outcome: 'failed'; error: unknown } | { outcome: 'lost'; error?: unknown };

/** The context a handler of `kind` runs with: the runner's database and clock, acting as `job:<kind>`. */
export function jobContext(db: Db, clock: Clock, kind: string): ServiceContext {
  return { db, clock, actor: systemActor(`job:${kind}`) };
}

/**
 * Runs one claimed job's handler and records the result under the job's lease. Throws only when the
 * database fails while recording; the job then stays leased and is retried once the lease expires.
 */
export async function executeJob(deps: ExecuteDeps, job: ClaimedJob): Promise<JobOutcome> {
  const { db, clock, logger } = deps;
  const log = { jobId: job.id, kind: job.kind, attempt: job.attempts, maxAttempts: job.maxAttempts, workerId: job.lockedBy };
  const registered = deps.registry.get(job.kind);

  const giveUp = async (error: Error): Promise<JobOutcome> => {
    const r = await failJob(db, clock, job, error, { permanent: true });
    if (r.outcome === 'lost') return { outcome: 'lost', error };
    logger?.error({ ...log, err: error }, `job ${job.kind} failed for good`);
    return { outcome: 'failed', error };
  };
  if (!registered) {
    const known = deps.registry.list();
    return giveUp(new Error(`No handler is registered for job kind '${job.kind}' (this worker knows: ${known.length ? known.join(', ') : 'none'}).`));
  }
  // Only a lease that expired can push attempts past the maximum: the last attempt's worker died or
  // overran its lease. Running again would retry without end a job that kills its worker.
  if (job.attempts > job.maxAttempts) {
    return giveUp(new Error(`The lease of the final attempt (${job.maxAttempts} of ${job.maxAttempts}) expired before it finished: its worker stopped or overran the lease.`));
  }

  const ctx = jobContext(db, clock, job.kind);
  try {
    // Enqueue the next occurrence before running this one, so a crash mid-run cannot end the chain.
    if (registered.everyMs !== undefined) await ensureRecurring(ctx, job.kind, registered.everyMs);
    await registered.handler(ctx, job.payload, job);
  } catch (error) {
    const r = await failJob(db, clock, job, error);
    if (r.outcome === 'retry') {
      logger?.warn({ ...log, err: error, retryAt: r.runAt.toISOString() }, `job ${job.kind} failed; will retry`);
      return { outcome: 'retry', runAt: r.runAt, error };
    }
    if (r.outcome === 'failed') {
      logger?.error({ ...log, err: error }, `job ${job.kind} failed for good after ${job.attempts} attempt(s)`);
      return { outcome: 'failed', error };
    }
    logger?.warn({ ...log, err: error }, `job ${job.kind} failed after its lease was taken over; result dropped`);
    return { outcome: 'lost', error };
  }
  if (await succeedJob(db, clock, job)) {
    logger?.debug(log, `job ${job.kind} succeeded`);
    return { outcome: 'succeeded' };
  }
  logger?.warn(log, `job ${job.kind} finished after its lease was taken over; result dropped (the handler must be idempotent)`);
  return { outcome: 'lost' };
}

/**
 * Runs claimed jobs in order. Consecutive jobs of a kind registered with `batch` run together through the
 * batch handler, up to its `max` at a time, and are marked succeeded in one statement; when a batch throws,
 * its jobs run one by one through executeJob, so each failure is recorded against its own job only.
 * Returns each job's outcome, by job id.
 */
export async function executeJobs(deps: ExecuteDeps, claimed: readonly ClaimedJob[]): Promise<Map<string, JobOutcome>> {
  const outcomes = new Map<string, JobOutcome>();
  for (let i = 0; i < claimed.length; ) {
    const first = claimed[i] as ClaimedJob;
    const batch = deps.registry.get(first.kind)?.batch;
    let j = i + 1;
    if (batch) while (j < claimed.length && j - i < batch.max && (claimed[j] as ClaimedJob).kind === first.kind) j++;
    const group = claimed.slice(i, j);
    i = j;
    // A job past its attempts is given up one by one, below; so is a group of one.
    if (batch && group.length > 1 && group.every((g) => g.attempts <= g.maxAttempts)) {
      const done = await tryBatch(deps, batch.handler, group);
      if (done) {
        for (const g of group) outcomes.set(g.id, done.has(g.id) ? { outcome: 'succeeded' } : { outcome: 'lost' });
        continue;
      }
    }
    for (const g of group) outcomes.set(g.id, await executeJob(deps, g));
  }
  return outcomes;
}

async function tryBatch(deps: ExecuteDeps, handler: BatchJobHandler, group: readonly ClaimedJob[]): Promise<Set<string> | null> {
  const kind = (group[0] as ClaimedJob).kind;
  deps.logger?.debug({ kind, jobs: group.length }, `job batch ${kind} of ${group.length} started`);
  try {
    await handler(jobContext(deps.db, deps.clock, kind), group);
  } catch (error) {
    deps.logger?.warn({ kind, jobs: group.length, err: error }, `job batch of ${group.length} ${kind} failed; running its jobs one by one`);
    return null;
  }
  const done = await succeedJobs(deps.db, deps.clock, group);
  for (const g of group) if (done.has(g.id)) deps.logger?.debug({ jobId: g.id, kind, attempt: g.attempts, workerId: g.lockedBy }, `job ${kind} succeeded`);
  if (done.size < group.length) deps.logger?.warn({ kind, lost: group.length - done.size }, `job batch ${kind}: some leases were taken over; their results were dropped`);
  return done;
}
