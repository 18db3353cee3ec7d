import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { STAFF_ROLES, hasRole } from '../../src/billing/staff/roles.js';
import { hashPassword, verifyPassword } from '../../src/billing/staff/passwords.js';
import { createStaff, disableStaff, getStaff, listStaff, verifyStaffPassword } from '../../src/billing/staff/staff.js';
import { ManualClock } from '../../src/shared/clock.js';
import { staff } from '../../src/store/schema.js';
import { systemCtx } from '../support/accounts.js';
import { describeDb } from '../support/db.js';

describe('scrypt password hashes', () => {
  it('encodes scrypt$N$r$p$salt$hash and verifies only the right password', async () => {
    const encoded = await hashPassword('correct horse battery');
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]+=*\$[A-Za-z0-9+/]+=*$/);
    expect(await verifyPassword('correct horse battery', encoded)).toBe(true);
    expect(await verifyPassword('correct horse batterY', encoded)).toBe(false);
    expect(await verifyPassword('', encoded)).toBe(false);
  });

  it('salts every hash, so one password never hashes the same twice', async () => {
    const [a, b] = await Promise.all([hashPassword('same password'), hashPassword('same password')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password', b)).toBe(true);
  });

  it('answers false, without throwing, for malformed or absurd hashes', async () => {
    for (const bad of ['', 'plain', 'bcrypt$1$2$3$4$5', 'scrypt$3$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', 'scrypt$1073741824$8$1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaA==', 'scrypt$16384$8$1$$']) {
      expect(await verifyPassword('x', bad)).toBe(false);
    }
  });
});

describe('staff roles', () => {
  it('orders viewer < support < billing_admin < owner', () => {
    const ladder = ['viewer', 'support', 'billing_admin', 'owner'] as const;
    for (const [i, role] of ladder.entries()) {
      for (const [j, needed] of ladder.entries()) expect(hasRole(role, needed)).toBe(i >= j);
    }
  });

  it('keeps approver beside the ladder: approvers and owners approve; approvers otherwise only view', () => {
    expect(STAFF_ROLES.filter((r) => hasRole(r, 'approver'))).toEqual(['approver', 'owner']);
    expect(hasRole('approver', 'viewer')).toBe(true);
    expect(hasRole('approver', 'support')).toBe(false);
    expect(hasRole('billing_admin', 'approver')).toBe(false);
  });
});

describeDb('staff accounts', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  const ctx = () => systemCtx(database(), clock);

  it('creates an account whose password verifies, by email in any case', async () => {
    const member = await createStaff(ctx(), { email: ' Ada@Example.com ', name: 'Ada', role: 'support', password: 'a long enough password' });
    expect(member).toMatchObject({ email: 'ada@example.com', role: 'support', hasPassword: true });
    expect(member).not.toHaveProperty('passwordHash');
    expect((await verifyStaffPassword(database().db, 'ADA@example.com', 'a long enough password'))?.id).toBe(member.id);
    expect(await verifyStaffPassword(database().db, 'ada@example.com', 'a wrong password!!')).toBeNull();
    expect(await verifyStaffPassword(database().db, 'nobody@example.com', 'a long enough password')).toBeNull();
    const [row] = await database().db.select().from(staff).where(eq(staff.id, member.id));
    expect(row?.passwordHash).toMatch(/^scrypt\$/);
    expect(row?.passwordHash).not.toContain('a long enough password');
    expect(await getStaff(ctx(), member.id)).toEqual(member);
    expect((await listStaff(ctx())).map((s) => s.id)).toContain(member.id);
  });

  it('refuses short passwords, bad emails, unknown roles and duplicate emails, naming the field', async () => {
    await expect(createStaff(ctx(), { email: 'short@example.com', name: 'S', role: 'viewer', password: 'short' })).rejects.toMatchObject({ param: 'password' });
    await expect(createStaff(ctx(), { email: 'not-an-email', name: 'S', role: 'viewer' })).rejects.toMatchObject({ param: 'email' });
    await expect(createStaff(ctx(), { email: 'r@example.com', name: 'S', role: 'admin' as never })).rejects.toMatchObject({ param: 'role' });
    await createStaff(ctx(), { email: 'dup@example.com', name: 'D', role: 'viewer' });
    await expect(createStaff(ctx(), { email: 'DUP@example.com', name: 'D2', role: 'viewer' })).rejects.toMatchObject({ type: 'conflict', param: 'email' });
  });

  it('does not sign in accounts without a password or disabled ones', async () => {
    const keyOnly = await createStaff(ctx(), { email: 'bot@example.com', name: 'Bot', role: 'viewer' });
    expect(keyOnly.hasPassword).toBe(false);
    expect(await verifyStaffPassword(database().db, 'bot@example.com', '')).toBeNull();
    const leaver = await createStaff(ctx(), { email: 'leaver@example.com', name: 'L', role: 'owner', password: 'a long enough password' });
    await disableStaff(ctx(), leaver.id, { reason: 'left the company' });
    expect(await verifyStaffPassword(database().db, 'leaver@example.com', 'a long enough password')).toBeNull();
  });
});
