import { randomBytes } from 'node:crypto';

/**
 * Prefixed, time-sortable IDs (`cus_01JD…`): 48 bits of milliseconds then 80 random bits, in Crockford
 * base32 (26 chars, like a ULID). IDs minted in the same millisecond by one process stay ordered by
 * incrementing the random part, so sorting by ID sorts by creation.
 */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export const ID_PREFIXES = {
  instance: 'ins',
  apiKey: 'key',
  customer: 'cus',
  subscription: 'sub',
  subscriptionItem: 'si',
  price: 'price',
  product: 'prod',
  invoice: 'inv',
  invoiceLine: 'il',
  coupon: 'coupon',
  customerCoupon: 'di',
  couponAttempt: 'cra',
  creditRequest: 'crq',
  credit: 'cbtxn',
  approval: 'apr',
  event: 'evt',
  job: 'job',
  staff: 'stf',
  session: 'ses',
  audit: 'aud',
  contract: 'ctr',
  license: 'lic',
  licenseKey: 'lk',
  revenueSchedule: 'rsch',
  catalogVersion: 'cv',
  schedule: 'sched',
  webhookEndpoint: 'we',
  webhookDelivery: 'whd',
  request: 'req',
} as const;

export type IdKind = keyof typeof ID_PREFIXES;

let lastMs = -1;
let lastRand = 0n;
const RAND_MAX = (1n << 80n) - 1n;

/** `value` (a whole number below 2^53) as `length` base32 digits, most significant first. */
function encode(value: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[value % 32] + out;
    value = Math.floor(value / 32);
  }
  return out;
}

const LOW_40 = (1n << 40n) - 1n;

/** A new ID for `kind` at time `at` (pass the injected clock's now; IDs only need it for ordering). */
export function newId(kind: IdKind, at: Date): string {
  let ms = at.getTime();
  if (ms <= lastMs) {
    // Same or earlier millisecond (or a clock that went back): keep monotonic within this process.
    ms = lastMs;
    lastRand = lastRand + 1n;
    if (lastRand > RAND_MAX) {
      lastMs += 1;
      ms = lastMs;
      lastRand = BigInt('0x' + randomBytes(10).toString('hex')) >> 1n;
    }
  } else {
    lastMs = ms;
    // Keep the top bit clear so increments within one millisecond never overflow in practice.
    lastRand = BigInt('0x' + randomBytes(10).toString('hex')) >> 1n;
  }
  // Number arithmetic on 40-bit halves: the same digits as encoding the 80-bit value, at a fraction of the cost.
  return `${ID_PREFIXES[kind]}_${encode(ms, 10)}${encode(Number(lastRand >> 40n), 8)}${encode(Number(lastRand & LOW_40), 8)}`;
}

const ID_RE = /^([a-z]+)_([0-9A-HJKMNP-TV-Z]{26})$/;

/** True when `id` is a well-formed ID of `kind`. */
export function isId(kind: IdKind, id: string): boolean {
  const m = ID_RE.exec(id);
  return m !== null && m[1] === ID_PREFIXES[kind];
}

/** The millisecond timestamp encoded in an ID. */
export function idTime(id: string): Date {
  const m = ID_RE.exec(id);
  if (!m || !m[2]) throw new RangeError(`not an id: ${id}`);
  let ms = 0n;
  for (const ch of m[2].slice(0, 10)) ms = (ms << 5n) | BigInt(ALPHABET.indexOf(ch));
  return new Date(Number(ms));
}
