import { sql } from 'drizzle-orm';
import { databaseTarget } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { systemClock } from '../../shared/clock.js';
import { openDatabase, type Database } from '../../store/database.js';
import { runMigrations } from '../../store/migrate.js';

async function appliedCount(database: Database): Promise<number> {
  try {
    const r = (await database.db.execute(sql`select count(*)::int as n from drizzle.__drizzle_migrations`)) as unknown as { rows: { n: number }[] };
    return Number(r.rows[0]?.n ?? 0);
  } catch {
    return 0; // no migrations table yet: a fresh database
  }
}

/** `tally migrate`: applies pending migrations and says how many. */
export async function migrateCommand(): Promise<void> {
  const settings = readSettings();
  const database = await openDatabase(databaseTarget(settings), systemClock);
  try {
    const before = await appliedCount(database);
    await runMigrations(database);
    const after = await appliedCount(database);
    process.stdout.write(`Migrated ${database.where}: ${after - before} applied, ${after} in total.\n`);
  } finally {
    await database.close();
  }
}
