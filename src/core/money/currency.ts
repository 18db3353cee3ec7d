import { invalid } from '../../shared/errors.js';

/**
 * Minor-unit exponents, as the payment provider counts them (Stripe's zero- and three-decimal lists),
 * which agree with ISO 4217 except MGA (ISO 2, provider 0) and ISK (ISO 0, provider 2: Stripe kept ISK
 * two-decimal for backwards compatibility, `100` = 1 króna, and only accepts multiples of 100).
 * Amounts everywhere are integers of minor units in the currency's exponent, so 1000 JPY is 1000n and
 * 10.00 USD is 1000n.
 */
const ZERO_DECIMAL = ['BIF', 'CLP', 'DJF', 'GNF', 'JPY', 'KMF', 'KRW', 'MGA', 'PYG', 'RWF', 'UGX', 'VND', 'VUV', 'XAF', 'XOF', 'XPF'];
const THREE_DECIMAL = ['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'];
const TWO_DECIMAL = [
  'AED', 'AFN', 'ALL', 'AMD', 'ANG', 'AOA', 'ARS', 'AUD', 'AWG', 'AZN', 'BAM', 'BBD', 'BDT', 'BGN', 'BMD', 'BND',
  'BOB', 'BRL', 'BSD', 'BTN', 'BWP', 'BYN', 'BZD', 'CAD', 'CDF', 'CHF', 'CNY', 'COP', 'CRC', 'CUP', 'CVE', 'CZK',
  'DKK', 'DOP', 'DZD', 'EGP', 'ERN', 'ETB', 'EUR', 'FJD', 'FKP', 'GBP', 'GEL', 'GHS', 'GIP', 'GMD', 'GTQ', 'GYD',
  'HKD', 'HNL', 'HTG', 'HUF', 'IDR', 'ILS', 'INR', 'IRR', 'ISK', 'JMD', 'KES', 'KGS', 'KHR', 'KPW', 'KYD', 'KZT', 'LAK',
  'LBP', 'LKR', 'LRD', 'LSL', 'MAD', 'MDL', 'MKD', 'MMK', 'MNT', 'MOP', 'MRU', 'MUR', 'MVR', 'MWK', 'MXN', 'MYR',
  'MZN', 'NAD', 'NGN', 'NIO', 'NOK', 'NPR', 'NZD', 'PAB', 'PEN', 'PGK', 'PHP', 'PKR', 'PLN', 'QAR', 'RON', 'RSD',
  'RUB', 'SAR', 'SBD', 'SCR', 'SDG', 'SEK', 'SGD', 'SHP', 'SLE', 'SOS', 'SRD', 'SSP', 'STN', 'SYP', 'SZL', 'THB',
  'TJS', 'TMT', 'TOP', 'TRY', 'TTD', 'TWD', 'TZS', 'UAH', 'USD', 'UYU', 'UZS', 'VES', 'WST', 'XCD', 'YER', 'ZAR',
  'ZMW', 'ZWG',
];

const EXPONENTS: ReadonlyMap<string, number> = new Map([
  ...ZERO_DECIMAL.map((c) => [c, 0] as const),
  ...TWO_DECIMAL.map((c) => [c, 2] as const),
  ...THREE_DECIMAL.map((c) => [c, 3] as const),
]);

/** Currency codes are kept upper-case inside Tally; input may be either case. */
export function normalizeCurrency(code: string): string {
  return code.trim().toUpperCase();
}

export function isKnownCurrency(code: string): boolean {
  return EXPONENTS.has(normalizeCurrency(code));
}

/** Number of minor-unit digits (0, 2 or 3). Throws `unknown_currency` naming `param` for unknown codes. */
export function currencyExponent(code: string, param = 'currency'): number {
  const exp = EXPONENTS.get(normalizeCurrency(code));
  if (exp === undefined) {
    throw invalid('unknown_currency', `Unknown currency '${code}': no minor-unit exponent is known for it.`, param);
  }
  return exp;
}

export function knownCurrencies(): string[] {
  return [...EXPONENTS.keys()].sort();
}
