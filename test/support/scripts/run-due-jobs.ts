/**
 * A separate process for crash tests: opens the given database, sets a manual clock and runs every due
 * job, printing a line per job so the parent can `kill -9` it partway.
 *   node bin/run-ts.js test/support/scripts/run-due-jobs.ts <pglite-dir | postgres-url> <iso-instant>
 */
import { ManualClock } from '../../../src/shared/clock.js';
import { openDatabase } from '../../../src/store/database.js';
import { executeJob, claimJobs } from '../../../src/jobs/index.js';
import { buildJobRegistry } from '../../../src/jobs/registry-default.js';

const [target, at] = process.argv.slice(2);
if (!target || !at) throw new Error('usage: run-due-jobs.ts <pglite-dir | postgres-url> <iso-instant>');
const clock = new ManualClock(at);
const database = target.startsWith('postgres')
  ? await openDatabase({ kind: 'postgres', url: target }, clock)
  : await openDatabase({ kind: 'pglite', dataDir: target }, clock);
const registry = buildJobRegistry();
const workerId = `crash-test:${process.pid}`;
process.stdout.write('ready\n');
for (;;) {
  const batch = await claimJobs(database.db, clock, { workerId, limit: 1 });
  if (batch.length === 0) break;
  for (const job of batch) {
    await executeJob({ db: database.db, clock, registry }, job);
    process.stdout.write(`done ${job.kind}\n`);
  }
}
process.stdout.write('all done\n');
await database.close();
