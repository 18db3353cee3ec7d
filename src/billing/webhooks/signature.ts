/**
 * The outbound webhook signature (fixed wire format, see docs/webhooks.md): header
 * `Tally-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` where each hex is the lowercase HMAC-SHA256,
 * keyed with an endpoint signing secret (the whole `whsec_…` string as UTF-8 bytes), of `"<t>.<raw body>"`.
 * Several v1 entries appear while a rotated-out secret is still valid; any one matching is enough.
 * Pure: the caller passes the time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'Tally-Signature';
export const EVENT_ID_HEADER = 'Tally-Event-Id';
/** How far the signed timestamp may be from the receiver's clock, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The lowercase hex HMAC-SHA256 of `"<t>.<body>"` under `secret`. */
export function computeSignature(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest('hex');
}

/** The header value for `body` signed at `at` with each of `secrets` (current first). */
export function signatureHeader(secrets: readonly string[], at: Date, body: string): string {
  if (secrets.length === 0) throw new RangeError('signatureHeader: at least one secret is needed');
  const t = Math.floor(at.getTime() / 1000);
  return [`t=${t}`, ...secrets.map((s) => `v1=${computeSignature(s, t, body)}`)].join(',');
}

export interface ParsedSignature {
  timestamp: number;
  v1: string[];
}

/** Splits a header into its timestamp and v1 signatures; null when it has no usable timestamp. Unknown schemes are ignored. */
export function parseSignatureHeader(header: string): ParsedSignature | null {
  let timestamp: number | null = null;
  const v1: string[] = [];
  for (const part of header.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (key === 't') {
      if (!/^\d+$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === 'v1' && value !== '') {
      v1.push(value);
    }
  }
  return timestamp === null ? null : { timestamp, v1 };
}

export type VerifyResult = { valid: true; timestamp: number } | { valid: false; reason: 'malformed_header' | 'no_signatures' | 'signature_mismatch' | 'timestamp_outside_tolerance' };

export interface VerifyOptions {
  /** The receiver's time; the system time when omitted. */
  now?: Date;
  toleranceSeconds?: number;
}

function equalHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Checks `header` against the raw request body (exactly the bytes received, before any JSON parsing) with
 * the receiver's secret(s): valid when some v1 matches some secret (constant-time compare) and the
 * timestamp is within the tolerance of now.
 */
export function verifySignature(body: string, header: string, secrets: string | readonly string[], options: VerifyOptions = {}): VerifyResult {
  const parsed = parseSignatureHeader(header);
  if (!parsed) return { valid: false, reason: 'malformed_header' };
  if (parsed.v1.length === 0) return { valid: false, reason: 'no_signatures' };
  const keys = typeof secrets === 'string' ? [secrets] : secrets;
  let matched = false;
  for (const key of keys) {
    const expected = computeSignature(key, parsed.timestamp, body);
    // Compare against every entry without stopping early, so timing does not tell which one matched.
    for (const candidate of parsed.v1) if (equalHex(expected, candidate)) matched = true;
  }
  if (!matched) return { valid: false, reason: 'signature_mismatch' };
  const nowSeconds = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - parsed.timestamp) > tolerance) return { valid: false, reason: 'timestamp_outside_tolerance' };
  return { valid: true, timestamp: parsed.timestamp };
}
