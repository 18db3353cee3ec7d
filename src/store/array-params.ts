import { sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';

/**
 * Many values of one column as ONE parameter: a PostgreSQL array literal cast to the column's array type.
 * Batch statements send a handful of parameters however many rows they touch, so neither drizzle (which
 * walks every parameter) nor PostgreSQL (which parses and plans each one) pays per value.
 */
export function arrayParam(column: PgColumn, values: readonly unknown[]): SQL {
  return sql`${arrayLiteral(values.map((v) => toArrayElement(column, v)))}::${sql.raw(column.getSQLType())}[]`;
}

/** `column = any(values)`: inArray for long lists, with the values bound as one array parameter. */
export function anyOf(column: PgColumn, values: readonly unknown[]): SQL {
  return sql`${column} = any(${arrayParam(column, values)})`;
}

/** A value in the text form PostgreSQL reads inside an array literal, through the column's own mapping. */
export function toArrayElement(column: PgColumn, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const mapped = column.mapToDriverValue(value);
  if (mapped === null || mapped === undefined) return null;
  if (typeof mapped === 'string') return mapped;
  if (mapped instanceof Date) return mapped.toISOString();
  if (typeof mapped === 'object') return JSON.stringify(mapped);
  return String(mapped as number | bigint | boolean);
}

const NEEDS_ESCAPE = /["\\]/;

/** `{"a","b",NULL}`: every element quoted (so commas, braces and spaces are plain text), `"` and `\` escaped. */
export function arrayLiteral(elements: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) out += ',';
    const e = elements[i];
    if (e === null || e === undefined) out += 'NULL';
    else out += NEEDS_ESCAPE.test(e) ? `"${e.replace(/[\\"]/g, '\\$&')}"` : `"${e}"`;
  }
  return `${out}}`;
}
