/**
 * Human-written numbers from order forms (R19): `60 million`, `1.5M`, `250k`, `60,000,000`, `$12,500.00`,
 * `0.000045`. The result is exact (a Decimal, never a float). Anything that could be read two ways —
 * a comma or dot that may be a decimal separator (`1,5`, `12,50`, `60.000.000`), two currencies, words
 * we do not know (`1.5 billion-ish`) — is refused with a reason, never guessed.
 */
import { Decimal } from '../money/decimal.js';

export type HumanNumberResult =
  | { readonly ok: true; readonly value: Decimal; readonly currency: string | null }
  | { readonly ok: false; readonly code: string; readonly message: string };

const SYMBOLS: Readonly<Record<string, string>> = { $: 'USD', '€': 'EUR', '£': 'GBP' };
const CODES = new Set(['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'CHF', 'JPY']);

const SCALES: Readonly<Record<string, bigint>> = {
  k: 1_000n,
  thousand: 1_000n,
  m: 1_000_000n,
  mm: 1_000_000n,
  mn: 1_000_000n,
  mil: 1_000_000n,
  million: 1_000_000n,
  b: 1_000_000_000n,
  bn: 1_000_000_000n,
  billion: 1_000_000_000n,
};

const fail = (code: string, message: string): HumanNumberResult => ({ ok: false, code, message });

/** Digits with `,` thousands groups (`60,000,000`) or none (`60000000`), optionally a `.` fraction. */
const GROUPED = /^\d{1,3}(,\d{3})+(\.\d+)?$/;
const PLAIN = /^\d+(\.\d+)?$|^\.\d+$/;

function stripCurrency(s: string): { rest: string; currencies: string[] } {
  const currencies: string[] = [];
  let rest = s;
  for (;;) {
    const before = rest;
    const sym = /^([$€£])\s*/.exec(rest) ?? null;
    if (sym) {
      currencies.push(SYMBOLS[sym[1]!]!);
      rest = rest.slice(sym[0].length);
    }
    const symEnd = /\s*([$€£])$/.exec(rest);
    if (symEnd) {
      currencies.push(SYMBOLS[symEnd[1]!]!);
      rest = rest.slice(0, rest.length - symEnd[0].length);
    }
    const codeStart = /^([A-Za-z]{3})\s+/.exec(rest);
    if (codeStart && CODES.has(codeStart[1]!.toUpperCase())) {
      currencies.push(codeStart[1]!.toUpperCase());
      rest = rest.slice(codeStart[0].length);
    }
    const codeEnd = /\s+([A-Za-z]{3})$/.exec(rest);
    if (codeEnd && CODES.has(codeEnd[1]!.toUpperCase())) {
      currencies.push(codeEnd[1]!.toUpperCase());
      rest = rest.slice(0, rest.length - codeEnd[0].length);
    }
    if (rest === before) break;
    rest = rest.trim();
  }
  return { rest: rest.trim(), currencies };
}

/** Parses one human-written non-negative number; `currency` is the one written with it, if any. */
export function parseHumanNumber(input: unknown): HumanNumberResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail('invalid_number', `${String(input)} is not a finite number`);
    // A YAML/JSON number past 2^53 has already lost digits; the form must quote it.
    if (Number.isInteger(input) && !Number.isSafeInteger(input)) return fail('number_not_exact', `${String(input)} is too large to be exact as a plain number; write it as text ("60 million")`);
    text = String(input);
    if (/e/i.test(text)) {
      try {
        const value = Decimal.parse(text);
        return value.isNegative() ? fail('negative_number', `${text} is negative`) : { ok: true, value, currency: null };
      } catch {
        return fail('invalid_number', `${text} is not a number we can represent exactly`);
      }
    }
  } else if (typeof input === 'bigint') {
    text = input.toString();
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return fail('invalid_number', `expected a number, got ${input === null ? 'null' : typeof input}`);
  }
  const raw = text.trim();
  if (raw === '') return fail('number_required', 'the value is empty');
  if (/^-|^\(|[−-]\s*\d/.test(raw) && /\d/.test(raw)) return fail('negative_number', `'${raw}' is negative; amounts on an order form are never negative`);
  const { rest, currencies } = stripCurrency(raw);
  const distinct = [...new Set(currencies)];
  if (distinct.length > 1) return fail('mixed_currencies', `'${raw}' names more than one currency (${distinct.join(', ')})`);
  if (currencies.length > 1) return fail('ambiguous_number', `'${raw}' names its currency twice`);
  const m = /^([\d.,]+)\s*([A-Za-z]+)?$/.exec(rest);
  if (!m) return fail('ambiguous_number', `'${raw}' is not a number we can read without guessing`);
  const digits = m[1]!;
  const word = m[2];
  let scale = 1n;
  if (word !== undefined) {
    // `M` is million, never milli; `mm` is the finance "million". Unknown words are refused.
    const s = SCALES[word.toLowerCase()];
    if (s === undefined) return fail('unknown_scale_word', `'${word}' in '${raw}' is not a scale we know (k, thousand, M, million, bn, billion)`);
    scale = s;
  }
  let normalized: string;
  if (/^[1-9]\d{0,2}\.\d{3}$/.test(digits)) {
    // `1.500` is 1.5 in one convention and 1500 in another.
    return fail('ambiguous_thousands_separator', `'${raw}': the dot could be a thousands separator; write ${digits.replace('.', ',')} or ${digits.replace(/0+$/, '')}`);
  }
  if (GROUPED.test(digits)) normalized = digits.replace(/,/g, '');
  else if (PLAIN.test(digits)) normalized = digits;
  else if (/^\d+,\d{1,2}$/.test(digits) || /^\d+,\d{4,}$/.test(digits)) {
    return fail('ambiguous_decimal_separator', `'${raw}': the comma could be a decimal separator; write ${digits.replace(',', '.')} or group thousands as 1,000`);
  } else if (/^\d{1,3}(\.\d{3}){2,}$/.test(digits) || /^\d{1,3}(\.\d{3})+,\d+$/.test(digits)) {
    return fail('ambiguous_thousands_separator', `'${raw}': dots used as thousands separators; write ${digits.replace(/\./g, ',')} or ${digits.replace(/\./g, '')}`);
  } else {
    return fail('ambiguous_number', `'${raw}' mixes separators in a way we will not guess`);
  }
  let value: Decimal;
  try {
    value = Decimal.parse(normalized).mulInt(scale);
  } catch {
    return fail('too_many_decimal_places', `'${raw}' has more decimal places than can be kept exactly`);
  }
  return { ok: true, value, currency: distinct[0] ?? null };
}
