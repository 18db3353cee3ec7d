import { invalid } from '../../shared/errors.js';
import { daysInMonth } from './calendar.js';
import { checkDate } from './guards.js';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * A `YYYY-MM-DD` calendar date from a human (order form, CLI, query string) as UTC midnight. Dates that
 * do not exist (`2026-02-30`, `2026-13-01`) are rejected rather than rolled over, as Date would do;
 * the error names `param` so the edge can point at the field.
 */
export function parseDateOnly(value: string, param = 'date'): Date {
  const m = typeof value === 'string' ? DATE_ONLY.exec(value) : null;
  const shown = typeof value === 'string' ? `'${value}'` : String(value);
  if (m === null) throw invalid('invalid_date', `${param} must be a date written YYYY-MM-DD; got ${shown}.`, param);
  const year = Number(m[1]);
  const month0 = Number(m[2]) - 1;
  const day = Number(m[3]);
  if (month0 < 0 || month0 > 11 || day < 1 || day > daysInMonth(year, month0)) {
    throw invalid('invalid_date', `${param} is not a calendar date: ${shown}.`, param);
  }
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  return new Date(new Date(0).setUTCFullYear(year, month0, day));
}

/**
 * The UTC calendar date of `d` as `YYYY-MM-DD` (time of day dropped). Years outside 0000–9999 come out
 * in ISO 8601's expanded form (`+010000-01-01`), which `parseDateOnly` does not accept.
 */
export function formatDateOnly(d: Date): string {
  checkDate(d, 'd');
  const iso = d.toISOString();
  return iso.slice(0, iso.indexOf('T'));
}
