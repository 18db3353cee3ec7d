import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Clock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { runMigrations } from '../src/store/migrate.js';

export const BENCH_PG_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, migrated PostgreSQL database for one benchmark; dropped again by `drop()`. */
export async function freshPgDatabase(clock: Clock): Promise<{ database: Database; url: string; drop(): Promise<void> }> {
  const name = `tally_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  await admin.query(`create database "${name}"`);
  await admin.end();
  const u = new URL(BENCH_PG_URL);
  u.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: u.toString(), poolSize: 8 }, clock);
  await runMigrations(database);
  return {
    database,
    url: u.toString(),
    async drop() {
      await database.close();
      const a = new pg.Client({ connectionString: BENCH_PG_URL });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (!sortedMs.length) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))] ?? NaN;
}
