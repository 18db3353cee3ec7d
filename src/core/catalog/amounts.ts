import { isTallyError } from '../../shared/errors.js';
import { Decimal } from '../money/decimal.js';
import type { AmountInput } from './config-schema.js';

export type DecimalResult =
  | { readonly ok: true; readonly value: Decimal }
  | { readonly ok: false; readonly code: string; readonly message: string };

/**
 * An amount or quantity as written in the config → Decimal, through its string form (never float
 * arithmetic). More than 12 decimal places is an error, not a rounding.
 */
export function readDecimal(raw: AmountInput, what: string): DecimalResult {
  const text = typeof raw === 'number' ? String(raw) : raw.trim();
  let value: Decimal;
  try {
    value = Decimal.from(text);
  } catch (e) {
    if (isTallyError(e) && e.code === 'too_many_decimal_places') {
      return { ok: false, code: 'too_many_decimal_places', message: `${what} ${text} has more than 12 decimal places` };
    }
    return { ok: false, code: 'invalid_decimal', message: `${what} '${text}' is not a decimal number` };
  }
  return { ok: true, value };
}

/** A money amount: a decimal that must not be negative. */
export function readAmount(raw: AmountInput, what: string): DecimalResult {
  const r = readDecimal(raw, what);
  if (r.ok && r.value.isNegative()) {
    return { ok: false, code: 'negative_amount', message: `${what} ${r.value.toString()} is negative` };
  }
  return r;
}

/** For values already validated: converts or throws (a throw here is a bug in validation). */
export function toDecimal(raw: AmountInput): Decimal {
  const r = readDecimal(raw, 'value');
  if (!r.ok) throw new Error(`unvalidated amount reached the catalog builder: ${r.message}`);
  return r.value;
}
