import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, parseSignatureHeader, signatureHeader, verifySignature } from '../../src/billing/webhooks/signature.js';

const body = '{"id":"evt_1","type":"invoice.finalized","created":"2026-03-01T00:00:00.000Z","instance":"ins_1","data":{}}';
const secret = 'whsec_current';
const old = 'whsec_previous';
const at = new Date('2026-03-01T12:00:00.900Z');
const t = 1772366400; // 2026-03-01T12:00:00Z in unix seconds, fraction dropped

describe('webhook signature', () => {
  it('signs "<t>.<body>" with HMAC-SHA256 under the whole whsec_ string, lowercase hex', () => {
    const expected = createHmac('sha256', 'whsec_current').update(`${t}.${body}`).digest('hex');
    expect(computeSignature(secret, t, body)).toBe(expected);
    expect(signatureHeader([secret], at, body)).toBe(`t=${t},v1=${expected}`);
    expect(expected).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches the documented test vector (computed with openssl, independently of this code)', () => {
    const vector = '{"id":"evt_1","type":"customer.created"}';
    const hex = '9e2b81043ee2bda5ee529e40a28a421cd5b4b283b678f2131094e6aff9062195';
    expect(computeSignature('whsec_example', 1772323200, vector)).toBe(hex);
    expect(verifySignature(vector, `t=1772323200,v1=${hex}`, 'whsec_example', { now: new Date(1772323200_000) }).valid).toBe(true);
  });

  it('verifies its own signature and refuses a changed body or another secret', () => {
    const header = signatureHeader([secret], at, body);
    expect(verifySignature(body, header, secret, { now: at })).toEqual({ valid: true, timestamp: t });
    expect(verifySignature(body.replace('finalized', 'paid'), header, secret, { now: at })).toEqual({ valid: false, reason: 'signature_mismatch' });
    expect(verifySignature(body, header, 'whsec_other', { now: at })).toEqual({ valid: false, reason: 'signature_mismatch' });
  });

  it('during rotation carries one v1 per secret; a receiver holding either secret accepts it', () => {
    const header = signatureHeader([secret, old], at, body);
    const parsed = parseSignatureHeader(header)!;
    expect(parsed.timestamp).toBe(t);
    expect(parsed.v1).toEqual([computeSignature(secret, t, body), computeSignature(old, t, body)]);
    expect(verifySignature(body, header, old, { now: at }).valid).toBe(true);
    expect(verifySignature(body, header, secret, { now: at }).valid).toBe(true);
    expect(verifySignature(body, header, [old, secret], { now: at }).valid).toBe(true);
    // After the rotation window only the new secret signs: a receiver still on the old one fails.
    expect(verifySignature(body, signatureHeader([secret], at, body), old, { now: at }).valid).toBe(false);
  });

  it('accepts a timestamp up to the tolerance away, either way, and refuses beyond', () => {
    const header = signatureHeader([secret], at, body);
    const shifted = (s: number) => new Date((t + s) * 1000);
    expect(verifySignature(body, header, secret, { now: shifted(300) }).valid).toBe(true);
    expect(verifySignature(body, header, secret, { now: shifted(-300) }).valid).toBe(true);
    expect(verifySignature(body, header, secret, { now: shifted(301) })).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifySignature(body, header, secret, { now: shifted(-301) })).toEqual({ valid: false, reason: 'timestamp_outside_tolerance' });
    expect(verifySignature(body, header, secret, { now: shifted(3600), toleranceSeconds: 3600 }).valid).toBe(true);
  });

  it('refuses malformed headers and ignores unknown schemes', () => {
    const sig = computeSignature(secret, t, body);
    expect(verifySignature(body, `v1=${sig}`, secret, { now: at })).toEqual({ valid: false, reason: 'malformed_header' });
    expect(verifySignature(body, `t=abc,v1=${sig}`, secret, { now: at })).toEqual({ valid: false, reason: 'malformed_header' });
    expect(verifySignature(body, `t=${t}`, secret, { now: at })).toEqual({ valid: false, reason: 'no_signatures' });
    expect(verifySignature(body, `t=${t},v0=deadbeef,v1=${sig}`, secret, { now: at }).valid).toBe(true);
    expect(verifySignature(body, `t=${t},v1=${sig.toUpperCase()}`, secret, { now: at }).valid).toBe(false);
    expect(verifySignature(body, `t=${t},v1=${sig.slice(0, 10)}`, secret, { now: at }).valid).toBe(false);
  });
});
