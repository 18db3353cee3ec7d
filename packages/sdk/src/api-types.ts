/**
 * Request and response types, all derived from the generated OpenAPI types (`npm run sdk:types`), so the SDK
 * cannot drift from what the server actually accepts and answers.
 */
import type { components, paths } from './generated/openapi.js';

export type { components, paths };

export type HttpMethod = 'get' | 'post';

/** The paths that have an operation for `M`. */
export type PathWith<M extends HttpMethod> = {
  [P in keyof paths]: NonNullable<paths[P][M]> extends never ? never : P;
}[keyof paths];

export type Operation<P extends keyof paths, M extends HttpMethod> = NonNullable<paths[P][M]>;

type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The JSON body of a successful (200/201) answer. */
export type ResponseOf<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { responses: infer R } ? { [C in keyof R & (200 | 201)]: JsonContent<R[C]> }[keyof R & (200 | 201)] : never;

/** The JSON request body (undefined when the operation takes none). */
export type BodyOf<P extends keyof paths, M extends HttpMethod> =
  Operation<P, M> extends { requestBody: infer B } ? JsonContent<B> : Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> | undefined : undefined;

export type PathParamsOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { parameters: { path: infer X } } ? X : undefined;

export type QueryOf<P extends keyof paths, M extends HttpMethod> = Operation<P, M> extends { parameters: { query?: infer Q } } ? Q : undefined;

/** Drops an index signature (`{a: string} & {[k: string]: unknown}` → `{a: string}`), so Omit/Pick keep the named fields. */
export type KnownKeys<T> = { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

type Schemas = components['schemas'];

export type Customer = Schemas['Customer'];
export type CreateCustomerInput = NonNullable<BodyOf<'/v1/customers', 'post'>>;
export type UpdateCustomerInput = NonNullable<BodyOf<'/v1/customers/{id}', 'post'>>;

export type BillingState = Schemas['BillingState'];
export type BillingLimit = Schemas['BillingLimit'];
export type BillingLimitList = ResponseOf<'/v1/customers/{id}/billing-limits', 'get'>;
export type SetBillingLimitInput = NonNullable<BodyOf<'/v1/customers/{id}/billing-limits', 'post'>>;
export type CurrentUsage = Schemas['CurrentUsage'];
export type DailyUsage = ResponseOf<'/v1/customers/{id}/usage/daily', 'get'>;
export type DailyUsageQuery = NonNullable<QueryOf<'/v1/customers/{id}/usage/daily', 'get'>>;

/** A usage event exactly as the API takes it. */
export type UsageEvent = KnownKeys<Schemas['UsageEventInput']>;
/** What `report()` takes: `id` (a fresh UUID) and `timestamp` (now) are filled in when left out. */
export type UsageEventDraft = Omit<UsageEvent, 'id' | 'timestamp'> & Partial<Pick<UsageEvent, 'id' | 'timestamp'>>;
export type UsageIngestResult = ResponseOf<'/v1/usage', 'post'>;
/** The server's verdict on one event: accepted, duplicate (its id was already counted), or rejected with a reason. */
export type UsageEventVerdict = UsageIngestResult['results'][number];

export type Subscription = Schemas['Subscription'];
export type SubscribeInput = NonNullable<BodyOf<'/v1/customers/{id}/subscription', 'post'>>;
export type ChangePlanInput = NonNullable<BodyOf<'/v1/customers/{id}/subscription/change', 'post'>>;
export type CancelSubscriptionInput = NonNullable<BodyOf<'/v1/customers/{id}/subscription/cancel', 'post'>>;
export type TrialState = ResponseOf<'/v1/customers/{id}/trial', 'post'>;

export type Entitlement = Schemas['Entitlement'];
export type AvailableFeatures = Schemas['AvailableFeatures'];

export type BillingSetupLink = ResponseOf<'/v1/customers/{id}/billing-setup', 'post'>;
export type LicenseKeyList = ResponseOf<'/v1/license-keys', 'get'>;

export type Invoice = Schemas['Invoice'];
export type InvoiceList = ResponseOf<'/v1/customers/{id}/invoices', 'get'>;
export type InvoiceListQuery = NonNullable<QueryOf<'/v1/customers/{id}/invoices', 'get'>>;
export type UpcomingInvoice = Schemas['UpcomingInvoice'];

export type CustomerDiscount = Schemas['CustomerDiscount'];
export type ApplyCouponInput = NonNullable<BodyOf<'/v1/customers/{id}/coupon', 'post'>>;

/** Tally's one error shape: `{error: {type, code, message, param, request_id, details?}}`. */
export type ErrorBody = Schemas['Error'];
export type ErrorObject = ErrorBody['error'];
