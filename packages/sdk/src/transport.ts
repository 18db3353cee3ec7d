import { randomUUID } from 'node:crypto';
import type { BodyOf, ErrorObject, HttpMethod, PathParamsOf, PathWith, QueryOf, ResponseOf } from './api-types.js';
import { TallyApiError, TallyConnectionError } from './errors.js';

export interface TransportOptions {
  /** Where Tally listens, e.g. `https://billing.example.com` (no trailing path). */
  baseUrl: string;
  /** An instance API key (`tally_ik_…`). */
  apiKey: string;
  /** A fetch to use instead of the global one (proxies, tests). */
  fetch?: typeof fetch;
  /** Retries after the first attempt for connection failures, 5xx, 429 and in-progress duplicates (default 3). */
  maxRetries?: number;
  /** First retry delay; doubles each retry, with jitter (default 200 ms). */
  retryBaseDelayMs?: number;
  /** Cap on one retry delay (default 5,000 ms). */
  retryMaxDelayMs?: number;
  /** Per-attempt timeout (default 30,000 ms). */
  timeoutMs?: number;
  /** Makes Idempotency-Keys (default: a random UUID per call). */
  idempotencyKey?: () => string;
}

export interface CallOptions {
  /** Use this Idempotency-Key instead of a fresh one (to make a call idempotent across process restarts). */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

export type CallArgs<P extends PathWith<M>, M extends HttpMethod> = {
  params?: PathParamsOf<P, M>;
  query?: QueryOf<P, M>;
  body?: BodyOf<P, M>;
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isErrorBody(v: unknown): v is { error: ErrorObject } {
  if (v === null || typeof v !== 'object') return false;
  const e = (v as { error?: unknown }).error;
  return e !== null && typeof e === 'object' && typeof (e as ErrorObject).code === 'string' && typeof (e as ErrorObject).message === 'string';
}

async function apiError(res: Response): Promise<TallyApiError> {
  const text = await res.text().catch(() => '');
  let parsed: unknown = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not Tally's JSON (a proxy's HTML page, say): described below.
  }
  if (isErrorBody(parsed)) return new TallyApiError(res.status, parsed.error);
  return new TallyApiError(res.status, {
    type: res.status >= 500 ? 'unavailable' : 'invalid_request',
    code: 'unexpected_response',
    message: `HTTP ${res.status} without Tally's error body${text ? `: ${text.slice(0, 200)}` : ''}`,
    param: null,
    request_id: res.headers.get('request-id') ?? '',
  });
}

/** The HTTP layer: authentication, Idempotency-Key on every POST (one per call, kept across retries), retries with backoff. */
export class Transport {
  private readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly maxRetries: number;
  private readonly baseDelay: number;
  private readonly maxDelay: number;
  private readonly timeoutMs: number;
  private readonly newKey: () => string;

  constructor(private readonly options: TransportOptions) {
    if (!options.apiKey) throw new TypeError('apiKey is required (an instance key, tally_ik_…)');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? globalThis.fetch;
    this.maxRetries = options.maxRetries ?? 3;
    this.baseDelay = options.retryBaseDelayMs ?? 200;
    this.maxDelay = options.retryMaxDelayMs ?? 5_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.newKey = options.idempotencyKey ?? randomUUID;
  }

  /** A typed JSON call: path, parameters, body and answer all come from the OpenAPI types. */
  async call<M extends HttpMethod, P extends PathWith<M>>(method: M, path: P, args: CallArgs<P, M> = {}, opts: CallOptions = {}): Promise<ResponseOf<P, M>> {
    return this.send(method, path, args, opts, async (res) => (await res.json()) as ResponseOf<P, M>);
  }

  /** The same, for answers that are not JSON (a PDF). */
  async callBytes<M extends HttpMethod, P extends PathWith<M>>(method: M, path: P, args: CallArgs<P, M> = {}, opts: CallOptions = {}): Promise<Uint8Array> {
    return this.send(method, path, args, opts, async (res) => new Uint8Array(await res.arrayBuffer()));
  }

  private url(path: string, params: object | undefined, query: object | undefined): string {
    const filled = path.replace(/\{(\w+)\}/g, (_, name: string) => {
      const v = (params as Record<string, unknown> | undefined)?.[name];
      if (v === undefined || v === null || v === '') throw new TypeError(`${name} is required for ${path}`);
      return encodeURIComponent(String(v));
    });
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.baseUrl}${filled}${q ? `?${q}` : ''}`;
  }

  private delay(attempt: number, retryAfter: string | null): number {
    const backoff = Math.min(this.maxDelay, this.baseDelay * 2 ** attempt);
    const jittered = backoff / 2 + Math.random() * (backoff / 2);
    const asked = retryAfter !== null && /^\d+$/.test(retryAfter) ? Number(retryAfter) * 1000 : 0;
    return Math.min(Math.max(jittered, asked), 60_000);
  }

  private async send<T>(method: HttpMethod, path: string, args: { params?: unknown; query?: unknown; body?: unknown }, opts: CallOptions, parse: (res: Response) => Promise<T>): Promise<T> {
    const url = this.url(path, args.params as object | undefined, args.query as object | undefined);
    const headers: Record<string, string> = { authorization: `Bearer ${this.options.apiKey}`, accept: 'application/json' };
    // One key per call, reused by every retry: a request the server already ran is answered from its record.
    if (method === 'post') headers['idempotency-key'] = opts.idempotencyKey ?? this.newKey();
    let body: string | undefined;
    if (args.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(args.body);
    }
    const gaveUp = (e: unknown, attempt: number) =>
      new TallyConnectionError(`No answer from Tally for ${method.toUpperCase()} ${url} after ${attempt + 1} attempts: ${(e as Error).message}`, { cause: e });
    for (let attempt = 0; ; attempt++) {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), ...(opts.signal ? [opts.signal] : [])]);
      let res: Response;
      try {
        res = await this.fetchImpl(url, { method: method.toUpperCase(), headers, body, signal });
      } catch (e) {
        if (opts.signal?.aborted) throw e;
        if (attempt >= this.maxRetries) throw gaveUp(e, attempt);
        await sleep(this.delay(attempt, null));
        continue;
      }
      if (!res.ok) {
        const err = await apiError(res);
        const retryAfter = res.headers.get('retry-after');
        // A 429 without Retry-After is a quota on attempts (coupon codes), where retrying only spends more.
        if (!err.retryable || (res.status === 429 && retryAfter === null) || attempt >= this.maxRetries) throw err;
        await sleep(this.delay(attempt, retryAfter));
        continue;
      }
      try {
        return await parse(res);
      } catch (e) {
        // The connection dropped while the body was arriving: the same call again (same key) is safe.
        if (opts.signal?.aborted) throw e;
        if (attempt >= this.maxRetries) throw gaveUp(e, attempt);
        await sleep(this.delay(attempt, null));
      }
    }
  }
}
