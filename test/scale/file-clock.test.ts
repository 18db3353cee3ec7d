import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/shared/clock.js';
import { clockFromEnv, fileClock, setFileClock } from '../../src/shared/file-clock.js';
import { runTally } from '../support/processes.js';

describe('the test-only file clock', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-clock-'));
  const file = join(dir, 'clock');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the instant in the file on every call and never moves backwards', () => {
    setFileClock(file, '2026-01-01T00:00:00Z');
    const clock = fileClock(file);
    expect(clock.now().toISOString()).toBe('2026-01-01T00:00:00.000Z');
    setFileClock(file, '2026-02-01T00:30:00Z');
    expect(clock.now().toISOString()).toBe('2026-02-01T00:30:00.000Z');
    writeFileSync(file, '2025-12-31T00:00:00Z');
    expect(clock.now().toISOString()).toBe('2026-02-01T00:30:00.000Z');
    writeFileSync(file, 'not a time');
    expect(() => clock.now()).toThrow(/does not hold an ISO 8601 instant/);
  });

  it('is off unless TALLY_TEST_CLOCK_FILE is set, announced when on, and refused in production', () => {
    expect(clockFromEnv({})).toBe(systemClock);
    setFileClock(file, '2026-03-01T00:00:00Z');
    const warnings: string[] = [];
    expect(clockFromEnv({ TALLY_TEST_CLOCK_FILE: file }, (m) => warnings.push(m)).now().toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(warnings[0]).toMatch(/test clock in use/);
    expect(() => clockFromEnv({ TALLY_TEST_CLOCK_FILE: file, NODE_ENV: 'production' })).toThrow(/tests only/);
  });

  it('`tally worker` started with it under NODE_ENV=production refuses to start', async () => {
    setFileClock(file, '2026-03-01T00:00:00Z');
    const p = runTally(['worker'], { TALLY_TEST_CLOCK_FILE: file, NODE_ENV: 'production', TALLY_DATA_DIR: join(dir, 'data') });
    expect(await p.exited).not.toBe(0);
    expect(p.output()).toMatch(/TALLY_TEST_CLOCK_FILE is for tests only/);
  }, 60_000);
});
