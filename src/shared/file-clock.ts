/**
 * TEST ONLY. A clock that several real processes share: each reads "now" from a file holding one ISO 8601
 * instant, so a test can start `tally serve` and `tally worker` processes and move time for all of them
 * at once by rewriting the file (e.g. drive a month of billing in seconds). Enabled by
 * TALLY_TEST_CLOCK_FILE=<path>; refused when NODE_ENV=production, and announced on stderr at start-up, so
 * it cannot be switched on by accident in a real deployment.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { invalid } from './errors.js';
import { systemClock, type Clock } from './clock.js';

export const TEST_CLOCK_ENV = 'TALLY_TEST_CLOCK_FILE';

function readInstant(path: string): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8').trim();
  } catch (e) {
    throw new Error(`${TEST_CLOCK_ENV}: cannot read ${path}: ${(e as Error).message}`);
  }
  const t = new Date(text).getTime();
  if (Number.isNaN(t)) throw new Error(`${TEST_CLOCK_ENV}: ${path} does not hold an ISO 8601 instant: '${text.slice(0, 40)}'`);
  return t;
}

/** A clock reading the instant in `path` on every call. It never moves backwards, even if the file does. */
export function fileClock(path: string): Clock {
  let last = readInstant(path);
  return {
    now: () => {
      last = Math.max(last, readInstant(path));
      return new Date(last);
    },
  };
}

/** Sets a file clock's time (atomically: readers never see a half-written file). */
export function setFileClock(path: string, at: Date | string): void {
  const t = new Date(at);
  if (Number.isNaN(t.getTime())) throw new RangeError(`setFileClock: invalid time ${String(at)}`);
  writeFileSync(`${path}.tmp`, t.toISOString());
  renameSync(`${path}.tmp`, path);
}

/** The process's clock: the system clock, or the test clock file when TALLY_TEST_CLOCK_FILE is set. */
export function clockFromEnv(env: NodeJS.ProcessEnv = process.env, warn: (message: string) => void = (m) => void process.stderr.write(`${m}\n`)): Clock {
  const path = env[TEST_CLOCK_ENV];
  if (!path) return systemClock;
  if (env.NODE_ENV === 'production') {
    throw invalid('invalid_setting', `${TEST_CLOCK_ENV} is for tests only and is refused when NODE_ENV=production.`, TEST_CLOCK_ENV);
  }
  const clock = fileClock(path);
  warn(`WARNING: test clock in use: the time is read from ${path} (${TEST_CLOCK_ENV}); never set this in production.`);
  return clock;
}
