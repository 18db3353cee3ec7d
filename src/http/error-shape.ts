import { z } from 'zod';
import type { ErrorType } from '../shared/errors.js';

/** The one error body every route answers with. */
export const ErrorBody = z
  .object({
    error: z.object({
      type: z.string().describe('invalid_request, authentication, permission, not_found, conflict, idempotency, rate_limited, unavailable, internal'),
      code: z.string().describe('A stable machine-readable code, e.g. parameter_invalid'),
      message: z.string().describe('A sentence for people'),
      param: z.string().nullable().describe('The offending field as a dotted path, when one field is to blame'),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: 'Error' });

export type ErrorBodyT = z.infer<typeof ErrorBody>;

export const STATUS_BY_TYPE: Record<ErrorType, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  conflict: 409,
  idempotency: 422,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/** Error responses documented on every route. */
export const errorResponses = {
  400: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
  500: ErrorBody,
} as const;

/** Error responses documented on every authenticated route. */
export const authedErrorResponses = {
  ...errorResponses,
  401: ErrorBody,
  403: ErrorBody,
} as const;
