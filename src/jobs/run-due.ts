import type { Clock } from '../shared/clock.js';
import type { Db } from '../store/database.js';
import { claimJobs } from './claim.js';
import { executeJobs, jobContext, type JobLogger } from './execute.js';
import { ensureRecurringJobs } from './recurring.js';
import type { JobRegistry } from './registry.js';
import { newWorkerId } from './worker-id.js';

export interface RunDueDeps {
  db: Db;
  clock: Clock;
  registry: JobRegistry;
  workerId?: string;
  logger?: JobLogger;
}

export interface RunDueOptions {
  /** At most this many claim rounds (a guard against jobs that keep enqueueing due jobs). Default 1000. */
  maxRounds?: number;
  /** Jobs claimed per round. Default 500. */
  batchSize?: number;
}

/**
 * Runs every job due at clock.now(), in due order (batchable kinds a run at a time), including jobs that those jobs enqueue
 * and that are due too, until nothing is due or maxRounds is reached. Retries land after now, so they
 * wait for the clock to move: with a ManualClock the result is deterministic, which is what tests and
 * `tally simulate` need (set the clock, runDueJobs, assert). Recurring kinds get their next occurrence
 * enqueued first. `ran` counts attempts; `failed` counts the attempts among them that failed (to be
 * retried or for good) or whose lease was lost.
 */
export async function runDueJobs(deps: RunDueDeps, options: RunDueOptions = {}): Promise<{ ran: number; failed: number }> {
  const { db, clock, registry } = deps;
  const workerId = deps.workerId ?? newWorkerId('run-due');
  const maxRounds = options.maxRounds ?? 1000;
  const batchSize = options.batchSize ?? 500;
  await ensureRecurringJobs(jobContext(db, clock, 'scheduler'), registry);
  let ran = 0;
  let failed = 0;
  for (let round = 0; round < maxRounds; round++) {
    const claimed = await claimJobs(db, clock, { workerId, limit: batchSize });
    if (claimed.length === 0) break;
    // Kinds registered with `batch` run a claimed run of their jobs together (e.g. a month's roll-overs).
    const outcomes = await executeJobs({ db, clock, registry, logger: deps.logger }, claimed);
    for (const r of outcomes.values()) {
      ran++;
      if (r.outcome !== 'succeeded') failed++;
    }
  }
  return { ran, failed };
}
