import { describe, expect, it } from 'vitest';
import { CODE_ALPHABET, codeHint, generateCouponCode, hashCouponCode, meetsCodeRules } from '../../src/billing/coupons/codes.js';
import { sameCodeHash } from '../../src/billing/coupons/codes.js';

describe('customer-facing coupon codes (R11)', () => {
  it('10,000 generated codes: 12 characters, upper + lower + digit, no ambiguous characters, no repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const code = generateCouponCode();
      expect(code).toHaveLength(12);
      expect(code).toMatch(/[A-Z]/);
      expect(code).toMatch(/[a-z]/);
      expect(code).toMatch(/[0-9]/);
      expect(code).not.toMatch(/[0Oo1lI]/);
      expect(meetsCodeRules(code)).toBe(true);
      seen.add(code);
    }
    expect(seen.size).toBe(10_000);
  });

  it('uses the whole alphabet (every symbol appears across many draws)', () => {
    const counts = new Map<string, number>();
    for (let i = 0; i < 2_000; i++) for (const ch of generateCouponCode()) counts.set(ch, (counts.get(ch) ?? 0) + 1);
    expect([...counts.keys()].sort().join('')).toBe([...CODE_ALPHABET].sort().join(''));
    expect(CODE_ALPHABET).toHaveLength(56);
  });

  it('rejects codes that break the rules', () => {
    expect(meetsCodeRules('abcdefgh')).toBe(false); // no upper, no digit
    expect(meetsCodeRules('Abcdefg2')).toBe(true);
    expect(meetsCodeRules('Abcdef2')).toBe(false); // 7 characters
    expect(meetsCodeRules('Abcdefg0')).toBe(false); // ambiguous 0
    expect(() => generateCouponCode(6)).toThrow(RangeError);
  });

  it('stores a SHA-256 and a hint, never the code; hashes compare in constant time', () => {
    const code = generateCouponCode();
    const h = hashCouponCode(code);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain(code);
    expect(hashCouponCode(` ${code} `)).toBe(h);
    expect(sameCodeHash(h, hashCouponCode(code))).toBe(true);
    expect(sameCodeHash(h, hashCouponCode(generateCouponCode()))).toBe(false);
    expect(sameCodeHash(h, 'abc')).toBe(false);
    expect(codeHint(code)).toBe(`…${code.slice(-4)}`);
  });
});
