import { createHash, randomInt, timingSafeEqual } from 'node:crypto';

/**
 * Customer-facing coupon codes (R11). Drawn from a CSPRNG over an alphabet without look-alikes
 * (no 0/O/o, no 1/l/I), so a code read aloud or copied from a screenshot still works. 12 characters of 56
 * symbols are about 69 bits: far beyond guessing, even before the per-customer rate limit.
 */
export const CODE_UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
export const CODE_LOWER = 'abcdefghijkmnpqrstuvwxyz';
export const CODE_DIGITS = '23456789';
export const CODE_ALPHABET = CODE_UPPER + CODE_LOWER + CODE_DIGITS;
export const CODE_LENGTH = 12;

/** At least one upper-case letter, one lower-case letter and one digit, all from the alphabet. */
export function meetsCodeRules(code: string): boolean {
  if (code.length < 8) return false;
  if (![...code].every((ch) => CODE_ALPHABET.includes(ch))) return false;
  return [CODE_UPPER, CODE_LOWER, CODE_DIGITS].every((set) => [...code].some((ch) => set.includes(ch)));
}

/**
 * A new code. Each character is uniform (randomInt rejects biased draws); a draw missing a character
 * class is thrown away and drawn again, which keeps every valid code equally likely.
 */
export function generateCouponCode(length = CODE_LENGTH): string {
  if (!Number.isInteger(length) || length < 8) throw new RangeError('coupon codes have at least 8 characters');
  for (;;) {
    let code = '';
    for (let i = 0; i < length; i++) code += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
    if (meetsCodeRules(code)) return code;
  }
}

/** What is stored instead of the code: its SHA-256, hex. Codes are high-entropy, so a fast hash suffices. */
export function hashCouponCode(code: string): string {
  return createHash('sha256').update(code.trim(), 'utf8').digest('hex');
}

/** The last four characters, for lists (`…7kPq`): enough to tell codes apart, far too little to guess one. */
export function codeHint(code: string): string {
  return `…${code.slice(-4)}`;
}

/** Constant-time comparison of two stored-form hashes (hex SHA-256). */
export function sameCodeHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}
