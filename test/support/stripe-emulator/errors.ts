/**
 * Stripe's error envelope `{error: {type, code, message, param, ...}}`, typed with the SDK's own raw-error
 * type so the fields the SDK reads (and maps to StripeInvalidRequestError, StripeRateLimitError, ...) line up.
 */
import type Stripe from 'stripe';

export type ErrorPayload = Pick<
  Stripe.StripeRawError,
  'type' | 'code' | 'message' | 'param' | 'decline_code' | 'doc_url' | 'request_log_url'
>;

export interface ErrorBody {
  error: ErrorPayload;
}

export type ErrorPhase =
  /** Rejected before any endpoint logic ran (auth, validation, injected faults): never stored for idempotency. */
  | 'precondition'
  /** Raised by endpoint logic (state checks): stored for idempotent replay, as Stripe does. */
  | 'execution';

export class EmulatorError extends Error {
  constructor(
    readonly status: number,
    readonly payload: ErrorPayload,
    readonly phase: ErrorPhase = 'execution',
    readonly headers: Record<string, string> = {},
  ) {
    super(payload.message ?? `HTTP ${status}`);
    this.name = 'EmulatorError';
  }
}

const DOCS = 'https://docs.stripe.com/error-codes';

function err(status: number, payload: ErrorPayload, phase: ErrorPhase = 'execution'): EmulatorError {
  const withDocs: ErrorPayload = payload.code ? { ...payload, doc_url: `${DOCS}/${payload.code.replace(/_/g, '-')}` } : payload;
  return new EmulatorError(status, withDocs, phase);
}

export function invalidRequest(message: string, param?: string, code?: string): EmulatorError {
  return err(400, { type: 'invalid_request_error', message, ...(param ? { param } : {}), ...(code ? { code } : {}) });
}

/** A request that failed parameter validation: Stripe never ran the endpoint, so nothing is stored. */
export function invalidParam(message: string, param: string, code?: string): EmulatorError {
  return err(400, { type: 'invalid_request_error', message, param, ...(code ? { code } : {}) }, 'precondition');
}

export function missingParam(param: string): EmulatorError {
  return invalidParam(`Missing required param: ${param}.`, param, 'parameter_missing');
}

export function unknownParam(param: string): EmulatorError {
  return invalidParam(`Received unknown parameter: ${param}`, param, 'parameter_unknown');
}

export function notFound(kind: string, id: string, param = 'id'): EmulatorError {
  return err(404, { type: 'invalid_request_error', code: 'resource_missing', message: `No such ${kind}: '${id}'`, param });
}

export function invalidTransition(message: string): EmulatorError {
  return err(400, { type: 'invalid_request_error', code: 'status_transition_invalid', message });
}

export function notEditable(message: string): EmulatorError {
  return err(400, { type: 'invalid_request_error', code: 'invoice_not_editable', message });
}

export function cardDeclined(message = 'Your card was declined.', declineCode = 'generic_decline'): EmulatorError {
  return err(402, { type: 'card_error', code: 'card_declined', decline_code: declineCode, message });
}

export function unrecognizedUrl(method: string, path: string): EmulatorError {
  return err(
    404,
    {
      type: 'invalid_request_error',
      message: `Unrecognized request URL (${method}: ${path}). The Stripe emulator does not implement this endpoint.`,
    },
    'precondition',
  );
}

export function authenticationRequired(message: string): EmulatorError {
  return err(401, { type: 'invalid_request_error', message }, 'precondition');
}

export function idempotencyMismatch(key: string): EmulatorError {
  return err(
    400,
    {
      type: 'idempotency_error',
      message:
        `Keys for idempotent requests can only be used with the same parameters they were first used with. ` +
        `Try using a key other than '${key}' if you meant to execute a different request.`,
    },
    'precondition',
  );
}

export function idempotencyInUse(key: string): EmulatorError {
  return err(
    409,
    {
      type: 'invalid_request_error',
      code: 'idempotency_key_in_use',
      message:
        `There is currently another in-progress request using this Idempotent Key (that probably means you ` +
        `submitted twice, and the other request is still going through): ${key}. Please try again later.`,
    },
    'precondition',
  );
}

export function rateLimited(): EmulatorError {
  return err(
    429,
    {
      type: 'invalid_request_error',
      code: 'rate_limit',
      message: 'Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.',
    },
    'precondition',
  );
}

export function apiError(status = 500): EmulatorError {
  return err(
    status,
    { type: 'api_error', message: 'An unknown error occurred while processing your request.' },
    'precondition',
  );
}

/** Bugs inside the emulator surface as Stripe-shaped 500s (never stored), with the cause in the message. */
export function internalError(cause: unknown): EmulatorError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return err(500, { type: 'api_error', message: `Stripe emulator internal error: ${detail}` }, 'precondition');
}
