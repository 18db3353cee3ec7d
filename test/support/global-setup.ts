/**
 * Builds migrated database templates once per test run, so each test file gets a fresh database fast:
 * - PGlite: a migrated cluster dumped with dumpDataDir (cached on disk by migration hash), loaded per file.
 * - PostgreSQL (TEST_DATABASE_URL): a migrated template database; each file creates its own copy.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { systemClock } from '../../src/shared/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { MIGRATIONS_DIR, runMigrations } from '../../src/store/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
    pgTemplateDb: string | null;
    pgUrl: string | null;
  }
}

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql')).sort()) {
    h.update(f).update(readFileSync(join(MIGRATIONS_DIR, f)));
  }
  return h.digest('hex').slice(0, 16);
}

async function buildPgliteTemplate(hash: string): Promise<string> {
  const dir = join(process.cwd(), 'node_modules', '.cache', 'tally-test');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `pglite-${hash}.tar.gz`);
  if (existsSync(file)) return file;
  const database = await openDatabase({ kind: 'pglite', dataDir: null }, systemClock);
  await runMigrations(database);
  // Reach the PGlite client to dump it: the template is the whole migrated cluster.
  const client = (database.db as unknown as { $client: PGlite }).$client;
  const dump = await client.dumpDataDir('gzip');
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
  renameSync(tmp, file);
  await database.close();
  return file;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function buildPgTemplate(url: string, hash: string): Promise<string> {
  const name = `tally_tpl_${hash}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    // Databases left behind by killed runs: their names carry the creating process's PID, so only
    // those of dead processes are dropped and a concurrent test run keeps its own.
    const stale = await admin.query<{ datname: string }>(`select datname from pg_database where datname like 'tally_t\\_%'`);
    for (const { datname } of stale.rows) {
      const pid = Number(/^tally_t_(\d+)_/.exec(datname)?.[1]);
      if (Number.isInteger(pid) && processAlive(pid)) continue;
      await admin.query(`drop database if exists "${datname}" with (force)`);
    }
    const exists = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount) return name;
    try {
      await admin.query(`create database "${name}_building"`);
    } catch (e) {
      // Another run is building the same template right now: wait for it rather than race it.
      if ((e as { code?: string }).code !== '42P04') throw e;
      for (let i = 0; i < 120; i++) {
        if ((await admin.query('select 1 from pg_database where datname = $1', [name])).rowCount) return name;
        await new Promise((r) => setTimeout(r, 500));
      }
      throw new Error(`template ${name} was not built by the other run within 60 s; drop ${name}_building if it is stale`);
    }
    const u = new URL(url);
    u.pathname = `/${name}_building`;
    const database = await openDatabase({ kind: 'postgres', url: u.toString() }, systemClock);
    await runMigrations(database);
    await database.close();
    await admin.query(`alter database "${name}_building" rename to "${name}"`);
    return name;
  } finally {
    await admin.end();
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const hash = migrationsHash();
  project.provide('pgliteTemplate', await buildPgliteTemplate(hash));
  const url = process.env.TEST_DATABASE_URL || null;
  project.provide('pgUrl', url);
  if (url) {
    project.provide('pgTemplateDb', await buildPgTemplate(url, hash));
  } else {
    project.provide('pgTemplateDb', null);
    console.warn('\n[tally tests] TEST_DATABASE_URL is not set: the PostgreSQL runs of the database suites are skipped (PGlite runs them).\n');
  }
}
