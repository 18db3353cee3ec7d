import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';
import { isTallyError, type ErrorType } from '../shared/errors.js';
import { isConnectionLost, isDataException } from '../store/transaction.js';
import { STATUS_BY_TYPE, type ErrorBodyT } from './error-shape.js';

interface Rendered {
  status: number;
  type: ErrorType;
  code: string;
  message: string;
  param: string | null;
  details?: unknown;
}

/** `/items/0/price` in the body → `items.0.price`; query and path parameters keep their own names. */
function toParam(instancePath: string, missingKey?: string): string | null {
  const parts = instancePath.split('/').filter(Boolean);
  if (missingKey) parts.push(missingKey);
  return parts.length ? parts.join('.') : null;
}

function render(error: unknown): Rendered {
  if (isTallyError(error)) {
    return {
      status: STATUS_BY_TYPE[error.type],
      type: error.type,
      code: error.code,
      message: error.message,
      param: error.param ?? null,
      ...(error.details === undefined ? {} : { details: error.details }),
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((v) => {
      // A misspelt or unknown field: name it, so `billingEmail` points at itself rather than at the body.
      const unknownKeys = v.keyword === 'unrecognized_keys' ? (v.params as { keys?: unknown }).keys : undefined;
      const p = toParam(v.instancePath, Array.isArray(unknownKeys) && typeof unknownKeys[0] === 'string' ? unknownKeys[0] : undefined);
      return { param: p, message: v.message ?? 'is invalid' };
    });
    const first = issues[0];
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    const message = issues.map((i) => (i.param ? `${i.param}: ${i.message}` : `${where}: ${i.message}`)).join('; ');
    return {
      status: 400,
      type: 'invalid_request',
      code: 'parameter_invalid',
      message: `Invalid ${where}: ${message}`,
      param: first?.param ?? null,
      details: { issues },
    };
  }
  if (isConnectionLost(error)) {
    // Retryable: the request's transaction rolled back and its Idempotency-Key was released.
    return { status: 503, type: 'unavailable', code: 'database_unavailable', message: 'The database connection was lost while handling the request; retry it (with the same Idempotency-Key).', param: null };
  }
  if (isDataException(error)) {
    // Nothing was written: the statement failed, and with it its transaction.
    return { status: 400, type: 'invalid_request', code: 'value_invalid', message: 'A value in the request cannot be stored (for example text containing a NUL character, or a number out of range).', param: null };
  }
  const fe = error as Partial<FastifyError>;
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500 && !isResponseSerializationError(error)) {
    const code = fe.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || fe.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' ? 'body_invalid_json' : (fe.code ?? 'bad_request').toLowerCase();
    return { status: fe.statusCode, type: fe.statusCode === 404 ? 'not_found' : 'invalid_request', code, message: fe.message ?? 'Bad request', param: null };
  }
  return { status: 500, type: 'internal', code: 'internal_error', message: 'An unexpected error occurred; it has been logged with the request ID.', param: null };
}

export function errorBody(r: Rendered, requestId: string): ErrorBodyT {
  return {
    error: {
      type: r.type,
      code: r.code,
      message: r.message,
      param: r.param,
      request_id: requestId,
      ...(r.details === undefined ? {} : { details: r.details }),
    },
  };
}

/** Maps every error — ours, validation, Fastify's, unexpected — to the one error shape. No stack traces leave. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const r = render(error);
    if (r.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: r.code, param: r.param }, r.message);
    return reply.status(r.status).send(errorBody(r, request.id));
  });
  app.setNotFoundHandler((request, reply) => {
    const r: Rendered = { status: 404, type: 'not_found', code: 'route_not_found', message: `No route ${request.method} ${request.url.split('?')[0]}.`, param: null };
    return reply.status(404).send(errorBody(r, request.id));
  });
}
