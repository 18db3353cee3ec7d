/**
 * Job kinds of the invoicing, in a module with no imports so that the subscription timeline can enqueue
 * them without importing the invoicing (which imports the subscriptions).
 */
export const CLOSE_PERIOD_JOB = 'invoice.close_period';
export const OPEN_PERIOD_JOB = 'invoice.open_period';

/** How long after a period ends its invoice waits for late usage (R17). Set once at start-up. */
let graceMs = 60 * 60 * 1000;

export function setInvoiceGraceMs(ms: number): void {
  if (!Number.isInteger(ms) || ms < 0) throw new RangeError(`invoice grace must be a non-negative integer of ms, got ${ms}`);
  graceMs = ms;
}

export function invoiceGraceMs(): number {
  return graceMs;
}

export const closePeriodDedupeKey = (subscriptionId: string, periodStart: string): string => `${CLOSE_PERIOD_JOB}:${subscriptionId}:${periodStart}`;
export const openPeriodDedupeKey = (subscriptionId: string, periodStart: string): string => `${OPEN_PERIOD_JOB}:${subscriptionId}:${periodStart}`;
