import { and, inArray, lt } from 'drizzle-orm';
import type { Db } from '../store/database.js';
import { jobs } from '../store/schema.js';

/**
 * Deletes succeeded and failed jobs that finished before `olderThan`; returns how many. Pending and
 * running jobs are never touched. A pruned job's dedupe key becomes free again.
 */
export async function pruneFinishedJobs(db: Db, olderThan: Date): Promise<number> {
  const gone = await db
    .delete(jobs)
    .where(and(inArray(jobs.status, ['succeeded', 'failed']), lt(jobs.finishedAt, olderThan)))
    .returning({ id: jobs.id });
  return gone.length;
}
