import { createHmac, timingSafeEqual } from 'node:crypto';

/** What Tally posts to a webhook endpoint. */
export interface WebhookEvent<T = Record<string, unknown>> {
  id: string;
  type: string;
  created: string;
  instance: string;
  data: T;
}

export interface VerifyWebhookOptions {
  /** How far the signature's timestamp may be from now, in seconds (default 300). */
  toleranceSec?: number;
  /** The time to check against (default: now). */
  now?: Date;
}

export type WebhookVerification =
  | { valid: true; event: WebhookEvent; timestamp: number }
  | { valid: false; reason: 'missing_header' | 'malformed_header' | 'signature_mismatch' | 'timestamp_outside_tolerance' | 'invalid_json' };

const HEX_SHA256 = /^[0-9a-f]{64}$/;

/**
 * Verifies a `Tally-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>…]` header: some v1 must equal the HMAC-SHA256
 * (lower-case hex) of `"<t>.<raw body>"` under the endpoint's signing secret, compared in constant time, and t
 * must be within `toleranceSec` of now. Pass the body exactly as received (bytes or string), before any JSON
 * parsing. `secret` may be a list: during a rotation on your side, accept the old and the new secret.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  header: string | readonly string[] | null | undefined,
  secret: string | readonly string[],
  options: VerifyWebhookOptions = {},
): WebhookVerification {
  const value = Array.isArray(header) ? header.join(',') : (header as string | null | undefined);
  if (!value) return { valid: false, reason: 'missing_header' };

  let t: string | null = null;
  const candidates: Buffer[] = [];
  for (const part of value.split(',')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq).trim();
    const v = part.slice(eq + 1).trim();
    if (k === 't') t = v;
    else if (k === 'v1' && HEX_SHA256.test(v)) candidates.push(Buffer.from(v, 'hex'));
  }
  if (t === null || !/^\d+$/.test(t) || candidates.length === 0) return { valid: false, reason: 'malformed_header' };

  const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : Buffer.from(rawBody.buffer, rawBody.byteOffset, rawBody.byteLength);
  const signed = Buffer.concat([Buffer.from(`${t}.`, 'utf8'), body]);
  const secrets = typeof secret === 'string' ? [secret] : secret;
  let matched = false;
  for (const s of secrets) {
    const expected = createHmac('sha256', Buffer.from(s, 'utf8')).update(signed).digest();
    // Every candidate is compared, so timing does not reveal which (if any) matched.
    for (const c of candidates) if (timingSafeEqual(expected, c)) matched = true;
  }
  if (!matched) return { valid: false, reason: 'signature_mismatch' };

  const timestamp = Number(t);
  const nowSec = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSec - timestamp) > (options.toleranceSec ?? 300)) return { valid: false, reason: 'timestamp_outside_tolerance' };

  try {
    return { valid: true, event: JSON.parse(body.toString('utf8')) as WebhookEvent, timestamp };
  } catch {
    return { valid: false, reason: 'invalid_json' };
  }
}

/** Signs a body as Tally does (for tests of your webhook handler): the `Tally-Signature` header value. */
export function signWebhook(rawBody: string, secret: string, timestampSec: number): string {
  const hex = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestampSec}.${rawBody}`, 'utf8').digest('hex');
  return `t=${timestampSec},v1=${hex}`;
}
