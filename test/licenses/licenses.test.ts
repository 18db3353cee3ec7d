import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { listLicenseKeys, publicJwk, rotateLicenseKey } from '../../src/billing/licenses/keys.js';
import { getLicense, issueLicense, listLicenses } from '../../src/billing/licenses/licenses.js';
import { verifyLicense } from '../../src/core/licenses/license.js';
import { licenseKeys } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { world } from '../subscriptions/helpers.js';

const why = { reason: 'self-hosted enterprise deal', ticket: 'OPS-9' };
const period = { startsAt: new Date('2026-02-01T00:00:00Z'), expiresAt: new Date('2027-02-01T00:00:00Z') };

describeDb('licenses', (database) => {
  it('issues signed licenses, rotates keys, and old licenses keep verifying with the retired key', async () => {
    const w = await world(database().db, '2026-01-20T10:00:00Z');
    const cus = await w.customer();
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', ...period })).rejects.toMatchObject({ code: 'reason_required' });
    const first = await issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', features: ['saml_sso'], limits: { seats: 10, devices: 50 }, ...period }, why, null);
    expect(first.payload).toEqual({
      license_id: first.id,
      customer_id: cus.id,
      customer_name: cus.externalId,
      plan: 'enterprise',
      features: ['saml_sso'],
      limits: { seats: 10, devices: 50 },
      starts_at: '2026-02-01T00:00:00.000Z',
      expires_at: '2027-02-01T00:00:00.000Z',
      issued_at: '2026-01-20T10:00:00.000Z',
    });
    let keys = (await listLicenseKeys(w.system)).map(publicJwk);
    const mine = keys.find((k) => k.kid === first.kid)!;
    expect(mine).toMatchObject({ kty: 'OKP', crv: 'Ed25519', retired_at: null });
    expect(verifyLicense(first.file, keys, new Date('2026-03-01T00:00:00Z'))).toMatchObject({ valid: true, kid: first.kid });
    expect(verifyLicense(first.file, keys, new Date('2027-02-01T00:00:00Z'))).toMatchObject({ valid: false, reason: 'expired' });

    w.clock.set('2026-01-21T00:00:00Z');
    const rotated = await rotateLicenseKey(w.staff, why, null);
    expect(rotated.kid).not.toBe(first.kid);
    const second = await issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', ...period }, why, null);
    expect(second.kid).toBe(rotated.kid);
    keys = (await listLicenseKeys(w.system)).map(publicJwk);
    expect(keys.find((k) => k.kid === first.kid)?.retired_at).toBe('2026-01-21T00:00:00.000Z');
    expect(keys.find((k) => k.kid === rotated.kid)?.retired_at).toBeNull();
    const at = new Date('2026-03-01T00:00:00Z');
    expect(verifyLicense(first.file, keys, at)).toMatchObject({ valid: true });
    expect(verifyLicense(second.file, keys, at)).toMatchObject({ valid: true });
    // Without the retired key published, the old license would not verify.
    expect(verifyLicense(first.file, keys.filter((k) => k.kid !== first.kid), at)).toMatchObject({ valid: false, reason: 'unknown_kid' });

    expect((await getLicense(w.system, first.id)).file).toEqual(first.file);
    expect((await listLicenses(w.system, { customerId: cus.id, limit: 10 })).data.map((l) => l.id)).toEqual([second.id, first.id]);
    expect((await w.audit(cus.id)).map((a) => a.action)).toEqual(['license.issue', 'license.issue']);
  });

  it('refuses bad input naming the field', async () => {
    const w = await world(database().db, '2026-01-20T10:00:00Z');
    const cus = await w.customer();
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'x', limits: { seats: -1 }, ...period }, why, null)).rejects.toMatchObject({ param: 'limits.seats' });
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'x', features: ['Bad Feature'], ...period }, why, null)).rejects.toMatchObject({ param: 'features.0' });
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'x', startsAt: period.expiresAt, expiresAt: period.startsAt }, why, null)).rejects.toMatchObject({ param: 'expires_at' });
    await expect(issueLicense(w.staff, { customerId: 'cus_nope', plan: 'x', ...period }, why, null)).rejects.toMatchObject({ type: 'not_found' });
  });

  it('with TALLY_SECRET_KEY the private key is encrypted at rest and needs that secret to sign', async () => {
    const w = await world(database().db, '2026-01-20T10:00:00Z');
    const cus = await w.customer();
    const key = await rotateLicenseKey(w.staff, why, 'correct horse battery staple');
    const [row] = await database().db.select().from(licenseKeys).where(eq(licenseKeys.kid, key.kid));
    expect(row!.privateKey.startsWith('enc:v1:')).toBe(true);
    expect(row!.privateKey).not.toContain('PRIVATE KEY');
    const lic = await issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', ...period }, why, 'correct horse battery staple');
    expect(verifyLicense(lic.file, (await listLicenseKeys(w.system)).map(publicJwk), new Date('2026-03-01T00:00:00Z'))).toMatchObject({ valid: true });
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', ...period }, why, 'wrong')).rejects.toMatchObject({ code: 'license_key_locked' });
    await expect(issueLicense(w.staff, { customerId: cus.id, plan: 'enterprise', ...period }, why, null)).rejects.toMatchObject({ code: 'license_key_locked' });
  });
});
