import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { enqueueJob } from '../../src/jobs/enqueue.js';
import { workerCommand } from '../../src/cli/commands/worker.js';
import { systemClock } from '../../src/shared/clock.js';
import { runTally } from '../support/processes.js';
import { ctxOf, jobById } from './support.js';

describe('tally worker', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-worker-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('workerCommand opens and migrates the store, runs jobs, and stops cleanly (in process)', async () => {
    const dataDir = join(dir, 'inproc');
    let out = '';
    const running = await workerCommand({
      env: { TALLY_DATA_DIR: dataDir, LOG_LEVEL: 'silent', LOG_FORMAT: 'json' },
      handleSignals: false,
      write: (t) => void (out += t),
    });
    expect(running).not.toBeNull();
    const { worker, database, stop } = running!;
    expect(out).toMatch(/^Tally worker \S+ is running \(PGlite at .*inproc; kinds: [^)]*\bnoop\b[^)]*\bprune_idempotency_keys\b[^)]*\)\n$/);
    expect(existsSync(join(dataDir, 'tally.lock'))).toBe(true);

    const { id } = await enqueueJob(ctxOf(database.db, systemClock), { kind: 'noop', payload: {} });
    worker.wake();
    await vi.waitFor(async () => expect(await jobById(database.db, id)).toMatchObject({ status: 'succeeded', lockedBy: worker.workerId }), { timeout: 10_000 });

    await stop();
    expect(out).toContain('Tally worker stopped.\n');
    expect(existsSync(join(dataDir, 'tally.lock'))).toBe(false); // the database was closed
    await stop(); // idempotent
  }, 60_000);

  it('`tally worker` runs as a process and stops on SIGTERM', async () => {
    const p = runTally(['worker'], { TALLY_DATA_DIR: join(dir, 'proc') });
    await p.waitFor(/Tally worker \S+ is running/, 60_000);
    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
    expect(p.output()).toContain('Tally worker stopped.');
  }, 90_000);
});
