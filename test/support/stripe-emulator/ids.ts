/** Stripe-style identifiers: a type prefix and a random base62 tail (`cus_QXg1o8vcGmoR32`). */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 62 * 4: rejecting the top values keeps the distribution uniform.
      if (byte < 248) out += ALPHABET[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

/** Tail lengths follow what Stripe issues today for each object kind. */
const TAIL: Record<string, number> = {
  cus: 14,
  prod: 14,
  price: 24,
  in: 24,
  ii: 24,
  il: 24,
  cbtxn: 24,
  txi: 24,
  sub: 24,
  si: 14,
  sub_sched: 24,
  evt: 24,
  cs_test: 58,
  bps: 24,
  bpc: 24,
  di: 24,
  pm: 24,
  seti: 24,
  req: 14,
  whsec: 32,
};

export function newId(prefix: string): string {
  return `${prefix}_${randomBase62(TAIL[prefix] ?? 24)}`;
}

/** Coupons get short upper-case ids (`Z4OV52SU`) unless the caller chooses one. */
export function newCouponId(): string {
  return randomBase62(8).toUpperCase();
}

/** Invoice number prefixes are 8 upper-case hex-like characters, unique per customer (`7FE1103A`). */
export function newInvoicePrefix(): string {
  return randomBytes(4).toString('hex').toUpperCase();
}
