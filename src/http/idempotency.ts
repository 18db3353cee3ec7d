import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../shared/clock.js';
import { TallyError } from '../shared/errors.js';
import type { Db } from '../store/database.js';
import { completeIdempotencyKey, releaseIdempotencyKey, reserveIdempotencyKey } from '../store/idempotency.js';

const HEADER = 'idempotency-key';
const LOCK_MS = 60_000;

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, for scoping idempotency keys; set by authentication. */
    principalId?: string;
    idempotency?: { scope: string; key: string };
  }
  interface FastifyContextConfig {
    /** Top-level response fields never to store for replays (secrets shown once); a replay has them as null. */
    idempotencyOmit?: readonly string[];
  }
}

/** Sorted-key JSON, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
}

function requestHash(req: FastifyRequest): string {
  return createHash('sha256').update(`${req.method} ${req.url}\n${canonical(req.body ?? null)}`).digest('hex');
}

/**
 * Every POST honours `Idempotency-Key`: the first request with a key runs, and every repeat within 24 h
 * gets the first one's status and body back (`Idempotent-Replayed: true`) without running again. The
 * same key with a different request is refused. 5xx results are not kept, so those may be retried.
 */
export function installIdempotency(app: FastifyInstance, deps: { db: Db; clock: Clock }): void {
  app.addHook('preHandler', async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST') return;
    const raw = req.headers[HEADER];
    if (raw === undefined) return;
    const key = Array.isArray(raw) ? raw[0] : raw;
    if (!key || key.length > 255) {
      throw new TallyError('invalid_request', 'idempotency_key_invalid', 'Idempotency-Key must be 1 to 255 characters.', { param: 'Idempotency-Key' });
    }
    const scope = req.principalId ?? 'anonymous';
    const r = await reserveIdempotencyKey(deps.db, {
      scope,
      key,
      method: req.method,
      path: req.routeOptions.url ?? req.url,
      requestHash: requestHash(req),
      now: deps.clock.now(),
      lockMs: LOCK_MS,
    });
    switch (r.outcome) {
      case 'reserved':
        req.idempotency = { scope, key };
        return;
      case 'replay':
        reply.header('idempotent-replayed', 'true');
        return reply.status(r.statusCode).send(r.body);
      case 'mismatch':
        throw new TallyError(
          'idempotency',
          'idempotency_key_reused',
          `Idempotency-Key '${key}' was already used with a different request; use a new key for a new request.`,
          { param: 'Idempotency-Key' },
        );
      case 'in_progress':
        throw new TallyError('conflict', 'idempotency_request_in_progress', `A request with Idempotency-Key '${key}' is still being processed; retry shortly.`, {
          param: 'Idempotency-Key',
        });
    }
  });

  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const idem = req.idempotency;
    if (!idem) return payload;
    req.idempotency = undefined;
    const status = reply.statusCode;
    if (status >= 500 || status === 409 || status === 429) {
      // The failure may be the database connection itself: retry on fresh connections, so the key does
      // not block the client's retry for its whole lock time.
      await persistently(req, 'releasing', () => releaseIdempotencyKey(deps.db, idem.scope, idem.key));
    } else {
      let body: unknown = payload;
      if (typeof payload === 'string') {
        try {
          body = JSON.parse(payload);
        } catch {
          body = payload;
        }
      }
      const omit = req.routeOptions.config.idempotencyOmit;
      if (omit && body !== null && typeof body === 'object' && !Array.isArray(body)) {
        body = { ...(body as Record<string, unknown>), ...Object.fromEntries(omit.map((f) => [f, null])) };
      }
      await persistently(req, 'recording the result under', () => completeIdempotencyKey(deps.db, idem.scope, idem.key, status, body));
    }
    return payload;
  });
}

const BOOKKEEPING_ATTEMPTS = 5;

/**
 * Runs an idempotency bookkeeping write, retrying a few times (a dropped connection is replaced by the
 * pool). It never throws: the request's own outcome is already decided and is what the client must get.
 * If every attempt fails, the key stays reserved until its lock expires (LOCK_MS), then may be retried.
 */
async function persistently(req: FastifyRequest, what: string, write: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await write();
      return;
    } catch (e) {
      if (attempt >= BOOKKEEPING_ATTEMPTS) {
        req.log.error({ err: e }, `idempotency: ${what} the key failed; it stays reserved for ${LOCK_MS / 1000} s`);
        return;
      }
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}
