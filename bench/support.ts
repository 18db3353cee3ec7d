import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector';
import { sql, type SQL } from 'drizzle-orm';
import pg from 'pg';
import type { Clock } from '../src/shared/clock.js';
import { openDatabase, type Database } from '../src/store/database.js';
import { runMigrations } from '../src/store/migrate.js';

export const BENCH_PG_URL = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

async function adminQuery(text: string): Promise<pg.QueryResult> {
  const admin = new pg.Client({ connectionString: BENCH_PG_URL });
  await admin.connect();
  try {
    return await admin.query(text);
  } finally {
    await admin.end();
  }
}

/** Whether the PostgreSQL server holds a database of that name. */
export async function pgDatabaseExists(name: string): Promise<boolean> {
  return (await adminQuery(`select 1 from pg_database where datname = '${name.replaceAll("'", "''")}'`)).rowCount === 1;
}

/** Copies database `from` (which nobody may be connected to) as `to`. */
export async function copyPgDatabase(from: string, to: string): Promise<void> {
  // FILE_COPY: the default (WAL_LOG) would write the whole copy through the WAL.
  await adminQuery(`create database "${to}" template "${from}" strategy = file_copy`);
}

/**
 * A fresh, migrated PostgreSQL database for one benchmark, empty or a copy of `template`; dropped again by
 * `drop()`.
 */
export async function freshPgDatabase(clock: Clock, options: { template?: string } = {}): Promise<{ database: Database; name: string; url: string; drop(): Promise<void> }> {
  const name = `tally_bench_${randomBytes(4).toString('hex')}`;
  if (options.template) await copyPgDatabase(options.template, name);
  else await adminQuery(`create database "${name}"`);
  const u = new URL(BENCH_PG_URL);
  u.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: u.toString(), poolSize: 8 }, clock);
  await runMigrations(database);
  return {
    database,
    name,
    url: u.toString(),
    async drop() {
      await database.close();
      await adminQuery(`drop database if exists "${name}" with (force)`);
    },
  };
}

export function percentile(sortedMs: number[], p: number): number {
  if (!sortedMs.length) return NaN;
  return sortedMs[Math.min(sortedMs.length - 1, Math.floor((p / 100) * sortedMs.length))] ?? NaN;
}

/** With a path, profiles this thread until stop() and writes a .cpuprofile there. */
export async function startProfile(path: string | undefined): Promise<{ stop(): Promise<void> }> {
  if (!path) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  const post = (method: string) => new Promise<unknown>((resolve, reject) => session.post(method, (err, res) => (err ? reject(err) : resolve(res))));
  await post('Profiler.enable');
  await post('Profiler.start');
  return {
    async stop() {
      const r = (await post('Profiler.stop')) as { profile: unknown };
      writeFileSync(path, JSON.stringify(r.profile));
      session.disconnect();
    },
  };
}

/**
 * CPU time of the whole machine so far, in clock ticks (Linux /proc/stat; zeros elsewhere): busy (this
 * machine's own work), steal (time the hypervisor gave to other guests) and the total.
 */
export function machineCpu(): { busy: number; steal: number; total: number } {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const steal = f[7] ?? 0;
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0) - steal, steal, total };
  } catch {
    return { busy: 0, steal: 0, total: 0 };
  }
}

type CpuReading = ReturnType<typeof machineCpu>;

/** Percent of all cores busy with this machine's work between two machineCpu() readings. */
export function busyPercent(a: CpuReading, b: CpuReading): number | string {
  return b.total > a.total ? Math.round((100 * (b.busy - a.busy)) / (b.total - a.total)) : 'n/a';
}

/** Percent of all cores' time the hypervisor gave to other guests: high values make every figure lower. */
export function stealPercent(a: CpuReading, b: CpuReading): number | string {
  return b.total > a.total ? Math.round((100 * (b.steal - a.steal)) / (b.total - a.total)) : 'n/a';
}

/** The rows a raw SQL query answers, typed by the caller. */
export const queryRows = async <T = unknown>(db: Database['db'], query: SQL): Promise<T[]> => ((await db.execute(query)) as unknown as { rows: T[] }).rows;

/**
 * BENCH_PG_STATS=1: PostgreSQL's own account of a timed phase, for finding where its share of the CPU
 * goes. Call it before the phase and `print()` after: the top statements by time (pg_stat_statements, which
 * must be in the server's shared_preload_libraries) and the WAL written, by record type (pg_walinspect).
 * Does nothing without the variable.
 */
export async function pgStats(db: Database['db']): Promise<{ print(): Promise<void> }> {
  if (!process.env.BENCH_PG_STATS) return { print: async () => undefined };
  await db.execute(sql`create extension if not exists pg_stat_statements`);
  await db.execute(sql`create extension if not exists pg_walinspect`);
  await db.execute(sql`select pg_stat_statements_reset()`);
  const [start] = await queryRows<{ lsn: string }>(db, sql`select pg_current_wal_lsn()::text as lsn`);
  return {
    async print() {
      console.table(
        await queryRows(
          db,
          sql.raw(`select calls, rows, round(total_exec_time) as exec_ms, round(total_plan_time) as plan_ms, wal_records, left(regexp_replace(query, '\\s+', ' ', 'g'), 140) as query
           from pg_stat_statements order by total_exec_time + total_plan_time desc limit 25`),
        ),
      );
      try {
        console.table(await queryRows(db, sql`select "resource_manager/record_type" as record, count, record_size, fpi_size from pg_get_wal_stats(${start?.lsn ?? '0/0'}::pg_lsn, pg_current_wal_lsn(), true) where count > 0 order by combined_size desc limit 15`));
      } catch (e) {
        console.log(`WAL by record type: not available (${String(e).split('\n')[0]})`);
      }
    },
  };
}

/**
 * Starts `tally <command>` (serve, worker) as its own process with `env` added, and resolves once it prints
 * that it is running. BENCH_CPU_PROFILE_DIR=DIR makes it write a CPU profile there when it stops.
 */
export function startTallyProcess(command: string, env: Record<string, string>): Promise<ChildProcess> {
  const tally = fileURLToPath(new URL('../bin/tally.js', import.meta.url));
  const profile = process.env.BENCH_CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE_DIR}`] : [];
  const child = spawn(process.execPath, [...profile, tally, command], { env: { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('is running')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`tally ${command} exited (${code}) before it ran:\n${out}${err}`)));
  });
}

/** Stops a process started by startTallyProcess (SIGTERM) and waits for it to exit. */
export async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
export function processCpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
  } catch {
    return 0;
  }
}
