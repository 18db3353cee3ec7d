import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signWebhook, verifyWebhook } from '../../packages/sdk/src/index.js';

// Signatures computed here straight from the wire format (HMAC-SHA256, hex, over "<t>.<raw body>"), not with the SDK.
const hmac = (secret: string, t: number, body: string) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');

const body = JSON.stringify({ id: 'evt_1', type: 'invoice.finalized', created: '2026-03-10T12:00:00.000Z', instance: 'ins_1', data: { invoice: 'in_1', total: 2500 } });
const secret = 'whsec_current_0123456789';
const old = 'whsec_previous_abcdef';
const t = 1_773_144_000; // 2026-03-10T12:00:00Z
const now = new Date(t * 1000);

describe('verifyWebhook', () => {
  it('accepts a good signature and returns the parsed event', () => {
    const r = verifyWebhook(body, `t=${t},v1=${hmac(secret, t, body)}`, secret, { now });
    expect(r).toEqual({ valid: true, timestamp: t, event: JSON.parse(body) });
    // Raw bytes work the same as the string.
    expect(verifyWebhook(new TextEncoder().encode(body), `t=${t},v1=${hmac(secret, t, body)}`, secret, { now }).valid).toBe(true);
    expect(signWebhook(body, secret, t)).toBe(`t=${t},v1=${hmac(secret, t, body)}`);
  });

  it('rejects a tampered body, a tampered timestamp and a wrong secret', () => {
    const header = `t=${t},v1=${hmac(secret, t, body)}`;
    expect(verifyWebhook(body.replace('2500', '25'), header, secret, { now })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(verifyWebhook(body, `t=${t + 1},v1=${hmac(secret, t, body)}`, secret, { now })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(verifyWebhook(body, header, 'whsec_other', { now })).toEqual({ valid: false, reason: 'signature_mismatch' });
  });

  it('rejects a stale or future timestamp beyond the tolerance (default 300 s)', () => {
    const header = `t=${t},v1=${hmac(secret, t, body)}`;
    expect(verifyWebhook(body, header, secret, { now: new Date((t + 300) * 1000) }).valid).toBe(true);
    expect(verifyWebhook(body, header, secret, { now: new Date((t + 301) * 1000) })).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(body, header, secret, { now: new Date((t - 301) * 1000) })).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifyWebhook(body, header, secret, { now: new Date((t + 3600) * 1000), toleranceSec: 3600 }).valid).toBe(true);
  });

  it('accepts any of several v1 signatures during a secret rotation', () => {
    const rotated = `t=${t},v1=${hmac(old, t, body)},v1=${hmac(secret, t, body)}`;
    expect(verifyWebhook(body, rotated, secret, { now }).valid).toBe(true);
    expect(verifyWebhook(body, rotated, old, { now }).valid).toBe(true);
    expect(verifyWebhook(body, rotated, 'whsec_neither', { now }).valid).toBe(false);
    // A receiver rotating on its side can hold both secrets.
    expect(verifyWebhook(body, `t=${t},v1=${hmac(old, t, body)}`, [secret, old], { now }).valid).toBe(true);
  });

  it('rejects missing and malformed headers', () => {
    expect(verifyWebhook(body, undefined, secret, { now })).toEqual({ valid: false, reason: 'missing_header' });
    expect(verifyWebhook(body, `v1=${hmac(secret, t, body)}`, secret, { now })).toEqual({ valid: false, reason: 'malformed_header' });
    expect(verifyWebhook(body, `t=${t},v1=nothex`, secret, { now })).toEqual({ valid: false, reason: 'malformed_header' });
    expect(verifyWebhook(body, `t=${t},v0=${hmac(secret, t, body)}`, secret, { now })).toEqual({ valid: false, reason: 'malformed_header' });
  });
});
