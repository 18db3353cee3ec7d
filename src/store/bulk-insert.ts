import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import { arrayParam } from './array-params.js';
import type { Db } from './database.js';

/**
 * Inserts many rows as ONE short statement: one array parameter per column, spread by unnest(). A batch of
 * a thousand rows of twenty columns is then 20 parameters instead of 20,000, which PostgreSQL parses, binds
 * and plans in a fraction of the time (multi-row VALUES spends more time there than in the insert itself).
 * Every row must name the same columns (those the first row names); values go through each column's own
 * driver mapping, so rows are the table's insert type. With `onConflictDoNothing`, rows that would violate
 * a unique index are skipped; the result is how many rows were inserted.
 */
export async function bulkInsert<T extends PgTable>(db: Db, table: T, rows: readonly T['$inferInsert'][], options: { onConflictDoNothing?: boolean } = {}): Promise<number> {
  const statement = bulkInsertStatement(table, rows, options);
  return statement ? affectedRows(await db.execute(statement)) : 0;
}

/**
 * bulkInsert's statement, built but not run (null for no rows): a caller holding a contended lock builds
 * its statements first and runs them once it holds the lock.
 */
export function bulkInsertStatement<T extends PgTable>(table: T, rows: readonly T['$inferInsert'][], options: { onConflictDoNothing?: boolean } = {}): SQL | null {
  const first = rows[0];
  if (!first) return null;
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(first).filter((k) => all[k] !== undefined);
  const columns = keys.map((k) => all[k] as PgColumn);
  rows.forEach((row, i) => {
    for (const k of keys) if (!(k in row)) throw new Error(`bulkInsert into ${tableName(table)}: row ${i} lacks '${k}'`);
  });
  const names = sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const unnested = sql.join(
    columns.map((c, i) => arrayParam(c, rows.map((row) => (row as Record<string, unknown>)[keys[i] as string]))),
    sql`, `,
  );
  const conflict: SQL = options.onConflictDoNothing ? sql` on conflict do nothing` : sql``;
  return sql`insert into ${table} (${names}) select * from unnest(${unnested})${conflict}`;
}

const tableName = (t: PgTable): string => (t as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')] ?? 'table';

/** Rows changed, as both drivers report it (node-postgres `rowCount`, PGlite `affectedRows`). */
function affectedRows(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return Number(r.rowCount ?? r.affectedRows ?? 0);
}
