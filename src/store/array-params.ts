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
function toArrayElement(column: PgColumn, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const mapped = column.mapToDriverValue(value);
  if (mapped === null || mapped === undefined) return null;
  if (typeof mapped === 'string') return mapped;
  if (mapped instanceof Date) return mapped.toISOString();
  if (typeof mapped === 'object') return JSON.stringify(mapped);
  return String(mapped as number | bigint | boolean);
}

/** JSON escapes that mean something else (or nothing) inside an array literal: \n, \t, \u0000 and so on. */
const JSON_ONLY_ESCAPE = /\\[bfnrtu]/;

/** `{"a","b",NULL}`: every element quoted (so commas, braces and spaces are plain text), `"` and `\` escaped. */
export function arrayLiteral(elements: readonly (string | null)[]): string {
  // Fast path: JSON quotes strings exactly as an array literal does (`"` and `\` backslash-escaped), and an
  // unquoted null is NULL to PostgreSQL. Only its escapes for control characters differ, so with any of
  // those (or a backslash before one of those letters) the literal is built element by element instead.
  const json = JSON.stringify(elements);
  if (!JSON_ONLY_ESCAPE.test(json)) return `{${json.slice(1, -1)}}`;
  let out = '{';
  for (let i = 0; i < elements.length; i++) {
    if (i > 0) out += ',';
    const e = elements[i];
    out += e === null || e === undefined ? 'NULL' : `"${e.replace(/[\\"]/g, '\\$&')}"`;
  }
  return `${out}}`;
}
