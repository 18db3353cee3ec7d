import { createHash, randomBytes } from 'node:crypto';
import { and, asc, eq, isNull, lte, or } from 'drizzle-orm';
import type { Clock } from '../../shared/clock.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { apiKeys, staff } from '../../store/schema.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import type { Justification, ServiceContext, StaffRole } from '../context.js';
import { recordEvent } from '../events/record-event.js';
import { getInstance } from '../instances/instances.js';
import { getStaff } from '../staff/staff.js';

export type ApiKeyKind = 'instance' | 'staff';

/** A key as it may be shown and listed: everything but the secret, which is never stored. */
export interface ApiKeyInfo {
  id: string;
  kind: ApiKeyKind;
  instanceId: string | null;
  staffId: string | null;
  name: string;
  /** `tally_ik_3f9aB2`: enough to recognise a key in a list, far too little to use it. */
  displayPrefix: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface CreatedKey {
  key: ApiKeyInfo;
  /** The full secret: returned here once and never again. */
  secret: string;
}

export type KeyPrincipal =
  | { kind: 'instance'; instanceId: string; keyId: string }
  | { kind: 'staff'; staffId: string; role: StaffRole; keyId: string };

const PREFIX: Record<ApiKeyKind, string> = { instance: 'tally_ik_', staff: 'tally_sk_' };
const SECRET_CHARS = 40;
const SHOWN_CHARS = 6;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SECRET_RE = /^tally_(ik|sk)_[0-9A-Za-z]{32,64}$/;
/** last_used_at is a hint for people ("used 3 days ago"), so it is written at most this often. */
const LAST_USED_GRANULARITY_MS = 60_000;

/** `n` base62 characters from the CSPRNG; bytes ≥ 248 are dropped so every character is equally likely. */
export function randomBase62(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248 && out.length < n) out += BASE62[b % 62];
    }
  }
  return out;
}

/** Keys carry 200+ random bits, so a plain SHA-256 is enough (no slow hash) and lookups are by equality. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

type KeyRow = typeof apiKeys.$inferSelect;

function toInfo(r: KeyRow): ApiKeyInfo {
  return {
    id: r.id,
    kind: r.kind,
    instanceId: r.instanceId,
    staffId: r.staffId,
    name: r.name,
    displayPrefix: r.displayPrefix,
    createdAt: r.createdAt,
    revokedAt: r.revokedAt,
    lastUsedAt: r.lastUsedAt,
  };
}

function checkName(name: string): string {
  const n = name.trim();
  if (!n) throw invalid('name_required', 'A key needs a name saying what uses it.', 'name');
  if (n.length > 100) throw invalid('name_too_long', 'A key name may have at most 100 characters.', 'name');
  return n;
}

async function insertKey(ctx: ServiceContext, kind: ApiKeyKind, owner: { instanceId?: string; staffId?: string }, name: string, why: Justification): Promise<CreatedKey> {
  const now = ctx.clock.now();
  const random = randomBase62(SECRET_CHARS);
  const secret = `${PREFIX[kind]}${random}`;
  const [row] = await ctx.db
    .insert(apiKeys)
    .values({
      id: newId('apiKey', now),
      kind,
      instanceId: owner.instanceId ?? null,
      staffId: owner.staffId ?? null,
      name,
      displayPrefix: `${PREFIX[kind]}${random.slice(0, SHOWN_CHARS)}`,
      secretHash: hashSecret(secret),
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error('insert returned no row');
  const key = toInfo(row);
  await recordEvent(ctx, { type: 'api_key.created', instanceId: key.instanceId, objectId: key.id, data: { kind, name, prefix: key.displayPrefix } });
  await recordAudit(ctx, { action: 'api_key.create', targetType: 'api_key', targetId: key.id, after: key, reason: why.reason ?? 'API key created', ticket: why.ticket });
  return { key, secret };
}

/** A new key for an instance (`tally_ik_…`). The secret is in the result and nowhere else. */
export async function createInstanceKey(ctx: ServiceContext, instanceId: string, name: string, why: Justification = {}): Promise<CreatedKey> {
  const n = checkName(name);
  await getInstance(ctx, instanceId);
  return insertKey(ctx, 'instance', { instanceId }, n, why);
}

/** A new key for staff automation (`tally_sk_…`); it acts with the staff member's role. */
export async function createStaffKey(ctx: ServiceContext, staffId: string, name: string, why: Justification = {}): Promise<CreatedKey> {
  const n = checkName(name);
  const member = await getStaff(ctx, staffId);
  if (member.disabledAt) throw conflict('staff_disabled', `Staff account ${member.email} is disabled.`, 'staff');
  return insertKey(ctx, 'staff', { staffId }, n, why);
}

/**
 * Who a bearer secret belongs to, or null when it is malformed, unknown, revoked, or a disabled staff
 * member's. One indexed lookup by hash; last_used_at is refreshed at most once a minute.
 */
export async function authenticateKey(db: Db, clock: Clock, secret: string): Promise<KeyPrincipal | null> {
  if (!SECRET_RE.test(secret)) return null;
  const [row] = await db
    .select({
      id: apiKeys.id,
      kind: apiKeys.kind,
      instanceId: apiKeys.instanceId,
      staffId: apiKeys.staffId,
      revokedAt: apiKeys.revokedAt,
      lastUsedAt: apiKeys.lastUsedAt,
      role: staff.role,
      staffDisabledAt: staff.disabledAt,
    })
    .from(apiKeys)
    .leftJoin(staff, eq(staff.id, apiKeys.staffId))
    .where(eq(apiKeys.secretHash, hashSecret(secret)));
  if (!row || row.revokedAt) return null;
  // A secret shaped for one kind never authenticates as the other.
  if (!secret.startsWith(PREFIX[row.kind])) return null;

  let principal: KeyPrincipal;
  if (row.kind === 'instance') {
    if (!row.instanceId) return null;
    principal = { kind: 'instance', instanceId: row.instanceId, keyId: row.id };
  } else {
    if (!row.staffId || !row.role || row.staffDisabledAt) return null;
    principal = { kind: 'staff', staffId: row.staffId, role: row.role, keyId: row.id };
  }

  const now = clock.now();
  const staleBefore = new Date(now.getTime() - LAST_USED_GRANULARITY_MS);
  if (!row.lastUsedAt || row.lastUsedAt <= staleBefore) {
    // Conditional, so concurrent requests with one key write it once.
    await db
      .update(apiKeys)
      .set({ lastUsedAt: now })
      .where(and(eq(apiKeys.id, row.id), or(isNull(apiKeys.lastUsedAt), lte(apiKeys.lastUsedAt, staleBefore))));
  }
  return principal;
}

export async function getKey(ctx: ServiceContext, keyId: string): Promise<ApiKeyInfo> {
  const [row] = await ctx.db.select().from(apiKeys).where(eq(apiKeys.id, keyId));
  if (!row) throw notFound('API key', keyId, 'key');
  return toInfo(row);
}

/** Revokes a key at once; audited with the reason. Revoking a revoked key changes nothing. */
export async function revokeKey(ctx: ServiceContext, keyId: string, why: Justification): Promise<ApiKeyInfo> {
  requireJustification(ctx, why);
  const [current] = await ctx.db.select().from(apiKeys).where(eq(apiKeys.id, keyId)).for('update');
  if (!current) throw notFound('API key', keyId, 'key');
  const before = toInfo(current);
  if (before.revokedAt) return before;
  const [row] = await ctx.db.update(apiKeys).set({ revokedAt: ctx.clock.now() }).where(eq(apiKeys.id, keyId)).returning();
  if (!row) throw notFound('API key', keyId, 'key');
  const after = toInfo(row);
  await recordEvent(ctx, { type: 'api_key.revoked', instanceId: after.instanceId, objectId: keyId, data: { kind: after.kind, prefix: after.displayPrefix } });
  await recordAudit(ctx, { action: 'api_key.revoke', targetType: 'api_key', targetId: keyId, before, after, ...why });
  return after;
}

/** Keys of an instance or a staff member (or all), oldest first, revoked ones included; never secrets. */
export async function listKeys(ctx: ServiceContext, owner: { instanceId?: string; staffId?: string } = {}): Promise<ApiKeyInfo[]> {
  const conditions = [owner.instanceId ? eq(apiKeys.instanceId, owner.instanceId) : undefined, owner.staffId ? eq(apiKeys.staffId, owner.staffId) : undefined];
  const rows = await ctx.db
    .select()
    .from(apiKeys)
    .where(and(...conditions))
    .orderBy(asc(apiKeys.id));
  return rows.map(toInfo);
}
