import type { Db } from './database.js';

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
      return await db.transaction(async (tx) => fn(tx as unknown as Db));
    } catch (e) {
      const state = sqlState(e);
      if (attempt >= attempts || state === undefined || !RETRYABLE.has(state)) throw e;
      await new Promise((r) => setTimeout(r, 5 * 2 ** attempt));
    }
  }
}
