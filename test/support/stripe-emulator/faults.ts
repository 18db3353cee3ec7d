/**
 * Fault injection for retry and idempotency tests:
 * - `next({status})`: answer the next matching request(s) with a Stripe-shaped 429/5xx before doing anything;
 * - `dropAfterCommit()`: execute the request and persist its effects (and idempotent result), then destroy the
 *   socket without answering, so the client sees a connection error although the object exists;
 * - `delay(ms)`: hold matching requests — by default after their effects are committed (a slow answer); with
 *   `when: 'beforeCommit'` while they hold their idempotency key, so a concurrent retry gets 409.
 * Faults match on method and path (`/v1/invoices`, or a RegExp) and are consumed in registration order.
 */
export interface FaultMatch {
  /** Exact path (`/v1/customers`) or pattern; default: every request. */
  path?: string | RegExp;
  method?: 'GET' | 'POST' | 'DELETE';
}

export type InjectedStatus = 429 | 500 | 502 | 503 | 504;

interface Fault<K extends string> extends FaultMatch {
  kind: K;
  remaining: number;
}

type StatusFault = Fault<'status'> & { status: InjectedStatus };
type DropFault = Fault<'drop'>;
export type DelayPoint = 'beforeCommit' | 'afterCommit';
type DelayFault = Fault<'delay'> & { ms: number; when: DelayPoint };

function matches(fault: FaultMatch, method: string, path: string): boolean {
  if (fault.method !== undefined && fault.method !== method) return false;
  if (fault.path === undefined) return true;
  return typeof fault.path === 'string' ? fault.path === path : fault.path.test(path);
}

function take<F extends Fault<string>>(list: F[], method: string, path: string): F | undefined {
  const index = list.findIndex((f) => f.remaining > 0 && matches(f, method, path));
  if (index === -1) return undefined;
  const fault = list[index] as F;
  fault.remaining -= 1;
  if (fault.remaining <= 0) list.splice(index, 1);
  return fault;
}

export class Faults {
  private readonly statuses: StatusFault[] = [];
  private readonly drops: DropFault[] = [];
  private readonly delays: DelayFault[] = [];

  /** The next `times` (default 1) matching requests fail with `status` and change nothing. */
  next(options: { status: InjectedStatus; times?: number } & FaultMatch): void {
    const { status, times = 1, ...match } = options;
    this.statuses.push({ kind: 'status', status, remaining: times, ...match });
  }

  /** The next `times` (default 1) matching requests are executed, then their connection is dropped. */
  dropAfterCommit(options: { times?: number } & FaultMatch = {}): void {
    const { times = 1, ...match } = options;
    this.drops.push({ kind: 'drop', remaining: times, ...match });
  }

  /** Matching requests take `ms` longer (default: every matching request until `clear()`). */
  delay(ms: number, options: { times?: number; when?: DelayPoint } & FaultMatch = {}): void {
    const { times = Number.POSITIVE_INFINITY, when = 'afterCommit', ...match } = options;
    this.delays.push({ kind: 'delay', ms, when, remaining: times, ...match });
  }

  clear(): void {
    this.statuses.length = 0;
    this.drops.length = 0;
    this.delays.length = 0;
  }

  /** Faults registered but not yet triggered. */
  get pending(): number {
    return this.statuses.length + this.drops.length + this.delays.filter((d) => Number.isFinite(d.remaining)).length;
  }

  /** @internal consumed by the server */
  takeStatus(method: string, path: string): InjectedStatus | undefined {
    return take(this.statuses, method, path)?.status;
  }

  /** @internal */
  takeDrop(method: string, path: string): boolean {
    return take(this.drops, method, path) !== undefined;
  }

  /** @internal */
  takeDelay(method: string, path: string, when: DelayPoint): number {
    const candidates = this.delays.filter((d) => d.when === when);
    const fault = take(candidates, method, path);
    if (fault && fault.remaining <= 0) this.delays.splice(this.delays.indexOf(fault), 1);
    return fault?.ms ?? 0;
  }
}
