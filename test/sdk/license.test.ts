import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyLicense, type LicensePublicKey } from '../../packages/sdk/src/index.js';

// Keys and files made here with node:crypto straight from the wire format, not with Tally's issuer.
function keyPair(kid: string, retired_at: string | null = null): { pub: LicensePublicKey; priv: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' });
  return { pub: { kid, kty: 'OKP', crv: 'Ed25519', x: jwk.x as string, created_at: '2025-01-01T00:00:00Z', retired_at }, priv: privateKey };
}

const payload = {
  license_id: 'lic_1',
  customer_id: 'cus_1',
  customer_name: 'Acme Corp',
  plan: 'enterprise',
  features: ['saml_sso', 'role_based_access'],
  limits: { seats: 10 },
  starts_at: '2026-01-01T00:00:00Z',
  expires_at: '2027-01-01T00:00:00Z',
  issued_at: '2025-12-20T00:00:00Z',
};

function licenseFile(kid: string, priv: KeyObject, p: object = payload): { format: string; kid: string; payload: string; signature: string } {
  const encoded = Buffer.from(JSON.stringify(p), 'utf8').toString('base64url');
  const signature = sign(null, Buffer.from(encoded, 'ascii'), priv).toString('base64url');
  return { format: 'tally-license-v1', kid, payload: encoded, signature };
}

const k1 = keyPair('k1');
const k2 = keyPair('k2');
const keys = [k1.pub, k2.pub];
const during = new Date('2026-06-01T00:00:00Z');

describe('verifyLicense', () => {
  it('accepts a good license (file text or object; key list or the /v1/license-keys answer)', () => {
    const file = licenseFile('k2', k2.priv);
    expect(verifyLicense(JSON.stringify(file), keys, during)).toEqual({ valid: true, kid: 'k2', payload });
    expect(verifyLicense(file, { keys }, during).valid).toBe(true);
  });

  it('rejects a tampered payload with the original signature', () => {
    const file = licenseFile('k1', k1.priv);
    const forged = Buffer.from(JSON.stringify({ ...payload, limits: { seats: 1000 } })).toString('base64url');
    expect(verifyLicense({ ...file, payload: forged }, keys, during)).toMatchObject({ valid: false, reason: 'bad_signature' });
    expect(verifyLicense({ ...file, signature: licenseFile('k1', k1.priv, { ...payload, plan: 'x' }).signature }, keys, during)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('rejects an unknown kid, and a file signed with another key under a known kid', () => {
    const stranger = keyPair('k9');
    expect(verifyLicense(licenseFile('k9', stranger.priv), keys, during)).toMatchObject({ valid: false, reason: 'unknown_kid' });
    expect(verifyLicense(licenseFile('k1', stranger.priv), keys, during)).toMatchObject({ valid: false, reason: 'bad_signature' });
  });

  it('returns expired / not_yet_valid with the payload when the signature is good but now is outside [starts_at, expires_at)', () => {
    const file = licenseFile('k1', k1.priv);
    expect(verifyLicense(file, keys, new Date('2027-01-01T00:00:00Z'))).toMatchObject({ valid: false, reason: 'expired', payload });
    expect(verifyLicense(file, keys, new Date('2026-12-31T23:59:59.999Z')).valid).toBe(true);
    expect(verifyLicense(file, keys, new Date('2025-12-31T23:59:59Z'))).toMatchObject({ valid: false, reason: 'not_yet_valid', payload });
    expect(verifyLicense(file, keys, new Date('2026-01-01T00:00:00Z')).valid).toBe(true);
  });

  it('rejects malformed files and signed payloads that are not licenses', () => {
    expect(verifyLicense('not json', keys, during)).toMatchObject({ valid: false, reason: 'malformed' });
    expect(verifyLicense({ ...licenseFile('k1', k1.priv), format: 'other' }, keys, during)).toMatchObject({ valid: false, reason: 'malformed' });
    expect(verifyLicense(licenseFile('k1', k1.priv, { license_id: 'lic_2' }), keys, during)).toMatchObject({ valid: false, reason: 'invalid_payload' });
  });

  it("keeps licenses a retired key signed before retirement, refuses ones claiming a later issue date", () => {
    const retired = keyPair('k0', '2026-01-15T00:00:00Z');
    expect(verifyLicense(licenseFile('k0', retired.priv), [retired.pub], during).valid).toBe(true);
    const late = licenseFile('k0', retired.priv, { ...payload, issued_at: '2026-02-01T00:00:00Z' });
    expect(verifyLicense(late, [retired.pub], during)).toMatchObject({ valid: false, reason: 'key_retired' });
  });
});
