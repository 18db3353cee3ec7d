import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { readSettings } from '../../src/app/settings.js';
import { startTally } from '../../src/app/tally.js';
import { systemActor } from '../../src/billing/context.js';
import { enqueueJob } from '../../src/jobs/index.js';
import { systemClock } from '../../src/shared/clock.js';
import { jobs } from '../../src/store/schema.js';

describe('startTally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-start-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs the job worker inside the serving process, and stops it on close', async () => {
    const settings = readSettings({ TALLY_DATA_DIR: join(dir, 'data'), PORT: '0', TALLY_ADMIN_PASSWORD: 'a-long-test-password' }, process.cwd());
    const tally = await startTally(settings, systemClock, createLogger({ level: 'silent', pretty: false }));
    try {
      expect(tally.firstRun?.owner.email).toBe('owner@tally.local');
      const { id } = await enqueueJob({ db: tally.database.db, clock: systemClock, actor: systemActor('test') }, { kind: 'noop', payload: {} });
      let status = 'pending';
      for (let i = 0; i < 100 && status !== 'succeeded'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        const [row] = await tally.database.db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, id));
        status = row?.status ?? 'missing';
      }
      expect(status).toBe('succeeded');
    } finally {
      await tally.close();
    }
  }, 60_000);
});
