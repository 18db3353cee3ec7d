import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { TallyError } from '../shared/errors.js';

/**
 * PGlite is one process's database: a second process on the same directory silently loses rows. So the
 * data directory carries a lock file naming its owner's PID, taken before PGlite opens it and released on
 * close. A lock left by a dead process (crash, kill -9) is taken over.
 */
export interface DataDirLock {
  readonly path: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  host: string;
  since: string;
}

export const LOCK_FILE = 'tally.lock';

/** Lock files this process holds, so opening the same directory twice in one process is refused too. */
const heldHere = new Set<string>();

function alive(pid: number): boolean {
  // Our own PID in a lock we do not hold: a previous life of this container that reused the PID.
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
  } catch {
    return null; // unreadable or half-written: treated as stale
  }
}

export function lockDataDir(dataDir: string, at: Date): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const mine: LockInfo = { pid: process.pid, host: hostname(), since: at.toISOString() };
  if (heldHere.has(path)) {
    throw new TallyError('conflict', 'data_dir_locked', `The data directory ${dataDir} is already open in this process (lock file ${path}).`);
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify(mine));
      closeSync(fd);
      heldHere.add(path);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          const cur = readLock(path);
          if (cur && cur.pid === mine.pid && cur.since === mine.since) unlinkSync(path);
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(path);
      if (holder && holder.host === mine.host && alive(holder.pid)) {
        throw new TallyError(
          'conflict',
          'data_dir_locked',
          `The data directory ${dataDir} is locked by another Tally process (pid ${holder.pid}, since ${holder.since}; ` +
            `lock file ${path}). PGlite allows one process per directory: stop that process, use another ` +
            `TALLY_DATA_DIR, or set DATABASE_URL to share a PostgreSQL server between processes.`,
        );
      }
      if (holder && holder.host !== mine.host) {
        throw new TallyError(
          'conflict',
          'data_dir_locked',
          `The data directory ${dataDir} is locked by pid ${holder.pid} on host ${holder.host} (lock file ${path}). ` +
            `If that host is gone for good, delete the lock file.`,
        );
      }
      unlinkSync(path); // stale: its process is dead
    }
  }
  throw new TallyError('conflict', 'data_dir_locked', `Could not take the lock ${path}.`);
}
