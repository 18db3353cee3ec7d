import { and, eq, inArray, lt, or } from 'drizzle-orm';
import type { Db } from '../store/database.js';
import { jobs } from '../store/schema.js';

/** Rows deleted per statement, so pruning a big backlog never holds one long transaction. */
const PRUNE_CHUNK = 10_000;

/**
 * Deletes succeeded jobs that finished before `olderThan`, and failed ones before `failedOlderThan`
 * (default the same); returns how many. Pending and running jobs are never touched. A pruned job's dedupe
 * key becomes free again.
 */
export async function pruneFinishedJobs(db: Db, olderThan: Date, failedOlderThan: Date = olderThan): Promise<number> {
  const done = or(and(eq(jobs.status, 'succeeded'), lt(jobs.finishedAt, olderThan)), and(eq(jobs.status, 'failed'), lt(jobs.finishedAt, failedOlderThan)));
  let total = 0;
  for (;;) {
    const chunk = db.select({ id: jobs.id }).from(jobs).where(done).limit(PRUNE_CHUNK);
    const gone = await db.delete(jobs).where(inArray(jobs.id, chunk)).returning({ id: jobs.id });
    total += gone.length;
    if (gone.length < PRUNE_CHUNK) return total;
  }
}
