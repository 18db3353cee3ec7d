/**
 * A fresh in-memory database per simulation. Migrating a new PGlite takes seconds; loading a dump of an
 * already migrated one takes a fraction of that, so the dump is cached on disk, keyed by a hash of the
 * migrations (a new migration makes a new template; stale ones are removed).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PGlite } from '@electric-sql/pglite';
import type { Clock } from '../shared/clock.js';
import { openDatabase, type Database } from '../store/database.js';
import { MIGRATIONS_DIR, openMigrated } from '../store/migrate.js';

const CACHE_DIR = fileURLToPath(new URL('../../node_modules/.cache/tally-sim/', import.meta.url));

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return h.digest('hex').slice(0, 16);
}

const migratedInMemory = (clock: Clock): Promise<Database> => openMigrated({ kind: 'pglite', dataDir: null }, clock);

/** Writes the template; a read-only install just goes without the cache (each run then migrates). */
async function saveTemplate(database: Database, file: string): Promise<void> {
  try {
    mkdirSync(CACHE_DIR, { recursive: true });
    const client = (database.db as unknown as { $client: PGlite }).$client;
    const dump = await client.dumpDataDir('gzip');
    // Written aside and renamed: a concurrent run never loads a half-written file.
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
    renameSync(tmp, file);
    for (const f of readdirSync(CACHE_DIR)) {
      if (f.startsWith('pglite-') && f.endsWith('.tar.gz') && join(CACHE_DIR, f) !== file) rmSync(join(CACHE_DIR, f), { force: true });
    }
  } catch {
    // The cache only saves time.
  }
}

/** A migrated, empty, in-memory database private to the caller. */
export async function openSimulationDatabase(clock: Clock): Promise<Database> {
  const file = join(CACHE_DIR, `pglite-${migrationsHash()}.tar.gz`);
  if (existsSync(file)) {
    try {
      return await openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: new Blob([readFileSync(file)]) }, clock);
    } catch {
      rmSync(file, { force: true }); // a damaged template: rebuild it below
    }
  }
  const database = await migratedInMemory(clock);
  await saveTemplate(database, file);
  return database;
}
