import type { Clock } from '../shared/clock.js';
import { openDatabase, type Database } from '../store/database.js';
import { runMigrations } from '../store/migrate.js';
import type { Settings } from './settings.js';

/** Opens the configured database (PostgreSQL when DATABASE_URL is set, else PGlite) and migrates it. */
export async function openStore(settings: Settings, clock: Clock): Promise<Database> {
  const database = settings.databaseUrl
    ? await openDatabase({ kind: 'postgres', url: settings.databaseUrl, poolSize: settings.dbPoolSize }, clock)
    : await openDatabase({ kind: 'pglite', dataDir: settings.dataDir }, clock);
  try {
    await runMigrations(database);
  } catch (e) {
    await database.close();
    throw e;
  }
  return database;
}
