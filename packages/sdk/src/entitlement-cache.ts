import type { Entitlement } from './api-types.js';

export interface EntitlementCacheOptions {
  /**
   * The oldest answer `check` may return, in ms (default 30,000). Age counts from when the request was sent,
   * so an answer is never older than this. 0 disables caching.
   */
  maxStalenessMs?: number;
  /** Cached answers kept at most; the oldest go first (default 10,000). */
  maxEntries?: number;
}

interface Cached {
  value: Entitlement;
  /** When the request that produced `value` was sent (ms, on the cache's clock). */
  askedAt: number;
}

/**
 * A short local cache of entitlement checks with an explicit staleness bound: a cached answer is used only
 * while younger than `maxStalenessMs`; past that, `check` asks Tally again (and fails if Tally cannot answer,
 * rather than return something older than promised). Concurrent checks of one key share one request.
 */
export class EntitlementCache {
  private readonly entries = new Map<string, Cached>();
  private readonly inflight = new Map<string, { askedAt: number; promise: Promise<Entitlement> }>();
  readonly maxStalenessMs: number;
  private readonly maxEntries: number;

  constructor(
    private readonly fetchOne: (customerId: string, feature: string) => Promise<Entitlement>,
    private readonly now: () => number,
    options: EntitlementCacheOptions = {},
  ) {
    this.maxStalenessMs = options.maxStalenessMs ?? 30_000;
    if (!(this.maxStalenessMs >= 0)) throw new RangeError('maxStalenessMs must be 0 or more');
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  async check(customerId: string, feature: string, opts: { maxStalenessMs?: number } = {}): Promise<Entitlement> {
    const bound = opts.maxStalenessMs ?? this.maxStalenessMs;
    const key = `${customerId}\u0000${feature}`;
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.askedAt <= bound && bound > 0) return hit.value;
    const pending = this.inflight.get(key);
    if (pending && now - pending.askedAt <= bound) return pending.promise;

    const askedAt = now;
    const promise = this.fetchOne(customerId, feature).then(
      (value) => {
        if (this.inflight.get(key)?.promise === promise) this.inflight.delete(key);
        const current = this.entries.get(key);
        if (!current || current.askedAt <= askedAt) {
          this.entries.delete(key); // re-insert: Map order is age order, for eviction
          this.entries.set(key, { value, askedAt });
          if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
        }
        return value;
      },
      (e: unknown) => {
        if (this.inflight.get(key)?.promise === promise) this.inflight.delete(key);
        throw e;
      },
    );
    this.inflight.set(key, { askedAt, promise });
    return promise;
  }

  /** Forgets cached answers: one customer's, or all. The client calls this after its own plan and trial changes. */
  invalidate(customerId?: string): void {
    if (customerId === undefined) {
      this.entries.clear();
      this.inflight.clear();
      return;
    }
    const prefix = `${customerId}\u0000`;
    for (const k of [...this.entries.keys()]) if (k.startsWith(prefix)) this.entries.delete(k);
    for (const k of [...this.inflight.keys()]) if (k.startsWith(prefix)) this.inflight.delete(k);
  }
}
