import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/shared/clock.js';
import { openDatabase, type Database, type DatabaseKind } from '../../src/store/database.js';
import { runMigrations } from '../../src/store/migrate.js';
import { freshDatabase } from '../support/db.js';

/**
 * A database that real processes can open: a PGlite data directory (one process at a time: the test
 * closes its own handle before starting one) or a PostgreSQL database (shared).
 */
export interface ProcessDb {
  kind: DatabaseKind;
  /** Environment for `tally …` processes: DATABASE_URL or TALLY_DATA_DIR. */
  env: Record<string, string>;
  dir: string;
  /** Runs `fn` with a handle on the database (for PGlite: opened for the call only, so no process may be running). */
  use<T>(fn: (database: Database) => Promise<T>): Promise<T>;
  drop(): Promise<void>;
}

export async function processDb(kind: DatabaseKind): Promise<ProcessDb> {
  const dir = mkdtempSync(join(tmpdir(), 'tally-fault-'));
  if (kind === 'postgres') {
    const database = await freshDatabase('postgres');
    return {
      kind,
      dir,
      env: { DATABASE_URL: database.where },
      use: (fn) => fn(database),
      drop: async () => {
        await database.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const dataDir = join(dir, 'data');
  const first = await openDatabase({ kind: 'pglite', dataDir }, new ManualClock('2026-01-01T00:00:00Z'));
  await runMigrations(first);
  await first.close();
  return {
    kind,
    dir,
    env: { TALLY_DATA_DIR: dataDir },
    async use(fn) {
      const database = await openDatabase({ kind: 'pglite', dataDir }, new ManualClock('2026-01-01T00:00:00Z'));
      try {
        return await fn(database);
      } finally {
        await database.close();
      }
    },
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type Rows<T> = { rows: T[] };
