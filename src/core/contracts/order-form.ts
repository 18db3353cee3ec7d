/**
 * Order forms (R18, R19) as plain data: a signed quote turned into what a contract needs — the customer
 * (existing, or new with address, tax ID and the ONE contact email chosen among the signers), the start
 * date and term, each included product's up-front amount and custom overage tiers, the payment terms
 * and the quote reference. Pure: no catalog, no database. Every problem is reported at once, each with
 * the path of its field (`products.1.overage.0.unit_amount`), and nothing is guessed.
 */
import { parse as parseYaml } from 'yaml';
import { currencyExponent, isKnownCurrency, normalizeCurrency } from '../money/currency.js';
import { minorToJson } from '../money/money.js';
import { Decimal } from '../money/decimal.js';
import { parseDateOnly } from '../periods/date-only.js';
import { parseHumanNumber } from './human-number.js';
import { parseCsvRows } from './csv.js';

export type OrderFormFormat = 'yaml' | 'json' | 'csv';

export interface FormProblem {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export interface FormAddress {
  line1?: string;
  line2?: string;
  city?: string;
  state?: string;
  postal_code?: string;
  country?: string;
}

export type FormCustomer =
  | { readonly kind: 'existing'; readonly id: string | null; readonly externalId: string | null; readonly instance: string | null; readonly contactEmail: string | null }
  | {
      readonly kind: 'new';
      readonly instance: string;
      readonly externalId: string;
      readonly name: string;
      readonly address: FormAddress;
      readonly taxIds: readonly { type: string; value: string }[];
      readonly contactEmail: string;
    };

export interface OverageTier {
  /** Inclusive upper bound in units; null on the last, open tier. */
  readonly upTo: Decimal | null;
  /** Per unit, in minor units (decimal). */
  readonly unitAmount: Decimal;
  /** Once when usage reaches the tier, in minor units (decimal). */
  readonly flatAmount: Decimal;
}

export interface FormProduct {
  readonly product: string;
  /** Plan the subscription puts the product on; null = the service picks (see contracts service). */
  readonly plan: string | null;
  /** Up-front amount in minor units. */
  readonly upFront: bigint;
  /** Custom overage rates (graduated); null = the plan's own usage price. */
  readonly overage: readonly OverageTier[] | null;
}

export interface OrderForm {
  readonly quote: string;
  readonly currency: string;
  readonly customer: FormCustomer;
  /** `YYYY-MM-DD`, a UTC calendar date. */
  readonly startDate: string;
  readonly termYears: number;
  readonly paymentTermsDays: number;
  /** An explicit due date overriding start + payment terms. */
  readonly dueDate: string | null;
  readonly products: readonly FormProduct[];
}

export type OrderFormResult = { readonly ok: true; readonly form: OrderForm } | { readonly ok: false; readonly problems: readonly FormProblem[] };

export const DEFAULT_PAYMENT_TERMS_DAYS = 30;
const EMAIL_RE = /^[^\s@,;]+@[^\s@,;]+\.[^\s@,;]+$/;

/** Reads the document (YAML, JSON or `field,value` CSV) into a plain object, or the syntax problem. */
export function readOrderFormText(text: string, format: OrderFormFormat): { ok: true; raw: unknown } | { ok: false; problems: FormProblem[] } {
  try {
    if (format === 'json') return { ok: true, raw: JSON.parse(text) };
    if (format === 'yaml') return { ok: true, raw: parseYaml(text, { prettyErrors: true }) };
    const rows = parseCsvRows(text);
    return csvToObject(rows);
  } catch (e) {
    return { ok: false, problems: [{ path: '', code: `invalid_${format}`, message: `The order form is not valid ${format.toUpperCase()}: ${(e as Error).message}` }] };
  }
}

/**
 * A CSV order form is two columns, `field,value`, one row per field with a dotted path:
 * `customer.name,Acme`, `products.0.up_front,"$60,000"`, `products.0.overage.1.up_to,inf`.
 * Numeric path segments make lists. `customer.signer_emails` may list emails separated by `;`.
 */
function csvToObject(rows: string[][]): { ok: true; raw: unknown } | { ok: false; problems: FormProblem[] } {
  const problems: FormProblem[] = [];
  const header = rows[0]?.map((c) => c.trim().toLowerCase());
  if (!header || header[0] !== 'field' || header[1] !== 'value') {
    return { ok: false, problems: [{ path: '', code: 'invalid_csv', message: "A CSV order form starts with the header row 'field,value'." }] };
  }
  const root: Record<string, unknown> = {};
  rows.slice(1).forEach((row, i) => {
    if (row.every((c) => c.trim() === '')) return;
    const path = (row[0] ?? '').trim();
    if (!/^[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|\d+))*$/i.test(path) || path.split('.').some((p) => UNSAFE_SEGMENTS.has(p)) || row.length > 2) {
      problems.push({ path: `row ${i + 2}`, code: 'invalid_csv_row', message: `Row ${i + 2} must be 'field,value' with a dotted field path; got '${row.join(',')}'.` });
      return;
    }
    const value = row[1] ?? '';
    setPath(root, path, path === 'customer.signer_emails' ? value.split(';').map((s) => s.trim()).filter(Boolean) : value);
  });
  return problems.length ? { ok: false, problems } : { ok: true, raw: root };
}

/** Sets `a.b.0.c` on a nested object, creating objects (or lists for numeric segments) on the way. */
export function setPath(root: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  // A path comes from a person or a file: it must never reach an object's prototype.
  if (parts.some((p) => UNSAFE_SEGMENTS.has(p))) throw new RangeError(`unsafe field path '${path}'`);
  let cur: Record<string, unknown> | unknown[] = root;
  parts.forEach((part, i) => {
    const key: string | number = /^\d+$/.test(part) ? Number(part) : part;
    const last = i === parts.length - 1;
    const container = cur as Record<string | number, unknown>;
    if (last) {
      if (value === undefined) {
        if (Array.isArray(cur) && typeof key === 'number') cur.splice(key, 1);
        else delete container[key];
      } else container[key] = value;
      return;
    }
    const nextIsIndex = /^\d+$/.test(parts[i + 1]!);
    let next = container[key];
    if (typeof next !== 'object' || next === null) {
      next = nextIsIndex ? [] : {};
      container[key] = next;
    }
    cur = next as Record<string, unknown> | unknown[];
  });
}

export const UNSAFE_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

/** Reads `a.b.0.c` from a nested object (undefined when absent). */
export function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const part of path.split('.')) {
    if (typeof cur !== 'object' || cur === null) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

class Problems {
  readonly list: FormProblem[] = [];
  add(path: string, code: string, message: string): void {
    this.list.push({ path, code, message });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(p: Problems, raw: unknown, path: string, required: boolean, max = 500): string | null {
  if (raw === undefined || raw === null || (typeof raw === 'string' && raw.trim() === '')) {
    if (required) p.add(path, 'required', `${path} is required.`);
    return null;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') {
    p.add(path, 'invalid_text', `${path} must be text.`);
    return null;
  }
  const s = String(raw).trim();
  if (s.length > max) {
    p.add(path, 'text_too_long', `${path} may be at most ${max} characters.`);
    return null;
  }
  return s;
}

/** A human number as a Decimal, checked against the form's currency when one is written with it. */
function number(p: Problems, raw: unknown, path: string, currencies: Map<string, string>): Decimal | null {
  const r = parseHumanNumber(raw);
  if (!r.ok) {
    p.add(path, r.code, `${path}: ${r.message}.`);
    return null;
  }
  if (r.currency) currencies.set(path, r.currency);
  return r.value;
}

function wholeNumber(p: Problems, raw: unknown, path: string, min: number, max: number): number | null {
  const r = parseHumanNumber(raw);
  if (!r.ok) {
    p.add(path, r.code, `${path}: ${r.message}.`);
    return null;
  }
  if (r.currency || !r.value.isInteger() || r.value.lt(Decimal.fromBigInt(BigInt(min))) || r.value.gt(Decimal.fromBigInt(BigInt(max)))) {
    p.add(path, 'invalid_whole_number', `${path} must be a whole number from ${min} to ${max}; got '${String(raw)}'.`);
    return null;
  }
  return Number(r.value.toInteger());
}

function date(p: Problems, raw: unknown, path: string, required: boolean): string | null {
  if (raw instanceof Date) raw = raw.toISOString().slice(0, 10); // YAML reads 2026-01-01 as a date
  const s = text(p, raw, path, required, 40);
  if (s === null) return null;
  try {
    parseDateOnly(s, path);
    return s;
  } catch (e) {
    p.add(path, 'invalid_date', (e as Error).message);
    return null;
  }
}

function paymentTerms(p: Problems, raw: unknown, path: string): number {
  if (raw === undefined || raw === null || raw === '') return DEFAULT_PAYMENT_TERMS_DAYS;
  const s = String(raw).trim();
  const m = /^(?:net\s*)?(\d{1,4})(?:\s*days?)?$/i.exec(s);
  if (!m || typeof raw === 'boolean') {
    p.add(path, 'invalid_payment_terms', `${path} must be 'net N' or a number of days; got '${s}'.`);
    return DEFAULT_PAYMENT_TERMS_DAYS;
  }
  const days = Number(m[1]);
  if (days > 3650) p.add(path, 'invalid_payment_terms', `${path}: ${days} days is more than ten years.`);
  return days;
}

function emails(p: Problems, raw: unknown, path: string): string[] {
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(/[;,]/) : null;
  if (list === null) {
    p.add(path, 'invalid_emails', `${path} must be a list of emails.`);
    return [];
  }
  const out: string[] = [];
  list.forEach((e, i) => {
    const s = typeof e === 'string' ? e.trim() : '';
    if (s === '') return;
    if (!EMAIL_RE.test(s)) p.add(`${path}.${i}`, 'invalid_email', `'${String(e)}' is not an email address.`);
    else out.push(s.toLowerCase());
  });
  return out;
}

const ADDRESS_KEYS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'] as const;

function customer(p: Problems, raw: unknown): FormCustomer | null {
  if (!isObject(raw)) {
    p.add('customer', 'required', 'customer is required: an existing customer (id or external_id) or a new one (instance, external_id, name, address).');
    return null;
  }
  const signers = emails(p, raw.signer_emails, 'customer.signer_emails');
  const chosen = raw.contact_email === undefined || raw.contact_email === null || raw.contact_email === '' ? null : String(raw.contact_email).trim().toLowerCase();
  let contactEmail: string | null = null;
  if (chosen !== null) {
    if (!EMAIL_RE.test(chosen)) p.add('customer.contact_email', 'invalid_email', `'${chosen}' is not an email address.`);
    else if (signers.length > 0 && !signers.includes(chosen)) p.add('customer.contact_email', 'contact_not_a_signer', `contact_email '${chosen}' is not among the signer emails (${signers.join(', ')}).`);
    else contactEmail = chosen;
  } else if (signers.length === 1) contactEmail = signers[0]!;
  else if (signers.length > 1) {
    // The signers include the seller's own people: which one gets the invoices is a human decision.
    p.add('customer.contact_email', 'contact_email_ambiguous', `The form lists ${signers.length} signer emails (${signers.join(', ')}); set contact_email to the customer's billing contact.`);
  }
  const id = text(p, raw.id, 'customer.id', false, 100);
  const externalId = text(p, raw.external_id, 'customer.external_id', false, 200);
  const instance = text(p, raw.instance, 'customer.instance', false, 100);
  const isNew = id === null && (raw.name !== undefined || raw.address !== undefined);
  if (!isNew) {
    if (id === null && externalId === null) p.add('customer', 'customer_required', 'customer needs an id, an external_id, or the details of a new customer (name, address).');
    if (id === null && externalId !== null && instance === null) p.add('customer.instance', 'required', 'customer.instance is required to find a customer by external_id.');
    return { kind: 'existing', id, externalId, instance, contactEmail };
  }
  const name = text(p, raw.name, 'customer.name', true, 200);
  if (instance === null) p.add('customer.instance', 'required', 'customer.instance is required for a new customer (the deployment it belongs to, e.g. us).');
  if (externalId === null) p.add('customer.external_id', 'required', "customer.external_id is required for a new customer (the instance's team or organization ID).");
  const address: FormAddress = {};
  if (!isObject(raw.address)) p.add('customer.address', 'required', 'customer.address is required for a new customer.');
  else {
    for (const [k, v] of Object.entries(raw.address)) {
      if (!(ADDRESS_KEYS as readonly string[]).includes(k)) p.add(`customer.address.${k}`, 'unknown_field', `Unknown address field '${k}' (${ADDRESS_KEYS.join(', ')}).`);
      else {
        const s = text(p, v, `customer.address.${k}`, false, 200);
        if (s !== null) address[k as keyof FormAddress] = s;
      }
    }
    if (!address.line1) p.add('customer.address.line1', 'required', 'customer.address.line1 is required.');
    if (!address.country) p.add('customer.address.country', 'required', 'customer.address.country is required.');
    else if (!/^[A-Za-z]{2}$/.test(address.country)) p.add('customer.address.country', 'invalid_country', `customer.address.country must be a two-letter ISO 3166-1 code (US, DE); got '${address.country}'.`);
    else address.country = address.country.toUpperCase();
  }
  const taxIds: { type: string; value: string }[] = [];
  const rawTax = raw.tax_ids ?? (raw.tax_id === undefined ? [] : [raw.tax_id]);
  const taxPath = raw.tax_ids !== undefined ? 'customer.tax_ids' : 'customer.tax_id';
  if (!Array.isArray(rawTax)) p.add(taxPath, 'invalid_tax_ids', `${taxPath} must be a list of {type, value}.`);
  else
    rawTax.forEach((t, i) => {
      const path = raw.tax_ids !== undefined ? `${taxPath}.${i}` : taxPath;
      if (!isObject(t)) return p.add(path, 'invalid_tax_id', `${path} must be {type, value} (e.g. {type: eu_vat, value: DE123456789}).`);
      const type = text(p, t.type, `${path}.type`, true, 40);
      const value = text(p, t.value, `${path}.value`, true, 100);
      if (type && value) taxIds.push({ type, value });
    });
  if (contactEmail === null && signers.length === 0 && chosen === null) p.add('customer.contact_email', 'required', 'A new customer needs a contact_email for invoices.');
  if (name === null || instance === null || externalId === null || contactEmail === null) return null;
  return { kind: 'new', instance, externalId, name, address, taxIds, contactEmail };
}

/** Converts an amount in major units (`$12,500.00`) to exact minor units, refusing sub-minor precision. */
function minorUnits(p: Problems, value: Decimal, path: string, exponent: number): bigint | null {
  const minor = value.mulInt(10n ** BigInt(exponent));
  if (!minor.isInteger()) {
    p.add(path, 'too_many_decimal_places', `${path}: ${value.toString()} has more decimal places than the currency allows (${exponent}).`);
    return null;
  }
  return minor.toInteger();
}

/** Overage tiers with amounts still in MAJOR units; the caller scales them once the currency is known. */
function overage(p: Problems, raw: unknown, path: string, currencies: Map<string, string>): OverageTier[] | null {
  if (raw === undefined || raw === null || raw === '') return null;
  if (!Array.isArray(raw) || raw.length === 0) {
    p.add(path, 'invalid_overage', `${path} must be a list of tiers ({up_to, unit_amount}), the last one up_to: inf.`);
    return null;
  }
  const tiers: OverageTier[] = [];
  let previous: Decimal | null = null;
  let broken = false;
  raw.forEach((t, j) => {
    const tp = `${path}.${j}`;
    if (!isObject(t)) {
      broken = true;
      return p.add(tp, 'invalid_tier', `${tp} must be {up_to, unit_amount}.`);
    }
    const last = j === raw.length - 1;
    let upTo: Decimal | null = null;
    const rawUpTo = t.up_to;
    if (rawUpTo === 'inf' || rawUpTo === 'infinity' || rawUpTo === '∞') {
      if (!last) p.add(`${tp}.up_to`, 'open_tier_not_last', `${tp}.up_to: only the last tier may be open (inf).`);
    } else {
      upTo = number(p, rawUpTo, `${tp}.up_to`, new Map());
      if (upTo !== null && !upTo.isInteger()) p.add(`${tp}.up_to`, 'invalid_tier_bound', `${tp}.up_to must be a whole number of units.`);
      if (upTo !== null && previous !== null && upTo.lte(previous)) p.add(`${tp}.up_to`, 'tiers_not_ascending', `${tp}.up_to must be greater than the previous tier's (${previous.toString()}).`);
      if (upTo !== null && upTo.isZero()) p.add(`${tp}.up_to`, 'invalid_tier_bound', `${tp}.up_to must be greater than 0.`);
      if (last && rawUpTo !== undefined) p.add(`${tp}.up_to`, 'last_tier_not_open', `${tp}.up_to: the last tier must be open (up_to: inf).`);
      if (upTo === null) broken = true;
      else previous = upTo;
    }
    const unit = t.unit_amount === undefined ? Decimal.ZERO : number(p, t.unit_amount, `${tp}.unit_amount`, currencies);
    const flat = t.flat_amount === undefined ? Decimal.ZERO : number(p, t.flat_amount, `${tp}.flat_amount`, currencies);
    if (t.unit_amount === undefined && t.flat_amount === undefined) p.add(tp, 'tier_amount_missing', `${tp} needs unit_amount, flat_amount or both.`);
    for (const k of Object.keys(t)) if (!['up_to', 'unit_amount', 'flat_amount'].includes(k)) p.add(`${tp}.${k}`, 'unknown_field', `Unknown tier field '${k}'.`);
    if (unit === null || flat === null) {
      broken = true;
      return;
    }
    tiers.push({ upTo, unitAmount: unit, flatAmount: flat });
  });
  return broken ? null : tiers;
}

const TOP_KEYS = ['quote', 'currency', 'customer', 'start_date', 'term_years', 'payment_terms', 'due_date', 'products'];
const PRODUCT_KEYS = ['product', 'plan', 'up_front', 'overage'];

/** Validates a raw order form object; returns the form or every problem at once. */
export function validateOrderForm(raw: unknown): OrderFormResult {
  const p = new Problems();
  if (!isObject(raw)) return { ok: false, problems: [{ path: '', code: 'invalid_order_form', message: 'An order form is a mapping of fields (quote, customer, start_date, term_years, products, …).' }] };
  for (const k of Object.keys(raw)) if (!TOP_KEYS.includes(k)) p.add(k, 'unknown_field', `Unknown field '${k}' (${TOP_KEYS.join(', ')}).`);
  const quote = text(p, raw.quote, 'quote', true, 200);
  const cust = customer(p, raw.customer);
  const startDate = date(p, raw.start_date, 'start_date', true);
  const termYears = raw.term_years === undefined ? (p.add('term_years', 'required', 'term_years is required (e.g. 1 or 3).'), null) : wholeNumber(p, raw.term_years, 'term_years', 1, 10);
  const paymentTermsDays = paymentTerms(p, raw.payment_terms, 'payment_terms');
  const dueDate = date(p, raw.due_date, 'due_date', false);
  if (dueDate && startDate && dueDate < startDate) p.add('due_date', 'due_before_start', `due_date ${dueDate} is before the contract starts (${startDate}).`);

  let currency: string | null = null;
  if (raw.currency !== undefined) {
    const c = text(p, raw.currency, 'currency', true, 3);
    if (c !== null && !isKnownCurrency(c)) p.add('currency', 'unknown_currency', `Unknown currency '${c}'.`);
    else if (c !== null) currency = normalizeCurrency(c);
  }
  const written = new Map<string, string>();
  const products: FormProduct[] = [];
  const rawProducts = isObject(raw.products) ? Object.entries(raw.products).map(([product, v]) => ({ product, ...(isObject(v) ? v : { up_front: v }) })) : raw.products;
  const keyed = isObject(raw.products);
  if (!Array.isArray(rawProducts) || rawProducts.length === 0) p.add('products', 'products_required', 'products must list at least one included product with its up-front amount.');
  else {
    // Currency symbols decide the currency when the form does not name one; exponents follow.
    const seen = new Set<string>();
    const pending: { path: string; product: string | null; plan: string | null; upFront: Decimal | null; tiers: OverageTier[] | null }[] = [];
    rawProducts.forEach((entry: unknown, i) => {
      const path = keyed ? `products.${(entry as { product: string }).product}` : `products.${i}`;
      if (!isObject(entry)) return p.add(path, 'invalid_product', `${path} must be {product, up_front, overage}.`);
      for (const k of Object.keys(entry)) if (!PRODUCT_KEYS.includes(k)) p.add(`${path}.${k}`, 'unknown_field', `Unknown product field '${k}' (${PRODUCT_KEYS.join(', ')}).`);
      const product = text(p, entry.product, `${path}.product`, true, 100);
      if (product !== null && seen.has(product)) p.add(`${path}.product`, 'duplicate_product', `'${product}' is listed twice.`);
      if (product !== null) seen.add(product);
      const plan = text(p, entry.plan, `${path}.plan`, false, 100);
      const upFront = entry.up_front === undefined ? (p.add(`${path}.up_front`, 'required', `${path}.up_front is required (the amount paid up front, e.g. $60,000).`), null) : number(p, entry.up_front, `${path}.up_front`, written);
      const tiers = overage(p, entry.overage, `${path}.overage`, written);
      pending.push({ path, product, plan, upFront, tiers });
    });
    // The currency: as the form names it, else the one every amount is written in. Amounts in another
    // currency are problems, each at its own field; nothing is converted.
    const symbols = [...new Set(written.values())];
    if (currency === null) {
      if (symbols.length === 1) currency = symbols[0]!;
      else if (symbols.length === 0) p.add('currency', 'required', 'currency is required when no amount carries a currency symbol.');
    }
    const reference = currency ?? symbols[0] ?? null;
    const firstPath = [...written].find(([, c]) => c === reference)?.[0];
    for (const [path, c] of written) {
      if (reference !== null && c !== reference) p.add(path, 'mixed_currencies', `${path} is in ${c}, but ${currency !== null && raw.currency !== undefined ? `the contract is in ${reference}` : `${firstPath ?? 'another amount'} is in ${reference}`}.`);
    }
    const exponent = currency !== null ? currencyExponent(currency) : 2;
    // Rates are written in major units per unit ($0.000045); Tally keeps decimal minor units (12 places).
    const toMinor = (d: Decimal) => d.mulInt(10n ** BigInt(exponent));
    for (const e of pending) {
      const upFront = e.upFront === null ? null : minorUnits(p, e.upFront, `${e.path}.up_front`, exponent);
      const tiers = e.tiers?.map((t) => ({ upTo: t.upTo, unitAmount: toMinor(t.unitAmount), flatAmount: toMinor(t.flatAmount) })) ?? null;
      if (e.product !== null && upFront !== null) products.push({ product: e.product, plan: e.plan, upFront, overage: tiers });
    }
    if (products.length > 0 && products.every((x) => x.upFront === 0n)) p.add('products', 'nothing_up_front', 'Every included product has a zero up-front amount; an annual contract bills something up front.');
  }
  if (p.list.length > 0 || quote === null || cust === null || startDate === null || termYears === null || currency === null) {
    return { ok: false, problems: p.list.length ? p.list : [{ path: '', code: 'invalid_order_form', message: 'The order form is incomplete.' }] };
  }
  return { ok: true, form: { quote, currency, customer: cust, startDate, termYears, paymentTermsDays, dueDate, products } };
}

/** Text → form, or every problem. */
export function parseOrderForm(textIn: string, format: OrderFormFormat): OrderFormResult & { raw?: unknown } {
  const read = readOrderFormText(textIn, format);
  if (!read.ok) return { ok: false, problems: read.problems };
  return { ...validateOrderForm(read.raw), raw: read.raw };
}

/** The format from a file name (`.yaml`, `.yml`, `.json`, `.csv`), or null. */
export function formatOfFile(name: string): OrderFormFormat | null {
  const m = /\.(ya?ml|json|csv)$/i.exec(name);
  if (!m) return null;
  const ext = m[1]!.toLowerCase();
  return ext === 'json' ? 'json' : ext === 'csv' ? 'csv' : 'yaml';
}

/** A JSON view of the form (amounts as exact strings / minor units), as the API and CLI print it. */
export function orderFormJson(f: OrderForm): Record<string, unknown> {
  return {
    quote: f.quote,
    currency: f.currency,
    customer:
      f.customer.kind === 'existing'
        ? { kind: 'existing', id: f.customer.id, external_id: f.customer.externalId, instance: f.customer.instance, contact_email: f.customer.contactEmail }
        : { kind: 'new', instance: f.customer.instance, external_id: f.customer.externalId, name: f.customer.name, address: f.customer.address, tax_ids: f.customer.taxIds, contact_email: f.customer.contactEmail },
    start_date: f.startDate,
    term_years: f.termYears,
    payment_terms_days: f.paymentTermsDays,
    due_date: f.dueDate,
    products: f.products.map((x) => ({
      product: x.product,
      plan: x.plan,
      up_front: minorToJson(x.upFront),
      overage: x.overage?.map((t) => ({ up_to: t.upTo?.toString() ?? 'inf', unit_amount: t.unitAmount.toString(), flat_amount: t.flatAmount.toString() })) ?? null,
    })),
  };
}
