import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import type { PgliteDatabase } from 'drizzle-orm/pglite';
import type { Clock } from '../shared/clock.js';
import { openDatabase, type Database, type DatabaseTarget, type Schema } from './database.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle', import.meta.url));

// Any constant works; it only has to be the same in every Tally process sharing a server.
const MIGRATION_LOCK_ID = 7_347_001;

/**
 * Applies pending migrations. On PostgreSQL several processes may start at once, so the run holds an
 * advisory lock: the first migrates, the others wait and then find nothing to do.
 */
export async function runMigrations(database: Database): Promise<void> {
  if (database.kind === 'pglite') {
    await migratePglite(database.db as unknown as PgliteDatabase<Schema>, { migrationsFolder: MIGRATIONS_DIR });
    return;
  }
  await database.db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_ID})`);
    await migratePg(tx as unknown as NodePgDatabase<Schema>, { migrationsFolder: MIGRATIONS_DIR });
  });
}

/** Opens `target` and applies pending migrations; a failed migration closes it again. */
export async function openMigrated(target: DatabaseTarget, clock: Clock): Promise<Database> {
  const database = await openDatabase(target, clock);
  try {
    await runMigrations(database);
  } catch (e) {
    await database.close();
    throw e;
  }
  return database;
}
