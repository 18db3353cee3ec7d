import type { Decimal } from '../../core/money/index.js';

/** An event as an instance sends it. `customer` is Tally's `cus_…` ID or the instance's team/org ID. */
export interface UsageEventInput {
  id: string;
  customer: string;
  metric: string;
  value: number | string;
  timestamp: string | Date;
  properties?: Record<string, unknown> | null;
}

export type IngestStatus = 'accepted' | 'duplicate' | 'rejected';

export interface IngestResult {
  id: string;
  status: IngestStatus;
  /** Set on rejections: a stable code and a sentence naming what is wrong. */
  code?: string;
  reason?: string;
  /** The offending field of the event, for rejections. */
  param?: string;
}

/** A validated event ready to store. */
export interface CheckedEvent {
  index: number;
  eventId: string;
  customerId: string;
  metric: string;
  value: Decimal;
  timestamp: Date;
  /** `timestamp` as ISO 8601 and its UTC day, computed once: a batch writes and groups by them. */
  timestampIso: string;
  day: string;
  properties: Record<string, unknown> | null;
  /** Customer and event id: what makes an event a duplicate. */
  key: string;
}

export const MAX_BATCH = 1000;
export const MAX_FUTURE_MS = 5 * 60 * 1000;

/** The UTC calendar day of an instant, as `YYYY-MM-DD` (the aggregate bucket). */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}
