import { createHash } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { beforeAll, expect, it } from 'vitest';
import { authenticateKey, createInstanceKey, createStaffKey, getKey, listKeys, revokeKey } from '../../src/billing/api-keys/api-keys.js';
import type { ServiceContext } from '../../src/billing/context.js';
import { createInstance, type Instance } from '../../src/billing/instances/instances.js';
import { createStaff, disableStaff, type StaffMember } from '../../src/billing/staff/staff.js';
import { ManualClock } from '../../src/shared/clock.js';
import { apiKeys, auditLog } from '../../src/store/schema.js';
import { systemCtx } from '../support/accounts.js';
import { describeDb } from '../support/db.js';

describeDb('API keys', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  let ctx: ServiceContext;
  let us: Instance;
  let owner: StaffMember;

  beforeAll(async () => {
    ctx = systemCtx(database(), clock);
    us = await createInstance(ctx, { slug: 'us' });
    owner = await createStaff(ctx, { email: 'owner@example.com', name: 'Owner', role: 'owner' });
  });

  it('shows the secret once and stores only its SHA-256 and a display prefix', async () => {
    const { key, secret } = await createInstanceKey(ctx, us.id, 'us production');
    expect(secret).toMatch(/^tally_ik_[0-9A-Za-z]{32,}$/);
    expect(key).toMatchObject({ kind: 'instance', instanceId: us.id, name: 'us production', revokedAt: null });
    expect(secret.startsWith(key.displayPrefix)).toBe(true);
    expect(key.displayPrefix.length).toBeLessThan(20);
    expect(JSON.stringify(key)).not.toContain(secret);

    const [row] = await database().db.select().from(apiKeys).where(eq(apiKeys.id, key.id));
    expect(row?.secretHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
    // Nor anywhere else it might leak: the audit row describes the key without its secret.
    const audits = await database().db.select().from(auditLog).where(eq(auditLog.targetId, key.id));
    expect(audits.map((a) => a.action)).toEqual(['api_key.create']);
    expect(JSON.stringify(audits)).not.toContain(secret);

    const listed = await listKeys(ctx, { instanceId: us.id });
    expect(listed.map((k) => k.id)).toContain(key.id);
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('makes secrets that are long, random and distinct', async () => {
    const secrets = await Promise.all(Array.from({ length: 20 }, (_, i) => createInstanceKey(ctx, us.id, `k${i}`).then((k) => k.secret)));
    expect(new Set(secrets).size).toBe(20);
    for (const s of secrets) expect(s.length - 'tally_ik_'.length).toBeGreaterThanOrEqual(32);
  });

  it('authenticates instance and staff keys to who they belong to', async () => {
    const ik = await createInstanceKey(ctx, us.id, 'auth');
    const sk = await createStaffKey(ctx, owner.id, 'automation');
    expect(sk.secret).toMatch(/^tally_sk_[0-9A-Za-z]{32,}$/);
    expect(await authenticateKey(database().db, clock, ik.secret)).toEqual({ kind: 'instance', instanceId: us.id, keyId: ik.key.id });
    expect(await authenticateKey(database().db, clock, sk.secret)).toEqual({ kind: 'staff', staffId: owner.id, role: 'owner', keyId: sk.key.id });
    expect((await listKeys(ctx, { staffId: owner.id })).map((k) => k.id)).toEqual([sk.key.id]);
  });

  it('refuses unknown, malformed and re-prefixed secrets', async () => {
    const ik = await createInstanceKey(ctx, us.id, 'x');
    for (const bad of ['', 'tally_ik_', `${ik.secret}x`, ik.secret.slice(0, -1), ik.secret.replace('tally_ik_', 'tally_sk_'), `Bearer ${ik.secret}`, 'tally_ik_' + 'A'.repeat(40)]) {
      expect(await authenticateKey(database().db, clock, bad)).toBeNull();
    }
  });

  it('stops a revoked key at once and audits the revocation with its reason', async () => {
    const { key, secret } = await createInstanceKey(ctx, us.id, 'to revoke');
    clock.advance(1000);
    const revoked = await revokeKey(ctx, key.id, { reason: 'leaked in a log' });
    expect(revoked.revokedAt).toEqual(clock.now());
    expect(await authenticateKey(database().db, clock, secret)).toBeNull();
    const audit = await database().db.select().from(auditLog).where(eq(auditLog.targetId, key.id));
    expect(audit.find((a) => a.action === 'api_key.revoke')).toMatchObject({ reason: 'leaked in a log' });
    // Revoking again changes nothing and writes nothing.
    clock.advance(1000);
    expect((await revokeKey(ctx, key.id, { reason: 'again' })).revokedAt).toEqual(revoked.revokedAt);
    expect((await database().db.select().from(auditLog).where(eq(auditLog.targetId, key.id))).length).toBe(audit.length);
  });

  it("requires a staff member's reason to revoke", async () => {
    const { key } = await createInstanceKey(ctx, us.id, 'kept');
    const staffCtx: ServiceContext = { ...ctx, actor: { type: 'staff', id: owner.id, role: 'owner' } };
    await expect(revokeKey(staffCtx, key.id, {})).rejects.toMatchObject({ code: 'reason_required', param: 'reason' });
    expect((await getKey(ctx, key.id)).revokedAt).toBeNull();
  });

  it("stops a disabled staff member's keys", async () => {
    const leaver = await createStaff(ctx, { email: 'leaver@example.com', name: 'Leaver', role: 'billing_admin' });
    const { secret } = await createStaffKey(ctx, leaver.id, 'script');
    expect(await authenticateKey(database().db, clock, secret)).not.toBeNull();
    await disableStaff(ctx, leaver.id, { reason: 'left' });
    expect(await authenticateKey(database().db, clock, secret)).toBeNull();
    await expect(createStaffKey(ctx, leaver.id, 'another')).rejects.toMatchObject({ code: 'staff_disabled' });
  });

  it('records last use at most once a minute', async () => {
    const { key, secret } = await createInstanceKey(ctx, us.id, 'usage');
    expect((await getKey(ctx, key.id)).lastUsedAt).toBeNull();
    await authenticateKey(database().db, clock, secret);
    const first = clock.now();
    expect((await getKey(ctx, key.id)).lastUsedAt).toEqual(first);
    clock.advance(30_000);
    await authenticateKey(database().db, clock, secret);
    expect((await getKey(ctx, key.id)).lastUsedAt).toEqual(first);
    clock.advance(31_000);
    await authenticateKey(database().db, clock, secret);
    expect((await getKey(ctx, key.id)).lastUsedAt).toEqual(clock.now());
  });

  it('refuses keys for unknown owners and nameless keys', async () => {
    await expect(createInstanceKey(ctx, 'ins_nope', 'x')).rejects.toMatchObject({ type: 'not_found' });
    await expect(createStaffKey(ctx, 'stf_nope', 'x')).rejects.toMatchObject({ type: 'not_found' });
    await expect(createInstanceKey(ctx, us.id, '  ')).rejects.toMatchObject({ param: 'name' });
  });
});
