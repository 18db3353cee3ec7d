import type { BatchJobHandler, JobHandler } from './types.js';

export interface JobKindOptions {
  /**
   * Run this kind every `everyMs`, on slot boundaries (multiples of everyMs since the epoch): workers keep
   * the next occurrence enqueued with ensureRecurring. Its payload is `{}`.
   */
  everyMs?: number;
  /**
   * Also run claimed jobs of this kind together, up to `max` at a time, through `handler` (all or nothing).
   * When a batch throws, each of its jobs runs alone through the kind's own handler, so one bad job only
   * fails itself. For kinds due by the thousand at one instant (period roll-over, period close).
   */
  batch?: { handler: BatchJobHandler; max: number };
}

export interface RegisteredKind {
  readonly kind: string;
  readonly handler: JobHandler;
  readonly everyMs: number | undefined;
  readonly batch: { handler: BatchJobHandler; max: number } | undefined;
}

/** Which handler runs which job kind. Kinds are registered once, at start-up. */
export class JobRegistry {
  private readonly kinds = new Map<string, RegisteredKind>();

  register(kind: string, handler: JobHandler, options: JobKindOptions = {}): this {
    if (!kind) throw new Error('JobRegistry.register: empty kind');
    if (this.kinds.has(kind)) throw new Error(`JobRegistry.register: job kind '${kind}' is already registered`);
    if (options.everyMs !== undefined && !(Number.isInteger(options.everyMs) && options.everyMs > 0)) {
      throw new Error(`JobRegistry.register: everyMs of '${kind}' must be a positive integer`);
    }
    if (options.batch !== undefined && !(Number.isInteger(options.batch.max) && options.batch.max >= 2)) {
      throw new Error(`JobRegistry.register: batch.max of '${kind}' must be an integer of at least 2`);
    }
    this.kinds.set(kind, { kind, handler, everyMs: options.everyMs, batch: options.batch });
    return this;
  }

  get(kind: string): RegisteredKind | undefined {
    return this.kinds.get(kind);
  }

  /** Registered kinds, sorted. */
  list(): string[] {
    return [...this.kinds.keys()].sort();
  }

  /** The kinds that recur, with their period. */
  recurring(): { kind: string; everyMs: number }[] {
    return [...this.kinds.values()].flatMap((k) => (k.everyMs === undefined ? [] : [{ kind: k.kind, everyMs: k.everyMs }]));
  }
}
