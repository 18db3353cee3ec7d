/**
 * Every "now" in Tally comes from a Clock handed down by the caller: the system clock in production,
 * a settable clock in tests and `tally simulate`, so time-driven rules can be driven deterministically.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = {
  now: () => new Date(),
};

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  private current: number;

  constructor(start: Date | string) {
    this.current = new Date(start).getTime();
    if (Number.isNaN(this.current)) throw new RangeError(`ManualClock: invalid start ${String(start)}`);
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    const t = new Date(to).getTime();
    if (Number.isNaN(t)) throw new RangeError(`ManualClock: invalid time ${String(to)}`);
    if (t < this.current) throw new RangeError('ManualClock: time cannot move backwards');
    this.current = t;
  }

  advance(ms: number): void {
    this.set(new Date(this.current + ms));
  }
}
