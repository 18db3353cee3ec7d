/**
 * The HTTP side: one pipeline per request — parse the form, authenticate, apply injected faults, replay or run
 * the endpoint under its idempotency key, expand ids, answer (late, or not at all, if a fault says so) — and a
 * log entry for every request so tests can assert on what the client actually sent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorClock } from './clock.js';
import {
  apiError,
  authenticationRequired,
  EmulatorError,
  internalError,
  rateLimited,
  unrecognizedUrl,
  type ErrorBody,
} from './errors.js';
import { expandJson } from './expand.js';
import type { Faults } from './faults.js';
import { canonicalize, isFormObject, parseForm, type FormObject } from './form.js';
import type { IdempotencyStore, StoredResponse } from './idempotency.js';
import { newId } from './ids.js';
import { advanceTime, resolveObject } from './resources/index.js';
import { HandlerContext, type Router } from './router.js';
import type { Store } from './store.js';
import type { WebhookDispatcher } from './webhooks.js';

export interface RequestLogEntry {
  method: string;
  /** Path without the query string (`/v1/invoices/in_123/finalize`). */
  path: string;
  /** Parsed form parameters (body for POST, query for GET/DELETE). */
  params: FormObject;
  idempotencyKey: string | null;
  /** HTTP status sent, or the status that would have been sent when the connection was dropped. */
  status: number;
  requestId: string;
  /** Answered from the idempotency store. */
  replayed: boolean;
  /** `status`: an injected 429/5xx; `drop`: executed, then the connection was destroyed. */
  fault: 'status' | 'drop' | null;
  delayedMs: number;
  stripeVersion: string | null;
  at: Date;
}

export interface ServerDeps {
  store: Store;
  clock: EmulatorClock;
  webhooks: WebhookDispatcher;
  faults: Faults;
  idempotency: IdempotencyStore;
  router: Router;
  /** Accepted API keys; undefined accepts any `sk_test_`/`rk_test_` key. */
  apiKeys: ReadonlySet<string> | undefined;
  log: RequestLogEntry[];
}

const MAX_BODY = 1024 * 1024;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('request body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | null {
  const value = req.headers[name.toLowerCase()];
  if (value === undefined) return null;
  return Array.isArray(value) ? (value[0] ?? null) : value;
}

function apiKeyOf(req: IncomingMessage): string | null {
  const auth = header(req, 'authorization');
  if (auth === null) return null;
  if (auth.startsWith('Bearer ')) return auth.slice(7).trim();
  if (auth.startsWith('Basic ')) return Buffer.from(auth.slice(6), 'base64').toString('utf8').split(':')[0] ?? null;
  return null;
}

function redact(key: string): string {
  return `${key.slice(0, 8)}${'*'.repeat(Math.max(0, key.length - 12))}${key.slice(-4)}`;
}

function authenticate(req: IncomingMessage, allowed: ReadonlySet<string> | undefined): void {
  const key = apiKeyOf(req);
  if (key === null || key === '') {
    throw authenticationRequired(
      "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
    );
  }
  if (key.startsWith('sk_live_') || key.startsWith('rk_live_')) {
    throw authenticationRequired('The Stripe emulator only accepts test-mode keys (sk_test_...).');
  }
  const valid = allowed ? allowed.has(key) : key.startsWith('sk_test_') || key.startsWith('rk_test_');
  if (!valid) throw authenticationRequired(`Invalid API Key provided: ${redact(key)}`);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function errorJson(error: EmulatorError, requestId: string): string {
  const body: ErrorBody = {
    error: { ...error.payload, request_log_url: `https://dashboard.stripe.com/test/logs/${requestId}` },
  };
  return JSON.stringify(body, null, 2);
}

export class EmulatorServer {
  constructor(private readonly deps: ServerDeps) {}

  /** Node's request listener; never rejects. */
  readonly listener = (req: IncomingMessage, res: ServerResponse): void => {
    this.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  };

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { deps } = this;
    const requestId = newId('req');
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://emulator.invalid');
    const path = url.pathname;
    const idempotencyKey = method === 'POST' ? header(req, 'idempotency-key') : null;
    const entry: RequestLogEntry = {
      method,
      path,
      params: {},
      idempotencyKey,
      status: 0,
      requestId,
      replayed: false,
      fault: null,
      delayedMs: 0,
      stripeVersion: header(req, 'stripe-version'),
      at: deps.clock.now(),
    };
    deps.log.push(entry);

    let status = 200;
    let body: string;
    let responseRequestId = requestId;
    let began = false;
    try {
      const raw = await readBody(req);
      entry.params = parseForm(method === 'POST' ? raw : url.search.slice(1));
      authenticate(req, deps.apiKeys);
      const injected = deps.faults.takeStatus(method, path);
      if (injected !== undefined) {
        entry.fault = 'status';
        throw injected === 429 ? rateLimited() : apiError(injected);
      }
      const match = deps.router.match(method, path);
      if (!match) throw unrecognizedUrl(method, path);

      // Whatever the clock made happen since the last request happens first, attributed to no request.
      advanceTime(new HandlerContext(deps.store, deps.clock, deps.webhooks, null, null));

      let replay: StoredResponse | undefined;
      if (idempotencyKey !== null) {
        const decision = deps.idempotency.begin(idempotencyKey, `${method} ${path} ${canonicalize(entry.params)}`);
        if (decision.kind === 'replay') replay = decision.response;
        else began = true;
      }
      if (replay) {
        entry.replayed = true;
        status = replay.status;
        body = replay.body;
        // A replay is the original response, request id included.
        responseRequestId = replay.requestId;
      } else {
        const holdMs = deps.faults.takeDelay(method, path, 'beforeCommit');
        if (holdMs > 0) {
          entry.delayedMs += holdMs;
          await sleep(holdMs);
        }
        const ctx = new HandlerContext(deps.store, deps.clock, deps.webhooks, requestId, idempotencyKey);
        const result = match.route.run(entry.params, match.params, ctx);
        const json: unknown = JSON.parse(JSON.stringify(result));
        const expand = entry.params.expand;
        if (Array.isArray(expand)) {
          const paths = expand.filter((e): e is string => typeof e === 'string');
          expandJson(json, paths, (id) => resolveObject(deps.store, id));
        } else if (expand !== undefined && !isFormObject(expand)) {
          expandJson(json, [expand], (id) => resolveObject(deps.store, id));
        }
        body = JSON.stringify(json, null, 2);
        if (began && idempotencyKey !== null) deps.idempotency.complete(idempotencyKey, { status, body, requestId });
      }
    } catch (caught) {
      const error = caught instanceof EmulatorError ? caught : internalError(caught);
      status = error.status;
      body = errorJson(error, requestId);
      if (began && idempotencyKey !== null) {
        // Stripe stores the outcome of an endpoint that ran, errors included; a request rejected up front is not.
        if (error.phase === 'execution') deps.idempotency.complete(idempotencyKey, { status, body, requestId });
        else deps.idempotency.abandon(idempotencyKey);
      }
    }
    entry.status = status;

    if (deps.faults.takeDrop(method, path)) {
      entry.fault = 'drop';
      // Effects are committed (and the idempotent result stored); the client just never hears back.
      req.socket.destroy();
      return;
    }
    const delay = deps.faults.takeDelay(method, path, 'afterCommit');
    if (delay > 0) {
      entry.delayedMs += delay;
      await sleep(delay);
    }
    const headers: Record<string, string> = {
      'Content-Type': 'application/json',
      'Content-Length': String(Buffer.byteLength(body)),
      'Request-Id': responseRequestId,
    };
    if (entry.stripeVersion !== null) headers['Stripe-Version'] = entry.stripeVersion;
    if (idempotencyKey !== null) headers['Idempotency-Key'] = idempotencyKey;
    if (entry.replayed) headers['Idempotent-Replayed'] = 'true';
    if (status === 429) headers['Retry-After'] = '1';
    if (!res.destroyed) res.writeHead(status, headers).end(body);
  }
}
