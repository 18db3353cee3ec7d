/**
 * When a failed delivery is tried again: 1 min after the first attempt, doubling each time (2, 4, 8 min …),
 * at most 12 h apart, less a jitter of up to 20 % so endpoints that failed together do not all come back
 * at once. Retries stop (the delivery is `failed`) when the next one would fall more than 3 days after
 * the delivery's first attempt: about 15 attempts in all, the last one some 65 h in.
 */
import { createHash } from 'node:crypto';

const BASE_MS = 60 * 1_000;
const CAP_MS = 12 * 60 * 60 * 1_000;
const JITTER = 0.2;
export const RETRY_WINDOW_MS = 3 * 24 * 60 * 60 * 1_000;

/** The delay after failed attempt number `attempt` (1-based) without jitter: the upper bound of retryDelay. */
export function nominalRetryDelayMs(attempt: number): number {
  return Math.min(BASE_MS * 2 ** Math.max(0, attempt - 1), CAP_MS);
}

/**
 * The delay after failed attempt `attempt` of delivery `deliveryId`. The jitter is derived from the id and
 * attempt (not Math.random) so it is the same on every worker and test run, and differs between deliveries.
 */
export function retryDelayMs(deliveryId: string, attempt: number): number {
  const nominal = nominalRetryDelayMs(attempt);
  const fraction = createHash('sha256').update(`${deliveryId}:${attempt}`).digest().readUInt32BE(0) / 0x1_0000_0000;
  return nominal - Math.floor(nominal * JITTER * fraction);
}

/** When to try again after failed attempt `attempt`, or null when the retry window is used up. */
export function nextAttemptAt(deliveryId: string, attempt: number, retryFrom: Date, failedAt: Date): Date | null {
  const next = new Date(failedAt.getTime() + retryDelayMs(deliveryId, attempt));
  return next.getTime() - retryFrom.getTime() > RETRY_WINDOW_MS ? null : next;
}
