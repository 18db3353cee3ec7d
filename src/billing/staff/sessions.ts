import { and, eq, gt, isNull } from 'drizzle-orm';
import type { Clock } from '../../shared/clock.js';
import { TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { staff, staffSessions } from '../../store/schema.js';
import { hashSecret, randomBase62 } from '../api-keys/api-keys.js';
import { recordAudit } from '../audit/record-audit.js';
import type { ServiceContext, StaffRole } from '../context.js';
import { verifyStaffPassword, type StaffMember } from './staff.js';

/** A working day: sign-ins expire; there is no silent extension. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
const TOKEN_RE = /^tally_ss_[0-9A-Za-z]{40}$/;

export interface SignedIn {
  /** The bearer token, shown once; only its SHA-256 is kept. */
  token: string;
  sessionId: string;
  expiresAt: Date;
  staff: StaffMember;
}

export const isSessionToken = (secret: string): boolean => secret.startsWith('tally_ss_');

/**
 * Signs a staff member in with email and password (scrypt-verified). Unknown email and wrong password give
 * the same answer, in the same time (the password check runs against a dummy hash for unknown emails).
 */
export async function signIn(ctx: ServiceContext, email: string, password: string): Promise<SignedIn> {
  const member = await verifyStaffPassword(ctx.db, email, password);
  if (!member) throw new TallyError('authentication', 'invalid_credentials', 'Email or password is not right, or the account is disabled.');
  const now = ctx.clock.now();
  const token = `tally_ss_${randomBase62(40)}`;
  const id = newId('session', now);
  const expiresAt = new Date(now.getTime() + SESSION_TTL_MS);
  await ctx.db.insert(staffSessions).values({ id, staffId: member.id, tokenHash: hashSecret(token), createdAt: now, expiresAt });
  await recordAudit(
    { ...ctx, actor: { type: 'staff', id: member.id, role: member.role } },
    { action: 'staff.sign_in', targetType: 'staff', targetId: member.id, reason: 'signed in with a password', after: { session: id, expires_at: expiresAt.toISOString() } },
  );
  return { token, sessionId: id, expiresAt, staff: member };
}

/** The staff member behind a live session token, or null (unknown, expired, revoked, disabled account). */
export async function authenticateSession(db: Db, clock: Clock, token: string): Promise<{ staffId: string; role: StaffRole; sessionId: string } | null> {
  if (!TOKEN_RE.test(token)) return null;
  const [row] = await db
    .select({ id: staffSessions.id, staffId: staffSessions.staffId, role: staff.role, disabledAt: staff.disabledAt })
    .from(staffSessions)
    .innerJoin(staff, eq(staff.id, staffSessions.staffId))
    .where(and(eq(staffSessions.tokenHash, hashSecret(token)), isNull(staffSessions.revokedAt), gt(staffSessions.expiresAt, clock.now())));
  if (!row || row.disabledAt) return null;
  return { staffId: row.staffId, role: row.role, sessionId: row.id };
}

/** Signs out: the token stops working at once. */
export async function signOut(ctx: ServiceContext, token: string): Promise<boolean> {
  const gone = await ctx.db
    .update(staffSessions)
    .set({ revokedAt: ctx.clock.now() })
    .where(and(eq(staffSessions.tokenHash, hashSecret(token)), isNull(staffSessions.revokedAt)))
    .returning({ id: staffSessions.id, staffId: staffSessions.staffId });
  const s = gone[0];
  if (s && ctx.actor.type === 'staff') {
    await recordAudit(ctx, { action: 'staff.sign_out', targetType: 'staff', targetId: s.staffId, reason: 'signed out', after: { session: s.id } });
  }
  return gone.length > 0;
}
