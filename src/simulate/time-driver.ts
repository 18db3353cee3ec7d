/**
 * Moves a simulation's clock forward the way time passes in production: every job runs at its own run
 * time (a period roll-over at the period end, its invoice after the grace period), in time order, and
 * usage events are sent when their timestamps come, between those jobs — so each job and each ingestion
 * sees the clock it would see under a real worker and a real instance, not just the final instant.
 */
import { and, desc, eq, isNotNull, lte, min, notInArray } from 'drizzle-orm';
import type { JobLogger, JobRegistry } from '../jobs/index.js';
import { runDueJobs } from '../jobs/index.js';
import type { ManualClock } from '../shared/clock.js';
import type { Db } from '../store/database.js';
import { jobs } from '../store/schema.js';

const utcDay = (d: Date): string => d.toISOString().slice(0, 10);

/** A job that failed while the scenario ran: the simulation stops rather than print a wrong bill. */
export class JobFailedError extends Error {
  constructor(
    readonly kind: string,
    readonly at: Date,
    cause: unknown,
  ) {
    super(`job ${kind} failed at ${at.toISOString()}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'JobFailedError';
  }
}

/** A usage event waiting for its timestamp. */
export interface QueuedEvent {
  readonly timestamp: Date;
  /** Arrival order, to keep events of one instant in the order the scenario lists them. */
  readonly seq: number;
}

/** Sends a batch of events whose time has come (all at or before the clock). */
export type Deliver<E extends QueuedEvent> = (batch: readonly E[]) => Promise<void>;

interface Failure {
  kind: string;
  err: unknown;
}

export class TimeDriver<E extends QueuedEvent> {
  private readonly stepped: string[];
  private failure: Failure | null = null;
  private readonly logger: JobLogger;
  private queue: E[] = [];

  constructor(
    private readonly db: Db,
    private readonly clock: ManualClock,
    private readonly registry: JobRegistry,
    private readonly deliver: Deliver<E>,
    private readonly maxBatch: number,
  ) {
    // Housekeeping that recurs every hour (idempotency-key pruning) bills nothing; stepping through each
    // of its slots would only make a month cost 720 rounds. It still runs whenever the clock stops.
    this.stepped = registry.recurring().map((r) => r.kind);
    const capture = (obj: unknown) => {
      const o = obj as { kind?: string; err?: unknown };
      if (o && typeof o === 'object' && 'err' in o) this.failure ??= { kind: o.kind ?? 'unknown', err: o.err };
    };
    const quiet = () => {};
    this.logger = { debug: quiet, info: quiet, warn: capture, error: capture } as unknown as JobLogger;
  }

  /** Queues events; each is sent once the clock reaches its timestamp (at once when it already has). */
  enqueue(events: readonly E[]): void {
    this.queue = [...this.queue, ...events].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime() || a.seq - b.seq);
  }

  /** Events not sent yet (their time is after the clock). */
  pending(): readonly E[] {
    return this.queue;
  }

  /** The earliest pending job (other than recurring housekeeping) due at or before `until`, if any. */
  async nextJobAt(until?: Date): Promise<Date | null> {
    const [r] = await this.db
      .select({ at: min(jobs.runAt) })
      .from(jobs)
      .where(and(eq(jobs.status, 'pending'), this.stepped.length ? notInArray(jobs.kind, this.stepped) : undefined, until ? lte(jobs.runAt, until) : undefined));
    return r?.at ?? null;
  }

  /** Runs every job due now; throws JobFailedError when one fails. Returns how many ran. */
  async runDue(): Promise<number> {
    this.failure = null;
    const r = await runDueJobs({ db: this.db, clock: this.clock, registry: this.registry, logger: this.logger, workerId: 'simulate' });
    if (r.failed > 0) {
      const f = this.failure ?? (await this.lastFailure());
      throw new JobFailedError(f.kind, this.clock.now(), f.err);
    }
    return r.ran;
  }

  private async lastFailure(): Promise<Failure> {
    const [row] = await this.db.select({ kind: jobs.kind, err: jobs.lastError }).from(jobs).where(isNotNull(jobs.lastError)).orderBy(desc(jobs.updatedAt)).limit(1);
    return { kind: row?.kind ?? 'unknown', err: row?.err ?? 'unknown error' };
  }

  /**
   * Moves the clock to `to`. On the way it stops at each pending job's run time to run what is due, and
   * sends the queued events in between, a UTC day's worth at a time, received at the time of the day's
   * last event (events already in the past go at once; a job at the same instant as an event runs first).
   */
  async advanceTo(to: Date): Promise<void> {
    for (;;) {
      const nextJob = await this.nextJobAt(to);
      const first = this.queue[0];
      const eventDue = first !== undefined && first.timestamp <= to && (nextJob === null || first.timestamp < nextJob);
      if (eventDue) {
        // One batch per UTC day (the grain usage is kept in), so a billing limit sees usage build up day by day.
        const day = utcDay(first.timestamp);
        const fits = (e: E) => e.timestamp <= to && (nextJob === null || e.timestamp < nextJob) && (e.timestamp <= this.clock.now() || utcDay(e.timestamp) === day);
        let n = 1;
        while (n < this.queue.length && n < this.maxBatch && fits(this.queue[n]!)) n++;
        const batch = this.queue.slice(0, n);
        this.queue = this.queue.slice(n);
        const last = batch[batch.length - 1]!.timestamp;
        if (last > this.clock.now()) this.clock.set(last);
        await this.deliver(batch);
        continue;
      }
      if (nextJob === null) break;
      if (nextJob > this.clock.now()) this.clock.set(nextJob);
      // A due job that nothing claims would loop here for ever; it means the job table is not as expected.
      if ((await this.runDue()) === 0) throw new Error(`a job due at ${nextJob.toISOString()} was not run by the job runner`);
    }
    if (to > this.clock.now()) this.clock.set(to);
    await this.runDue();
  }
}
