import type { ErrorObject } from './api-types.js';

/** Base class of everything the SDK throws, so one `instanceof` catches them all. */
export class TallySdkError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * Tally answered with an error: carries its error shape (type, code, message, param, request_id). `param`
 * names the offending field; quote `requestId` when asking for help — it is in Tally's logs.
 */
export class TallyApiError extends TallySdkError {
  readonly status: number;
  readonly type: string;
  readonly code: string;
  readonly param: string | null;
  readonly requestId: string | null;
  readonly details: unknown;
  /** The error object exactly as Tally sent it. */
  readonly error: ErrorObject;

  constructor(status: number, error: ErrorObject) {
    super(error.message);
    this.status = status;
    this.type = error.type;
    this.code = error.code;
    this.param = error.param;
    this.requestId = error.request_id || null;
    this.details = error.details;
    this.error = error;
  }

  /** Whether sending the same request again may succeed: server trouble, rate limits, a concurrent duplicate. */
  get retryable(): boolean {
    return this.status >= 500 || this.status === 429 || (this.status === 409 && this.code === 'idempotency_request_in_progress');
  }
}

/** No answer from Tally (connection refused, reset, timed out) after all retries. */
export class TallyConnectionError extends TallySdkError {}

/** The usage queue holds `maxQueueSize` events already: flush (or use `reportWhenRoom`) before adding more. */
export class TallyQueueFullError extends TallySdkError {
  readonly maxQueueSize: number;
  constructor(maxQueueSize: number) {
    super(`The usage queue is full (${maxQueueSize} events waiting or in flight); await usage.flush() or use usage.reportWhenRoom().`);
    this.maxQueueSize = maxQueueSize;
  }
}

/** The reporter was closed; it takes no more events. */
export class TallyClosedError extends TallySdkError {}
