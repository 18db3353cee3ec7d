import { randomUUID } from 'node:crypto';
import type { UsageEvent, UsageEventDraft, UsageEventVerdict, UsageIngestResult } from './api-types.js';
import { TallyClosedError, TallyQueueFullError } from './errors.js';
import type { CallOptions, Transport } from './transport.js';

/** The most events `POST /v1/usage` takes in one batch. */
export const MAX_USAGE_BATCH = 1000;

export interface UsageReporterOptions {
  /** Events per request, 1–1,000 (default 1,000). A full batch is sent at once. */
  maxBatchSize?: number;
  /** How long an event may wait for its batch to fill before it is sent anyway (default 1,000 ms). */
  flushIntervalMs?: number;
  /** Events waiting or in flight at most; `report` throws TallyQueueFullError beyond it (default 10,000). */
  maxQueueSize?: number;
  /** Called with every batch's per-event outcomes (including failures), e.g. to log rejections. */
  onResults?: (results: UsageEventResult[]) => void;
  /** The current time, for events reported without a timestamp (default: the system clock). */
  now?: () => number;
}

/**
 * One event's outcome: Tally's verdict (accepted, duplicate, rejected with code/reason/param), or `failed`
 * when no answer came after the retries. A failed event may be reported again with the same id: Tally
 * counts an id once per customer, so it is never double-counted.
 */
export type UsageEventResult = UsageEventVerdict | { id: string; status: 'failed'; error: Error };

export interface UsageReceipt {
  /** The event's id (given or generated). */
  id: string;
  /** Settles when the event's batch is answered; never rejects (a failure is `status: 'failed'`). */
  result: Promise<UsageEventResult>;
}

export interface FlushSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  failed: number;
  results: UsageEventResult[];
}

interface Entry {
  seq: number;
  event: UsageEvent;
  settle: (r: UsageEventResult) => void;
  result: Promise<UsageEventResult>;
}

function summarize(results: UsageEventResult[]): FlushSummary {
  const count = (s: UsageEventResult['status']) => results.filter((r) => r.status === s).length;
  return { accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), failed: count('failed'), results };
}

/**
 * Client-side batching for `POST /v1/usage`. Events queue up and go out in batches of up to 1,000, when a batch
 * is full or `flushIntervalMs` after the oldest waiting event, one batch at a time. Each batch is one call with
 * one Idempotency-Key, retried with backoff on connection failures and 5xx: a retry resends the same events
 * with the same ids, so nothing is counted twice even when the first attempt reached Tally. The queue is
 * bounded: `report` throws when it is full, `reportWhenRoom` waits for room.
 */
export class UsageReporter {
  private readonly maxBatch: number;
  private readonly intervalMs: number;
  private readonly maxQueue: number;
  private readonly now: () => number;
  private queue: Entry[] = [];
  private inFlight: Entry[] = [];
  private seq = 0;
  /** Events up to this sequence number are due now (a flush or the interval asked for them). */
  private dueThrough = 0;
  private pumping: Promise<void> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private roomWaiters: (() => void)[] = [];
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly options: UsageReporterOptions = {},
  ) {
    const size = options.maxBatchSize ?? MAX_USAGE_BATCH;
    if (!Number.isInteger(size) || size < 1 || size > MAX_USAGE_BATCH) throw new RangeError(`maxBatchSize must be an integer from 1 to ${MAX_USAGE_BATCH}`);
    this.maxBatch = size;
    this.intervalMs = options.flushIntervalMs ?? 1_000;
    this.maxQueue = options.maxQueueSize ?? 10_000;
    if (!(this.maxQueue >= this.maxBatch)) throw new RangeError('maxQueueSize must be at least maxBatchSize');
    this.now = options.now ?? (() => new Date().getTime());
  }

  /** Events waiting or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight.length;
  }

  /** Queues one event. Throws TallyQueueFullError when `maxQueueSize` events are waiting or in flight. */
  report(draft: UsageEventDraft): UsageReceipt {
    if (this.closed) throw new TallyClosedError('This usage reporter is closed.');
    if (this.pending >= this.maxQueue) throw new TallyQueueFullError(this.maxQueue);
    // The id is fixed here, once: every retry of the batch carries the same id.
    const event = { ...draft, id: draft.id ?? randomUUID(), timestamp: draft.timestamp ?? new Date(this.now()).toISOString() } as UsageEvent;
    let settle!: (r: UsageEventResult) => void;
    const result = new Promise<UsageEventResult>((resolve) => (settle = resolve));
    this.queue.push({ seq: ++this.seq, event, settle, result });
    if (this.queue.length >= this.maxBatch) this.kick();
    else this.armTimer();
    return { id: event.id, result };
  }

  /** Queues one event, first waiting (and flushing) while the queue is full: backpressure for producers. */
  async reportWhenRoom(draft: UsageEventDraft): Promise<UsageReceipt> {
    while (!this.closed && this.pending >= this.maxQueue) {
      const room = new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      this.dueThrough = this.seq;
      this.kick();
      await room;
    }
    return this.report(draft);
  }

  /** Sends everything queued so far and resolves with those events' outcomes once all are answered. */
  async flush(): Promise<FlushSummary> {
    const waiting = [...this.inFlight, ...this.queue].map((e) => e.result);
    this.dueThrough = this.seq;
    this.kick();
    return summarize(await Promise.all(waiting));
  }

  /** Flushes and stops: later `report` calls throw. */
  async close(): Promise<FlushSummary> {
    this.closed = true;
    const summary = await this.flush();
    this.clearTimer();
    for (const w of this.roomWaiters.splice(0)) w();
    return summary;
  }

  /**
   * Sends one batch (up to 1,000 events) now, bypassing the queue, with retries. Throws TallyApiError /
   * TallyConnectionError when the batch as a whole fails; per-event rejections are in the result.
   */
  async send(events: UsageEventDraft[], opts: CallOptions = {}): Promise<UsageIngestResult> {
    if (events.length < 1 || events.length > MAX_USAGE_BATCH) throw new RangeError(`send takes 1 to ${MAX_USAGE_BATCH} events`);
    const full = events.map((d) => ({ ...d, id: d.id ?? randomUUID(), timestamp: d.timestamp ?? new Date(this.now()).toISOString() }) as UsageEvent);
    return this.transport.call('post', '/v1/usage', { body: { events: full } }, opts);
  }

  private kick(): void {
    this.pumping ??= this.pump();
  }

  private async pump(): Promise<void> {
    for (;;) {
      const head = this.queue[0];
      if (!head || (this.queue.length < this.maxBatch && head.seq > this.dueThrough)) break;
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight = batch;
      const results = await this.sendBatch(batch);
      this.inFlight = [];
      batch.forEach((e, i) => e.settle(results[i] as UsageEventResult));
      for (const w of this.roomWaiters.splice(0)) w();
      try {
        this.options.onResults?.(results);
      } catch {
        // A throwing callback must not stall the queue; the results are on the receipts all the same.
      }
    }
    this.pumping = null;
    this.clearTimer();
    if (this.queue.length > 0) this.armTimer();
  }

  private async sendBatch(batch: Entry[]): Promise<UsageEventResult[]> {
    try {
      const r = await this.transport.call('post', '/v1/usage', { body: { events: batch.map((e) => e.event) } });
      // Results come back one per event, in the order sent.
      return batch.map((e, i) => r.results[i] ?? { id: e.event.id, status: 'failed' as const, error: new Error('Tally returned no result for this event') });
    } catch (e) {
      const error = e instanceof Error ? e : new Error(String(e));
      return batch.map((entry) => ({ id: entry.event.id, status: 'failed' as const, error }));
    }
  }

  private armTimer(): void {
    if (this.timer || this.pumping) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dueThrough = this.seq;
      this.kick();
    }, this.intervalMs);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
