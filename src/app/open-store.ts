import type { Clock } from '../shared/clock.js';
import type { Database, DatabaseTarget } from '../store/database.js';
import { openMigrated } from '../store/migrate.js';
import type { Settings } from './settings.js';

/** The configured database: PostgreSQL when DATABASE_URL is set, else PGlite in the data directory. */
export function databaseTarget(settings: Settings): DatabaseTarget {
  return settings.databaseUrl ? { kind: 'postgres', url: settings.databaseUrl, poolSize: settings.dbPoolSize } : { kind: 'pglite', dataDir: settings.dataDir };
}

/** Opens the configured database and migrates it. */
export async function openStore(settings: Settings, clock: Clock): Promise<Database> {
  return openMigrated(databaseTarget(settings), clock);
}
