/**
 * One error family for the whole service. Services throw TallyError; the HTTP edge maps `type` to a
 * status code and renders `{error: {type, code, message, param}}`; the CLI prints `message` (and `param`).
 */
export type ErrorType =
  | 'invalid_request' // bad input: a field is missing, malformed or out of range
  | 'authentication' // no or bad credentials
  | 'permission' // authenticated but not allowed
  | 'not_found'
  | 'conflict' // the request is valid but clashes with current state (duplicate key, illegal transition)
  | 'idempotency' // an Idempotency-Key was reused with a different request
  | 'rate_limited'
  | 'unavailable' // a dependency (database, provider) is not answering
  | 'internal';

export interface TallyErrorOptions {
  /** The offending field as a dotted path (`items.0.price`), when one field is to blame. */
  param?: string;
  /** Extra machine-readable detail (e.g. every validation issue) that clients may show. */
  details?: unknown;
  cause?: unknown;
}

export class TallyError extends Error {
  readonly type: ErrorType;
  readonly code: string;
  readonly param: string | undefined;
  readonly details: unknown;

  constructor(type: ErrorType, code: string, message: string, options: TallyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'TallyError';
    this.type = type;
    this.code = code;
    this.param = options.param;
    this.details = options.details;
  }
}

export const invalid = (code: string, message: string, param?: string, details?: unknown): TallyError =>
  new TallyError('invalid_request', code, message, { param, details });

export const notFound = (what: string, id: string, param?: string): TallyError =>
  new TallyError('not_found', 'resource_missing', `No ${what} with id '${id}'.`, { param });

export const conflict = (code: string, message: string, param?: string): TallyError =>
  new TallyError('conflict', code, message, { param });

export const isTallyError = (e: unknown): e is TallyError => e instanceof TallyError;
