import type { Clock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import { claimJobs, DEFAULT_LEASE_MS } from './claim.js';
import { executeJobs, jobContext, type JobLogger } from './execute.js';
import { ensureRecurringJobs } from './recurring.js';
import type { JobRegistry } from './registry.js';
import type { ClaimedJob } from './types.js';
import { newWorkerId } from './worker-id.js';

export interface WorkerOptions {
  database: Database;
  clock: Clock;
  registry: JobRegistry;
  logger: JobLogger;
  /** How long to wait between polls when nothing is due. Default 1000. */
  pollMs?: number;
  /** Jobs run at the same time by this worker. Default 1. */
  concurrency?: number;
  workerId?: string;
  leaseMs?: number;
  /** Only claim these kinds (all when omitted; a claimed kind without a handler fails for good). */
  kinds?: readonly string[];
}

export interface RunningWorker {
  readonly workerId: string;
  /** Poll now instead of at the next tick (e.g. right after enqueueing a job due now). */
  wake(): void;
  /** Stops claiming, then waits for the handlers already running. Safe to call more than once. */
  stop(): Promise<void>;
}

/** Recurring kinds are re-ensured at most this often, in case an occurrence was deleted by hand. */
const RECURRING_CHECK_MS = 60_000;

/**
 * A polling worker: claims due jobs (up to `concurrency` at a time) and runs them, polling again as soon
 * as a slot frees and otherwise every `pollMs`. On PGlite run exactly one per process; on PostgreSQL any
 * number of workers in any number of processes may run side by side (claims never overlap).
 */
export function startWorker(options: WorkerOptions): RunningWorker {
  const { database, clock, registry, logger } = options;
  const db = database.db;
  const pollMs = options.pollMs ?? 1000;
  const concurrency = options.concurrency ?? 1;
  if (!(Number.isInteger(concurrency) && concurrency >= 1)) throw new RangeError(`startWorker: concurrency must be a positive integer, got ${concurrency}`);
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const workerId = options.workerId ?? newWorkerId();

  const running = new Set<Promise<void>>();
  let stopping: Promise<void> | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let polling = false;
  let pollAgain = false;
  let currentPoll: Promise<void> = Promise.resolve();
  let recurringCheckedAt: number | null = null;

  const schedule = (ms: number) => {
    if (stopping) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      poll();
    }, ms);
  };

  // One slot runs one job, or one batch of a kind registered with `batch`.
  const run = (unit: readonly ClaimedJob[]) => {
    const first = unit[0] as ClaimedJob;
    const p: Promise<void> = executeJobs({ db, clock, registry, logger }, unit)
      .then(
        () => undefined,
        (e: unknown) => logger.error({ err: e, jobId: first.id, kind: first.kind, jobs: unit.length, workerId }, 'job worker: recording a job result failed; the job is retried when its lease expires'),
      )
      .finally(() => {
        running.delete(p);
        // A slot is free: take the next due job without waiting for the tick, but after a turn of the event
        // loop. On PGlite a job's queries resolve without I/O, so chaining jobs directly would hold the loop
        // for a whole backlog (a month's period closes), starving HTTP requests and log writes in this process.
        setImmediate(poll);
      });
    running.add(p);
  };

  const pollOnce = async () => {
    const now = clock.now().getTime();
    if (recurringCheckedAt === null || now - recurringCheckedAt >= RECURRING_CHECK_MS) {
      await ensureRecurringJobs(jobContext(db, clock, 'scheduler'), registry);
      recurringCheckedAt = now;
    }
    const free = concurrency - running.size;
    if (free <= 0) return;
    const claimed = await claimJobs(db, clock, { workerId, limit: free, leaseMs, ...(options.kinds ? { kinds: options.kinds } : {}) });
    for (const job of claimed) {
      const batch = registry.get(job.kind)?.batch;
      // A batchable kind takes more of its due jobs into the same slot.
      const more = batch ? await claimJobs(db, clock, { workerId, limit: batch.max - 1, leaseMs, kinds: [job.kind] }) : [];
      run([job, ...more]);
    }
  };

  function poll(): void {
    if (stopping) return;
    if (polling) {
      pollAgain = true;
      return;
    }
    polling = true;
    currentPoll = (async () => {
      try {
        await pollOnce();
      } catch (e) {
        logger.error({ err: e, workerId }, 'job worker: polling failed; trying again later');
      } finally {
        polling = false;
      }
      if (pollAgain) {
        pollAgain = false;
        poll();
      } else {
        schedule(pollMs);
      }
    })();
  }

  poll();
  return {
    workerId,
    wake: () => poll(),
    stop: () =>
      (stopping ??= (async () => {
        if (timer) clearTimeout(timer);
        timer = null;
        await currentPoll;
        // Handlers finishing now do not poll again (stopping is set); wait until the set is empty.
        while (running.size > 0) await Promise.allSettled([...running]);
      })()),
  };
}
