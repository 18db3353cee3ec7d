/**
 * Times in scenarios: absolute instants (`2026-01-31T00:00:00Z`, or a date `2026-01-31` = 00:00 UTC) and
 * durations relative to the scenario's current time (`+3d`, `+1h30m`, `+1mo`). Pure, so the whole
 * timeline of a scenario is known before anything runs.
 */
import { addInterval } from '../core/periods/calendar.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// A zone is required: a scenario must mean the same instant on every machine.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

const FIXED_MS = { w: 7 * 86_400_000, d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 } as const;
type Unit = 'y' | 'mo' | keyof typeof FIXED_MS;

export interface DurationPart {
  readonly amount: number;
  readonly unit: Unit;
}

/** Thrown for a malformed time; the schema turns it into an issue at the field's path. */
export class TimeSyntaxError extends Error {}

/** `2026-01-31` (00:00 UTC) or an ISO date-time with `Z` or an offset → Date. */
export function parseInstant(text: string): Date {
  const s = text.trim();
  if (!DATE_ONLY.test(s) && !DATE_TIME.test(s)) {
    throw new TimeSyntaxError(`'${text}' is not an ISO instant: use 2026-01-31, 2026-01-31T10:00:00Z or an explicit offset (+02:00)`);
  }
  const d = new Date(DATE_ONLY.test(s) ? `${s}T00:00:00Z` : s);
  // Date rolls 2026-02-30 over to March; a scenario date that does not exist is a typo.
  if (Number.isNaN(d.getTime()) || (DATE_ONLY.test(s) && d.toISOString().slice(0, 10) !== s)) {
    throw new TimeSyntaxError(`'${text}' is not a valid date`);
  }
  return d;
}

/**
 * `+1mo2d`, `+36h`, `+0` → its parts in the order written. Units: y (calendar years), mo (calendar months,
 * clamped to the month's end like billing periods), w, d, h, m (minutes), s.
 */
export function parseDuration(text: string): DurationPart[] {
  const s = text.trim();
  if (s === '+0') return [];
  if (!/^\+(?:\d+(?:mo|y|w|d|h|m|s))+$/.test(s)) {
    throw new TimeSyntaxError(`'${text}' is not a duration: use + then numbers with units y, mo, w, d, h, m, s (e.g. +1mo, +3d, +1h30m)`);
  }
  const parts: DurationPart[] = [];
  for (const m of s.slice(1).matchAll(/(\d+)(mo|y|w|d|h|m|s)/g)) {
    const amount = Number(m[1]);
    if (!Number.isSafeInteger(amount)) throw new TimeSyntaxError(`'${text}' has a number too large`);
    parts.push({ amount, unit: m[2] as Unit });
  }
  return parts;
}

/** `from` moved forward by the duration's parts, in the order written. */
export function addDuration(from: Date, parts: readonly DurationPart[]): Date {
  let t = from;
  for (const p of parts) {
    if (p.unit === 'y') t = addInterval(t, 'year', p.amount);
    else if (p.unit === 'mo') t = addInterval(t, 'month', p.amount);
    else t = new Date(t.getTime() + p.amount * FIXED_MS[p.unit]);
  }
  return t;
}

/** True when the text is relative (`+…`) rather than an instant. */
export const isRelative = (text: string): boolean => text.trim().startsWith('+');

/** An instant or a duration counted from `base`. */
export function resolveTime(text: string, base: Date): Date {
  return isRelative(text) ? addDuration(base, parseDuration(text)) : parseInstant(text);
}

/** Checks the syntax only (for the schema); throws TimeSyntaxError. */
export function checkTimeSyntax(text: string): void {
  if (isRelative(text)) parseDuration(text);
  else parseInstant(text);
}
