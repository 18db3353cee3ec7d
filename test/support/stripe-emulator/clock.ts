/**
 * The emulator's notion of "now". Structurally the same as Tally's `Clock` (src/shared/clock.ts), so a test
 * can hand the same ManualClock to Tally and to the emulator and both sides agree on `created`, due dates,
 * webhook signature timestamps and idempotency-key expiry.
 */
export interface EmulatorClock {
  now(): Date;
}

export const realClock: EmulatorClock = { now: () => new Date() };

export function unixSeconds(date: Date): number {
  return Math.floor(date.getTime() / 1000);
}

export const DAY_SECONDS = 86_400;

/**
 * Adds calendar intervals in UTC the way Stripe's billing periods do: month arithmetic keeps the day of month and
 * clamps to the month's last day (Jan 31 + 1 month = Feb 28/29).
 */
export function addInterval(unix: number, interval: string, count: number): number {
  const d = new Date(unix * 1000);
  switch (interval) {
    case 'day':
      return unix + count * DAY_SECONDS;
    case 'week':
      return unix + count * 7 * DAY_SECONDS;
    case 'month':
    case 'year': {
      const months = interval === 'year' ? count * 12 : count;
      const targetMonth = d.getUTCMonth() + months;
      const year = d.getUTCFullYear() + Math.floor(targetMonth / 12);
      const month = ((targetMonth % 12) + 12) % 12;
      const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
      const day = Math.min(d.getUTCDate(), lastDay);
      return Math.floor(
        Date.UTC(year, month, day, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()) / 1000,
      );
    }
    default:
      throw new RangeError(`unknown interval ${interval}`);
  }
}
