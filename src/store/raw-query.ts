import { PgTransaction } from 'drizzle-orm/pg-core';
import type { Db } from './database.js';

/** What both drivers' clients (a PGlite instance, a pg.Pool) answer to. */
interface QueryClient {
  query(text: string, params: unknown[]): Promise<{ rows: unknown[] }>;
}

function clientOf(db: Db): QueryClient | null {
  if (db instanceof PgTransaction) return null;
  const client = (db as unknown as { $client?: unknown }).$client;
  return client !== null && typeof client === 'object' && typeof (client as QueryClient).query === 'function' ? (client as QueryClient) : null;
}

/**
 * One parameterized read straight through the driver, for a hot path. Drizzle's PGlite session passes
 * custom type parsers with every query, which roughly doubles PGlite's per-query cost and its garbage;
 * this skips that. Rows come with the driver's default parsing (int4 → number, text → string; do not
 * select timestamps or numerics here). Null when `db` is a transaction or exposes no client: use Drizzle then.
 */
export async function rawRows<T>(db: Db, text: string, params: readonly unknown[]): Promise<T[] | null> {
  const client = clientOf(db);
  if (!client) return null;
  return (await client.query(text, [...params])).rows as T[];
}
