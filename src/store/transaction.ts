import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Db } from './database.js';
import * as schema from './schema.js';

/** SQLSTATEs after which the whole transaction may simply run again. */
const RETRYABLE = new Set(['40001' /* serialization_failure */, '40P01' /* deadlock_detected */]);

function sqlState(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

// Messages of node-postgres when the socket died (no SQLSTATE: the server never answered).
const CONNECTION_LOST = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|ECONNRESET|ECONNREFUSED|EPIPE/;

/**
 * True when the database connection failed rather than the statement: the server shut the session down
 * (class 57P, e.g. pg_terminate_backend), a connection exception (class 08), or the socket died. Whatever
 * the transaction did was rolled back (or, if the connection died during COMMIT, may have committed), so
 * the request is reported as unavailable and may be retried — with its Idempotency-Key, safely.
 */
export function isConnectionLost(e: unknown): boolean {
  const state = sqlState(e);
  if (state !== undefined) return state.startsWith('08') || state.startsWith('57P');
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur; i++) {
    const message = (cur as { message?: unknown }).message;
    const code = (cur as { code?: unknown }).code;
    if ((typeof message === 'string' && CONNECTION_LOST.test(message)) || (typeof code === 'string' && CONNECTION_LOST.test(code))) return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * True for PostgreSQL's data exceptions (class 22): a value the database cannot take or compare, such as
 * text with a NUL character or a number out of its column's range. They come from input that passed the
 * schema, so they are the caller's error, not the server's.
 */
export function isDataException(e: unknown): boolean {
  return sqlState(e)?.startsWith('22') ?? false;
}

export function isUniqueViolation(e: unknown): boolean {
  return sqlState(e) === '23505';
}

/**
 * Runs `fn` in one transaction: all of it commits or none of it does. Every service that writes more
 * than one row goes through here. Serialization failures and deadlocks (PostgreSQL under concurrency)
 * are retried a few times; `fn` must therefore not have side effects outside the database.
 */
export async function inTransaction<T>(db: Db, fn: (tx: Db) => Promise<T>, attempts = 4): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await transactionOnce(db, fn);
    } catch (e) {
      const state = sqlState(e);
      if (attempt >= attempts || state === undefined || !RETRYABLE.has(state)) throw e;
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt));
    }
  }
}

// A Drizzle database bound to one pooled connection, kept per connection (the pool reuses them).
const boundToClient = new WeakMap<pg.PoolClient, Db>();

/**
 * One transaction. On a node-postgres pool the connection is checked out here rather than by Drizzle,
 * whose pool transaction sends BEGIN before its try/finally: a connection that died in the pool (the server
 * restarted, pg_terminate_backend) fails at BEGIN and would never be released, until every request waits
 * on an exhausted pool. Here it is always released — and discarded when the connection is what failed.
 */
async function transactionOnce<T>(db: Db, fn: (tx: Db) => Promise<T>): Promise<T> {
  const pool = (db as unknown as { $client?: unknown }).$client;
  if (!(pool instanceof pg.Pool)) return db.transaction(async (tx) => fn(tx as unknown as Db));
  const client = await pool.connect();
  let failure: unknown;
  try {
    let bound = boundToClient.get(client);
    if (!bound) boundToClient.set(client, (bound = drizzlePg(client, { schema }) as unknown as Db));
    return await bound.transaction(async (tx) => fn(tx as unknown as Db));
  } catch (e) {
    failure = e;
    throw e;
  } finally {
    client.release(failure !== undefined && isConnectionLost(failure) ? (failure as Error) : undefined);
  }
}
