/**
 * Job kinds of the invoicing, in a module with no imports so that the subscription timeline can enqueue
 * them without importing the invoicing (which imports the subscriptions).
 */
export const CLOSE_PERIOD_JOB = 'invoice.close_period';
export const OPEN_PERIOD_JOB = 'invoice.open_period';

export const closePeriodDedupeKey = (subscriptionId: string, periodStart: string): string => `${CLOSE_PERIOD_JOB}:${subscriptionId}:${periodStart}`;
export const openPeriodDedupeKey = (subscriptionId: string, periodStart: string): string => `${OPEN_PERIOD_JOB}:${subscriptionId}:${periodStart}`;
