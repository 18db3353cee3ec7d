import { createPublicKey, verify, type KeyObject } from 'node:crypto';

/** A license file as Tally issues it (format `tally-license-v1`). */
export interface LicenseFile {
  format: 'tally-license-v1';
  kid: string;
  /** base64url (no padding) of the UTF-8 JSON payload. */
  payload: string;
  /** base64url (no padding) Ed25519 signature over the ASCII bytes of `payload` as it appears in the file. */
  signature: string;
}

/** A public key as `GET /v1/license-keys` lists it (a JWK plus its dates). */
export interface LicensePublicKey {
  kid: string;
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  created_at?: string;
  retired_at?: string | null;
}

/** What a license grants. */
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

export type LicenseInvalidReason = 'malformed' | 'unknown_kid' | 'bad_signature' | 'invalid_payload' | 'key_retired' | 'expired' | 'not_yet_valid';

export type LicenseVerification =
  | { valid: true; payload: LicensePayload; kid: string }
  /** `payload` is present when the signature was good but the license is outside its dates (expired, not yet valid). */
  | { valid: false; reason: LicenseInvalidReason; message: string; payload?: LicensePayload };

const B64URL = /^[A-Za-z0-9_-]*$/;

function parseFile(file: string | LicenseFile | Record<string, unknown>): LicenseFile | null {
  let obj: unknown = file;
  if (typeof file === 'string') {
    try {
      obj = JSON.parse(file);
    } catch {
      return null;
    }
  }
  if (obj === null || typeof obj !== 'object') return null;
  const f = obj as Record<string, unknown>;
  if (f.format !== 'tally-license-v1') return null;
  for (const k of ['kid', 'payload', 'signature'] as const) if (typeof f[k] !== 'string' || f[k] === '') return null;
  if (!B64URL.test(f.payload as string) || !B64URL.test(f.signature as string)) return null;
  return f as unknown as LicenseFile;
}

function parsePayload(payload: string): LicensePayload | null {
  let p: unknown;
  try {
    p = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return null;
  const o = p as Record<string, unknown>;
  const strings = ['license_id', 'customer_id', 'customer_name', 'plan', 'starts_at', 'expires_at', 'issued_at'];
  if (!strings.every((k) => typeof o[k] === 'string')) return null;
  if (!['starts_at', 'expires_at', 'issued_at'].every((k) => !Number.isNaN(Date.parse(o[k] as string)))) return null;
  if (!Array.isArray(o.features) || !o.features.every((x) => typeof x === 'string')) return null;
  if (o.limits === null || typeof o.limits !== 'object' || Array.isArray(o.limits)) return null;
  return o as unknown as LicensePayload;
}

const isKeyList = (k: readonly LicensePublicKey[] | { keys: readonly LicensePublicKey[] }): k is readonly LicensePublicKey[] => Array.isArray(k);

function loadKey(k: LicensePublicKey): KeyObject | null {
  try {
    return createPublicKey({ key: { kty: k.kty, crv: k.crv, x: k.x }, format: 'jwk' });
  } catch {
    return null;
  }
}

/**
 * Verifies a self-managed license offline, with Tally's public keys (from `GET /v1/license-keys`, shipped with
 * your product). Invalid with a reason when the file is malformed, its kid unknown, the Ed25519 signature bad,
 * the payload unreadable, or it claims to be issued after its key was retired; with a good signature but `now`
 * outside [starts_at, expires_at), invalid as `expired` / `not_yet_valid` with the payload still returned.
 */
export function verifyLicense(
  file: string | LicenseFile | Record<string, unknown>,
  keys: readonly LicensePublicKey[] | { keys: readonly LicensePublicKey[] },
  now: Date = new Date(),
): LicenseVerification {
  const lic = parseFile(file);
  if (!lic) return { valid: false, reason: 'malformed', message: 'Not a tally-license-v1 file with kid, payload and signature.' };
  const list: readonly LicensePublicKey[] = isKeyList(keys) ? keys : keys.keys;
  const jwk = list.find((k) => k.kid === lic.kid);
  const key = jwk ? loadKey(jwk) : null;
  if (!jwk || !key) return { valid: false, reason: 'unknown_kid', message: `No usable public key with kid '${lic.kid}'.` };
  const signature = Buffer.from(lic.signature, 'base64url');
  if (!verify(null, Buffer.from(lic.payload, 'ascii'), key, signature)) {
    return { valid: false, reason: 'bad_signature', message: 'The signature does not match the payload.' };
  }
  const payload = parsePayload(lic.payload);
  if (!payload) return { valid: false, reason: 'invalid_payload', message: 'The signed payload is not a license.' };
  // A retired key signs nothing new; licenses it signed before retirement stay valid.
  if (jwk.retired_at && Date.parse(payload.issued_at) > Date.parse(jwk.retired_at)) {
    return { valid: false, reason: 'key_retired', message: `Key '${lic.kid}' was retired at ${jwk.retired_at}, before this license's issue date.` };
  }
  const t = now.getTime();
  if (t < Date.parse(payload.starts_at)) return { valid: false, reason: 'not_yet_valid', message: `Valid from ${payload.starts_at}.`, payload };
  if (t >= Date.parse(payload.expires_at)) return { valid: false, reason: 'expired', message: `Expired at ${payload.expires_at}.`, payload };
  return { valid: true, payload, kid: lic.kid };
}
