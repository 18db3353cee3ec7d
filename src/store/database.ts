import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Clock } from '../shared/clock.js';
import { TallyError } from '../shared/errors.js';
import { lockDataDir, type DataDirLock } from './datadir-lock.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
/** A database or a transaction: services take this and never care which driver is underneath. */
export type Db = PgDatabase<PgQueryResultHKT, Schema>;

export type DatabaseKind = 'pglite' | 'postgres';

export interface Database {
  readonly kind: DatabaseKind;
  readonly db: Db;
  /** A short description for logs: the data directory or the server (without credentials). */
  readonly where: string;
  /** Answers when the database answers (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type DatabaseTarget =
  | { kind: 'pglite'; dataDir: string | null /* null = in memory */; loadDataDir?: Blob; lock?: boolean }
  | { kind: 'postgres'; url: string; poolSize?: number };

export async function openDatabase(target: DatabaseTarget, clock: Clock): Promise<Database> {
  return target.kind === 'pglite' ? openPglite(target, clock) : openPostgres(target);
}

async function openPglite(
  target: Extract<DatabaseTarget, { kind: 'pglite' }>,
  clock: Clock,
): Promise<Database> {
  let lock: DataDirLock | null = null;
  if (target.dataDir !== null && target.lock !== false) lock = lockDataDir(target.dataDir, clock.now());
  try {
    const client = await PGlite.create({
      ...(target.dataDir !== null ? { dataDir: target.dataDir } : {}),
      ...(target.loadDataDir ? { loadDataDir: target.loadDataDir } : {}),
      relaxedDurability: false,
    });
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return {
      kind: 'pglite',
      db,
      where: target.dataDir ?? 'memory',
      ping: async () => {
        await client.query('select 1');
      },
      close: async () => {
        try {
          if (!client.closed) await client.close();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres';
  }
}

async function openPostgres(target: Extract<DatabaseTarget, { kind: 'postgres' }>): Promise<Database> {
  const pool = new pg.Pool({ connectionString: target.url, max: target.poolSize ?? 10 });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  // Nor may a checked-out one (inside a transaction): pg-pool removes its own listener while a client is
  // out, and an 'error' event without a listener would end the process when the server drops the session
  // (a failover, pg_terminate_backend). The running query still rejects, and the broken client is discarded
  // on release instead of going back to the pool.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  try {
    const c = await pool.connect();
    c.release();
  } catch (e) {
    await pool.end().catch(() => {});
    throw new TallyError('unavailable', 'database_unavailable', `Cannot connect to PostgreSQL at ${redact(target.url)}: ${(e as Error).message}`, { cause: e });
  }
  const db = drizzlePg(pool, { schema }) as unknown as Db;
  let closed = false;
  return {
    kind: 'postgres',
    db,
    where: redact(target.url),
    ping: async () => {
      await db.execute(sql`select 1`);
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}

/** True when the PGlite directory already holds a database cluster (a later start, not the first). */
export function pgliteDirInitialized(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
