import { asc, eq, sql } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { staff } from '../../store/schema.js';
import { isUniqueViolation } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import type { Justification, ServiceContext, StaffRole } from '../context.js';
import { dummyPasswordHash, hashPassword, verifyPassword } from './passwords.js';
import { STAFF_ROLES, isStaffRole } from './roles.js';

export { hasRole, isStaffRole, STAFF_ROLES } from './roles.js';

/** A staff account as services and the edges see it: never with its password hash. */
export interface StaffMember {
  id: string;
  email: string;
  name: string;
  role: StaffRole;
  hasPassword: boolean;
  createdAt: Date;
  disabledAt: Date | null;
}

type StaffRow = typeof staff.$inferSelect;

function toStaff(r: StaffRow): StaffMember {
  return { id: r.id, email: r.email, name: r.name, role: r.role, hasPassword: r.passwordHash !== null, createdAt: r.createdAt, disabledAt: r.disabledAt };
}

export const MIN_PASSWORD_LENGTH = 10;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Emails are compared case-insensitively: stored trimmed and lower-cased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkPassword(password: string, param = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw invalid('password_too_short', `A staff password needs at least ${MIN_PASSWORD_LENGTH} characters.`, param);
  }
  if (password.length > 1024) throw invalid('password_too_long', 'A staff password may have at most 1024 characters.', param);
}

export interface CreateStaffInput {
  email: string;
  name: string;
  role: StaffRole;
  /** Without one, the account can only use staff API keys until a password is set. */
  password?: string;
}

export async function createStaff(ctx: ServiceContext, input: CreateStaffInput, why: Justification = {}): Promise<StaffMember> {
  const email = normalizeEmail(input.email);
  if (!EMAIL_RE.test(email)) throw invalid('email_invalid', `'${input.email}' is not an email address.`, 'email');
  if (!input.name.trim()) throw invalid('name_required', 'A staff member needs a name.', 'name');
  if (!isStaffRole(input.role)) throw invalid('role_invalid', `Role must be one of ${STAFF_ROLES.join(', ')}.`, 'role');
  if (input.password !== undefined) checkPassword(input.password);
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  const now = ctx.clock.now();
  const id = newId('staff', now);
  let row: StaffRow | undefined;
  try {
    [row] = await ctx.db.insert(staff).values({ id, email, name: input.name.trim(), role: input.role, passwordHash, createdAt: now }).returning();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('staff_exists', `A staff account for '${email}' already exists.`, 'email');
    throw e;
  }
  if (!row) throw new Error('insert returned no row');
  const member = toStaff(row);
  await recordAudit(ctx, { action: 'staff.create', targetType: 'staff', targetId: id, after: member, reason: why.reason ?? 'staff account created', ticket: why.ticket });
  return member;
}

export async function getStaff(ctx: ServiceContext, id: string): Promise<StaffMember> {
  const [row] = await ctx.db.select().from(staff).where(eq(staff.id, id));
  if (!row) throw notFound('staff member', id, 'staff');
  return toStaff(row);
}

export async function findStaffByEmail(ctx: ServiceContext, email: string): Promise<StaffMember | null> {
  const [row] = await ctx.db.select().from(staff).where(eq(staff.email, normalizeEmail(email)));
  return row ? toStaff(row) : null;
}

export async function listStaff(ctx: ServiceContext): Promise<StaffMember[]> {
  const rows = await ctx.db.select().from(staff).orderBy(asc(staff.id));
  return rows.map(toStaff);
}

export async function countStaff(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(staff);
  return Number(r?.n ?? 0);
}

/**
 * The staff member with this email and password, or null — for an unknown email, a disabled account, an
 * account without a password and a wrong password alike, all taking about the same time.
 */
export async function verifyStaffPassword(db: Db, email: string, password: string): Promise<StaffMember | null> {
  const [row] = await db.select().from(staff).where(eq(staff.email, normalizeEmail(email)));
  const ok = await verifyPassword(password, row?.passwordHash ?? (await dummyPasswordHash()));
  if (!row || !row.passwordHash || row.disabledAt || !ok) return null;
  return toStaff(row);
}

/** Sets a new password (staff changing their own, or an owner resetting one); audited without the secret. */
export async function setStaffPassword(ctx: ServiceContext, id: string, password: string, why: Justification = {}): Promise<void> {
  checkPassword(password);
  const before = await getStaff(ctx, id);
  await ctx.db.update(staff).set({ passwordHash: await hashPassword(password) }).where(eq(staff.id, id));
  await recordAudit(ctx, { action: 'staff.set_password', targetType: 'staff', targetId: id, before, after: { ...before, hasPassword: true }, reason: why.reason ?? 'password changed', ticket: why.ticket });
}

/** Disables an account: its password and its API keys stop working at once. */
export async function disableStaff(ctx: ServiceContext, id: string, why: Justification): Promise<StaffMember> {
  requireJustification(ctx, why);
  const before = await getStaff(ctx, id);
  if (before.disabledAt) return before;
  const [row] = await ctx.db.update(staff).set({ disabledAt: ctx.clock.now() }).where(eq(staff.id, id)).returning();
  if (!row) throw notFound('staff member', id, 'staff');
  const after = toStaff(row);
  await recordAudit(ctx, { action: 'staff.disable', targetType: 'staff', targetId: id, before, after, ...why });
  return after;
}
