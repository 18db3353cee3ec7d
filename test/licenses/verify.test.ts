import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signLicense, verifyLicense, type LicensePayload, type PublicKeyJwk } from '../../src/core/licenses/license.js';

function keyPair(kid: string) {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk: PublicKeyJwk = { kid, kty: 'OKP', crv: 'Ed25519', x: (publicKey.export({ format: 'jwk' }) as { x: string }).x, created_at: '2026-01-01T00:00:00.000Z', retired_at: null };
  return { jwk, privateKey };
}

const payload: LicensePayload = {
  license_id: 'lic_01',
  customer_id: 'cus_01',
  customer_name: 'Acme Corp',
  plan: 'enterprise',
  features: ['saml_sso', 'audit_logs'],
  limits: { seats: 10, devices: 50 },
  starts_at: '2026-02-01T00:00:00.000Z',
  expires_at: '2027-02-01T00:00:00.000Z',
  issued_at: '2026-01-20T10:00:00.000Z',
};
const mid = new Date('2026-06-01T00:00:00Z');
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o), 'utf8').toString('base64url');

describe('license files (R21, spec-formats tally-license-v1)', () => {
  const k1 = keyPair('lk_1');
  const k2 = keyPair('lk_2');
  const file = signLicense(payload, 'lk_1', k1.privateKey);

  it('has exactly the spec format: base64url payload and an Ed25519 signature over its ASCII bytes', () => {
    expect(Object.keys(file)).toEqual(['format', 'kid', 'payload', 'signature']);
    expect(file.format).toBe('tally-license-v1');
    expect(file.payload).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(file.signature).toMatch(/^[A-Za-z0-9_-]{86}$/); // 64 bytes, no padding
    expect(JSON.parse(Buffer.from(file.payload, 'base64url').toString('utf8'))).toEqual(payload);
  });

  it('verifies offline with the published key, from text or object, among several keys', () => {
    expect(verifyLicense(file, [k2.jwk, k1.jwk], mid)).toEqual({ valid: true, payload, kid: 'lk_1' });
    expect(verifyLicense(JSON.stringify(file), [k1.jwk], mid)).toMatchObject({ valid: true });
    // A retired key still verifies what it signed.
    expect(verifyLicense(file, [{ ...k1.jwk, retired_at: '2026-03-01T00:00:00.000Z' }], mid)).toMatchObject({ valid: true });
  });

  it('reports expiry and not-yet-valid with the payload, at the exact bounds [starts_at, expires_at)', () => {
    expect(verifyLicense(file, [k1.jwk], new Date('2026-01-31T23:59:59.999Z'))).toEqual({ valid: false, reason: 'not_yet_valid', payload, kid: 'lk_1' });
    expect(verifyLicense(file, [k1.jwk], new Date('2026-02-01T00:00:00.000Z'))).toMatchObject({ valid: true });
    expect(verifyLicense(file, [k1.jwk], new Date('2027-01-31T23:59:59.999Z'))).toMatchObject({ valid: true });
    expect(verifyLicense(file, [k1.jwk], new Date('2027-02-01T00:00:00.000Z'))).toEqual({ valid: false, reason: 'expired', payload, kid: 'lk_1' });
  });

  it('tampering with any payload field fails verification', () => {
    const changed: Record<keyof LicensePayload, unknown> = {
      license_id: 'lic_02',
      customer_id: 'cus_02',
      customer_name: 'Acme Corp.',
      plan: 'enterprise_plus',
      features: ['saml_sso', 'audit_logs', 'white_label'],
      limits: { seats: 1000, devices: 50 },
      starts_at: '2025-02-01T00:00:00.000Z',
      expires_at: '2099-02-01T00:00:00.000Z',
      issued_at: '2026-01-21T10:00:00.000Z',
    };
    for (const [field, value] of Object.entries(changed)) {
      const forged = { ...file, payload: b64({ ...payload, [field]: value }) };
      expect(verifyLicense(forged, [k1.jwk], mid), field).toMatchObject({ valid: false, reason: 'bad_signature' });
    }
    // The same JSON with different spacing is a different payload string: also refused.
    expect(verifyLicense({ ...file, payload: Buffer.from(JSON.stringify(payload, null, 1)).toString('base64url') }, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('tampering with the envelope fails: signature, kid, format, padding', () => {
    const sig = Buffer.from(file.signature, 'base64url');
    sig[0] = sig[0]! ^ 1;
    expect(verifyLicense({ ...file, signature: sig.toString('base64url') }, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(verifyLicense({ ...file, kid: 'lk_2' }, [k1.jwk, k2.jwk], mid)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(verifyLicense({ ...file, kid: 'lk_9' }, [k1.jwk, k2.jwk], mid)).toMatchObject({ valid: false, reason: 'unknown_kid' });
    expect(verifyLicense({ ...file, format: 'tally-license-v2' }, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'unsupported_format' });
    expect(verifyLicense({ ...file, signature: `${file.signature}==` }, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(verifyLicense('not json', [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'malformed' });
    expect(verifyLicense({ format: 'tally-license-v1', kid: 'lk_1' }, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'malformed' });
  });

  it('a correctly signed payload that is not a license is invalid_payload', () => {
    const bad = signLicense({ ...payload, expires_at: 'soon' }, 'lk_1', k1.privateKey);
    expect(verifyLicense(bad, [k1.jwk], mid)).toMatchObject({ valid: false, reason: 'invalid_payload' });
  });
});
