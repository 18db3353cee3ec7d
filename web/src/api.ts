/** The admin API client: a session token from POST /admin/v1/sessions, sent as a bearer token. */

export type Role = 'viewer' | 'support' | 'billing_admin' | 'approver' | 'owner';

export interface Staff {
  id: string;
  email: string;
  name: string;
  role: Role;
}

export interface Session {
  token: string;
  expires: string;
  staff: Staff;
}

const KEY = 'tally.admin.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return new Date(s.expires).getTime() > new Date().getTime() ? s : null;
  } catch {
    return null;
  }
}

export function storeSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** The API's error shape, kept whole so forms can point at the offending field. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly param: string | null,
    /** Extra structure some errors carry, e.g. `problems` of an order form that does not parse. */
    readonly details: Record<string, unknown> | null = null,
  ) {
    super(message);
  }
}

let token: string | null = loadSession()?.token ?? null;
let onUnauthorized: () => void = () => {};

export function setToken(t: string | null): void {
  token = t;
}

export function whenUnauthorized(fn: () => void): void {
  onUnauthorized = fn;
}

async function request(method: 'GET' | 'POST' | 'PATCH', path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  const hasBody = method !== 'GET';
  if (hasBody) headers['content-type'] = 'application/json';
  if (method === 'POST') {
    // One key per submission: a retried network request cannot act twice.
    headers['idempotency-key'] = crypto.randomUUID();
  }
  const res = await fetch(`/admin/v1${path}`, { method, headers, ...(hasBody ? { body: JSON.stringify(body ?? {}) } : {}) });
  if (!res.ok) {
    let err = { code: 'http_error', message: `${res.status} ${res.statusText}`, param: null as string | null, details: null as Record<string, unknown> | null };
    try {
      const j = (await res.json()) as { error?: { code?: string; message?: string; param?: string | null; details?: Record<string, unknown> | null } };
      if (j.error) err = { code: j.error.code ?? err.code, message: j.error.message ?? err.message, param: j.error.param ?? null, details: j.error.details ?? null };
    } catch {
      // not JSON: keep the status line
    }
    if (res.status === 401 && path !== '/sessions') onUnauthorized();
    throw new ApiError(res.status, err.code, err.message, err.param, err.details);
  }
  return res;
}

export async function get<T>(path: string, query?: Record<string, string | number | undefined | null>): Promise<T> {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const qs = q.toString();
  return (await request('GET', qs ? `${path}?${qs}` : path)).json() as Promise<T>;
}

export async function post<T>(path: string, body?: unknown): Promise<T> {
  return (await request('POST', path, body)).json() as Promise<T>;
}

export async function patch<T>(path: string, body: unknown): Promise<T> {
  return (await request('PATCH', path, body)).json() as Promise<T>;
}

/** A binary response (invoice PDFs) as a Blob. */
export async function getBlob(path: string): Promise<Blob> {
  return (await request('GET', path)).blob();
}

/** Mirrors the API's role ladder (src/billing/staff/roles.ts); the API enforces it regardless. */
const LADDER: Record<Role, number> = { viewer: 1, approver: 1, support: 2, billing_admin: 3, owner: 4 };

export function can(role: Role, needed: Role): boolean {
  if (needed === 'approver') return role === 'approver' || role === 'owner';
  return LADDER[role] >= LADDER[needed];
}

export interface List<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** The reason / ticket every staff change carries into the audit log (R15). */
export interface Why {
  reason?: string;
  ticket?: string;
}
