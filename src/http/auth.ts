import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateKey, type KeyPrincipal } from '../billing/api-keys/api-keys.js';
import { authenticateSession, isSessionToken } from '../billing/staff/sessions.js';
import type { Actor, ServiceContext, StaffRole } from '../billing/context.js';
import { hasRole } from '../billing/staff/roles.js';
import type { Clock } from '../shared/clock.js';
import { TallyError } from '../shared/errors.js';
import type { Db } from '../store/database.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling, set by authentication on /v1 and /admin/v1 routes; absent on public routes. */
    actor?: Actor;
  }
  interface FastifyContextConfig {
    /** Admin routes: the least staff role allowed. Undeclared means owner, so a forgotten one fails closed. */
    minRole?: StaffRole;
    /** An admin route anyone may call (signing in). */
    public?: boolean;
  }
}

export type InstanceActor = Extract<Actor, { type: 'instance' }>;
export type StaffActor = Extract<Actor, { type: 'staff' }>;

type Zone = 'public' | 'instance' | 'admin';

/**
 * Decided from the matched route's pattern, not the raw URL: a percent-encoded or oddly-slashed URL that
 * still reaches a /v1 route is authenticated like any other.
 */
function zoneOf(req: FastifyRequest): Zone {
  const pattern = req.routeOptions.url;
  if (req.is404 || pattern === undefined || req.routeOptions.config.public === true) return 'public';
  if (pattern === '/v1' || pattern.startsWith('/v1/')) return 'instance';
  if (pattern === '/admin/v1' || pattern.startsWith('/admin/v1/')) return 'admin';
  return 'public';
}

const unauthenticated = (code: string, message: string) => new TallyError('authentication', code, message);
const forbidden = (code: string, message: string, details?: unknown) => new TallyError('permission', code, message, { details });

function bearerSecret(req: FastifyRequest): string {
  const header = req.headers.authorization;
  if (!header) throw unauthenticated('api_key_missing', 'No API key: send it as "Authorization: Bearer <key>".');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthenticated('authorization_invalid', 'The Authorization header must be "Bearer <key>".');
  return m[1];
}

function describeRole(role: StaffRole): string {
  return role === 'approver' ? "the 'approver' role (or 'owner')" : role === 'owner' ? "the 'owner' role" : `the '${role}' role or higher`;
}

/** A bearer secret is an API key (tally_ik_/tally_sk_) or a staff sign-in session (tally_ss_). */
async function authenticate(deps: RouteDeps, secret: string): Promise<KeyPrincipal | null> {
  if (!isSessionToken(secret)) return authenticateKey(deps.db, deps.clock, secret);
  const s = await authenticateSession(deps.db, deps.clock, secret);
  return s ? { kind: 'staff', staffId: s.staffId, role: s.role, keyId: s.sessionId } : null;
}

/**
 * Authentication for the instance API (/v1: instance keys) and the admin API (/admin/v1: staff keys,
 * with the route's least role). Runs on onRequest, before body parsing, validation and the idempotency
 * preHandler, so idempotency keys are scoped to the caller and nothing runs for unknown callers.
 */
export function installAuth(app: FastifyInstance, deps: RouteDeps): void {
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const zone = zoneOf(req);
    if (zone === 'public') return;
    let principal;
    try {
      principal = await authenticate(deps, bearerSecret(req));
      if (!principal) throw unauthenticated('api_key_invalid', 'The API key or session is not valid: it is unknown, revoked, expired, or belongs to a disabled account.');
    } catch (e) {
      if (e instanceof TallyError && e.type === 'authentication') reply.header('www-authenticate', 'Bearer realm="tally"');
      throw e;
    }

    if (zone === 'instance') {
      if (principal.kind !== 'instance') throw forbidden('instance_key_required', 'The instance API (/v1) needs an instance key (tally_ik_…), not a staff key.');
      req.actor = { type: 'instance', id: principal.instanceId, keyId: principal.keyId };
      req.principalId = `instance:${principal.instanceId}`;
      return;
    }
    if (principal.kind !== 'staff') throw forbidden('staff_key_required', 'The admin API (/admin/v1) needs a staff key (tally_sk_…), not an instance key.');
    const needed = req.routeOptions.config.minRole ?? 'owner';
    if (!hasRole(principal.role, needed)) {
      throw forbidden('role_required', `This needs ${describeRole(needed)}; your role is '${principal.role}'.`, { required_role: needed, role: principal.role });
    }
    req.actor = { type: 'staff', id: principal.staffId, role: principal.role };
    req.principalId = `staff:${principal.staffId}`;
  });
}

export function instanceActor(req: FastifyRequest): InstanceActor {
  if (req.actor?.type !== 'instance') throw unauthenticated('api_key_missing', 'This route needs an instance key.');
  return req.actor;
}

export function staffActor(req: FastifyRequest): StaffActor {
  if (req.actor?.type !== 'staff') throw unauthenticated('api_key_missing', 'This route needs a staff key.');
  return req.actor;
}

/** What route plugins receive: the database and the clock their services need. */
export interface RouteDeps {
  db: Db;
  clock: Clock;
}

/** The service context for an authenticated request. */
export function serviceContext(req: FastifyRequest, deps: RouteDeps): ServiceContext {
  if (!req.actor) throw unauthenticated('api_key_missing', 'This route needs an API key.');
  return { db: deps.db, clock: deps.clock, actor: req.actor };
}
