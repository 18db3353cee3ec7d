import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
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
  const first = rows[0];
  if (!first) return 0;
  const all = getTableColumns(table) as Record<string, PgColumn>;
  const keys = Object.keys(first).filter((k) => all[k] !== undefined);
  const columns = keys.map((k) => all[k] as PgColumn);
  const arrays = keys.map((k, c) =>
    rows.map((row, i) => {
      if (!(k in row)) throw new Error(`bulkInsert into ${tableName(table)}: row ${i} lacks '${k}'`);
      return toArrayElement(columns[c] as PgColumn, (row as Record<string, unknown>)[k]);
    }),
  );
  const names = sql.join(
    columns.map((c) => sql.identifier(c.name)),
    sql`, `,
  );
  const unnested = sql.join(
    columns.map((c, i) => sql`${sql.param(arrays[i])}::${sql.raw(c.getSQLType())}[]`),
    sql`, `,
  );
  const conflict: SQL = options.onConflictDoNothing ? sql` on conflict do nothing` : sql``;
  const result = await db.execute(sql`insert into ${table} (${names}) select * from unnest(${unnested})${conflict}`);
  return affectedRows(result);
}

function toArrayElement(column: PgColumn, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  const mapped = column.mapToDriverValue(value);
  // Array parameters are sent as text: give bigints and dates their text form on both drivers.
  if (typeof mapped === 'bigint') return mapped.toString();
  if (mapped instanceof Date) return mapped.toISOString();
  if (mapped !== null && typeof mapped === 'object') return JSON.stringify(mapped);
  return mapped;
}

const tableName = (t: PgTable): string => (t as unknown as Record<symbol, string>)[Symbol.for('drizzle:Name')] ?? 'table';

/** Rows changed, as both drivers report it (node-postgres `rowCount`, PGlite `affectedRows`). */
function affectedRows(result: unknown): number {
  const r = result as { rowCount?: number | null; affectedRows?: number };
  return Number(r.rowCount ?? r.affectedRows ?? 0);
}
