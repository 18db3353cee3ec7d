/**
 * Self-managed licenses (R21), in the wire format the lead fixed (spec-formats.md): a JSON file
 * `{format:'tally-license-v1', kid, payload, signature}` where `payload` is base64url (no padding) of the
 * UTF-8 JSON payload and `signature` the base64url Ed25519 signature over the ASCII bytes of `payload`
 * exactly as written. Verification needs only the public keys, so a deployment checks it offline.
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { systemClock } from '../../shared/clock.js';

export const LICENSE_FORMAT = 'tally-license-v1';

export interface LicensePayload {
  license_id: string;
  customer_id: string;
  customer_name: string;
  plan: string;
  features: string[];
  limits: Record<string, number>;
  starts_at: string;
  expires_at: string;
  issued_at: string;
}

export interface LicenseFile {
  format: typeof LICENSE_FORMAT;
  kid: string;
  payload: string;
  signature: string;
}

export interface PublicKeyJwk {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  created_at: string;
  retired_at: string | null;
}

export type VerifyResult =
  | { valid: true; payload: LicensePayload; kid: string }
  | { valid: false; reason: 'expired' | 'not_yet_valid'; payload: LicensePayload; kid: string }
  | { valid: false; reason: 'malformed' | 'unsupported_format' | 'unknown_kid' | 'bad_signature' | 'invalid_payload'; message: string; payload?: undefined };

const b64url = (buf: Buffer): string => buf.toString('base64url');

/** Signs a payload with an Ed25519 private key (PKCS#8 PEM or KeyObject) into a license file. */
export function signLicense(payload: LicensePayload, kid: string, privateKey: KeyObject | string): LicenseFile {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  const encoded = b64url(Buffer.from(JSON.stringify(payload), 'utf8'));
  const signature = b64url(sign(null, Buffer.from(encoded, 'ascii'), key));
  return { format: LICENSE_FORMAT, kid, payload: encoded, signature };
}

/** The license file as written to disk (pretty JSON with a trailing newline). */
export const licenseFileText = (f: LicenseFile): string => `${JSON.stringify(f, null, 2)}\n`;

const ISO_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function checkPayload(v: unknown): v is LicensePayload {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const p = v as Record<string, unknown>;
  const str = (k: string) => typeof p[k] === 'string';
  const iso = (k: string) => str(k) && ISO_RE.test(p[k] as string) && !Number.isNaN(Date.parse(p[k] as string));
  return (
    str('license_id') &&
    str('customer_id') &&
    str('customer_name') &&
    str('plan') &&
    Array.isArray(p.features) &&
    p.features.every((f) => typeof f === 'string') &&
    typeof p.limits === 'object' &&
    p.limits !== null &&
    !Array.isArray(p.limits) &&
    Object.values(p.limits).every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    iso('starts_at') &&
    iso('expires_at') &&
    iso('issued_at')
  );
}

function loadKey(k: PublicKeyJwk): KeyObject | null {
  try {
    return createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' });
  } catch {
    return null;
  }
}

/**
 * Verifies a license file (its text or parsed JSON) against published keys. The signature is checked
 * before the payload is trusted; a valid signature outside [starts_at, expires_at) reports why, with
 * the payload. Retired keys still verify what they signed.
 */
export function verifyLicense(file: unknown, keys: readonly PublicKeyJwk[], now: Date = systemClock.now()): VerifyResult {
  let f: unknown = file;
  if (typeof file === 'string') {
    try {
      f = JSON.parse(file);
    } catch {
      return { valid: false, reason: 'malformed', message: 'The license is not JSON.' };
    }
  }
  if (typeof f !== 'object' || f === null) return { valid: false, reason: 'malformed', message: 'The license is not a JSON object.' };
  const lf = f as Record<string, unknown>;
  if (lf.format !== LICENSE_FORMAT) return { valid: false, reason: 'unsupported_format', message: `Unsupported license format '${String(lf.format)}'.` };
  if (typeof lf.kid !== 'string' || typeof lf.payload !== 'string' || typeof lf.signature !== 'string') {
    return { valid: false, reason: 'malformed', message: 'The license needs kid, payload and signature strings.' };
  }
  const jwk = keys.find((k) => k.kid === lf.kid);
  const key = jwk ? loadKey(jwk) : null;
  if (!key) return { valid: false, reason: 'unknown_kid', message: `No published key '${lf.kid}'.` };
  if (!/^[A-Za-z0-9_-]*$/.test(lf.payload) || !/^[A-Za-z0-9_-]+$/.test(lf.signature)) return { valid: false, reason: 'bad_signature', message: 'payload and signature must be base64url without padding.' };
  const sig = Buffer.from(lf.signature, 'base64url');
  if (sig.length !== 64 || sig.toString('base64url') !== lf.signature || !verify(null, Buffer.from(lf.payload, 'ascii'), key, sig)) {
    return { valid: false, reason: 'bad_signature', message: 'The signature does not match the payload.' };
  }
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(lf.payload, 'base64url').toString('utf8'));
  } catch {
    return { valid: false, reason: 'invalid_payload', message: 'The payload is not JSON.' };
  }
  if (!checkPayload(payload)) return { valid: false, reason: 'invalid_payload', message: 'The payload lacks required fields.' };
  const t = now.getTime();
  if (t < Date.parse(payload.starts_at)) return { valid: false, reason: 'not_yet_valid', payload, kid: lf.kid };
  if (t >= Date.parse(payload.expires_at)) return { valid: false, reason: 'expired', payload, kid: lf.kid };
  return { valid: true, payload, kid: lf.kid };
}
