/** Helpers shared by the resource modules. */
import type Stripe from 'stripe';
import { invalidParam } from '../errors.js';
import type { ParamReader } from '../params.js';

/** Deep copy that keeps SDK `Decimal`s (immutable) by reference instead of flattening them. */
export function deepClone<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v: unknown) => deepClone(v)) as T;
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = deepClone(v);
    return out as T;
  }
  return value;
}

/** `previous_attributes` for `*.updated` events: the old value of every top-level field that changed. */
export function changedFields<T extends object>(before: T, after: T): Partial<T> {
  const previous: Partial<T> = {};
  for (const key of Object.keys(after) as (keyof T)[]) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) previous[key] = before[key];
  }
  return previous;
}

/** Stripe's metadata update rule: `''` clears all, a key set to `''` (or null) is removed, others are merged. */
export function mergeMetadata(
  current: Stripe.Metadata | null,
  update: Stripe.Emptyable<Stripe.MetadataParam> | undefined,
): Stripe.Metadata {
  const base: Stripe.Metadata = { ...(current ?? {}) };
  if (update === undefined) return base;
  if (update === '' || update === null) return {};
  for (const [key, value] of Object.entries(update)) {
    if (value === '' || value === null) delete base[key];
    else base[key] = String(value);
  }
  return base;
}

export function readAddress(r: ParamReader<Stripe.AddressParam>): Stripe.AddressParam {
  return {
    city: r.string('city'),
    country: r.string('country'),
    line1: r.string('line1'),
    line2: r.string('line2'),
    postal_code: r.string('postal_code'),
    state: r.string('state'),
  };
}

export function toAddress(param: Stripe.AddressParam): Stripe.Address {
  return {
    city: param.city ?? null,
    country: param.country ?? null,
    line1: param.line1 ?? null,
    line2: param.line2 ?? null,
    postal_code: param.postal_code ?? null,
    state: param.state ?? null,
  };
}

export function readCurrency<T>(p: ParamReader<T>, key: Extract<keyof T, string>): string | undefined {
  const value = p.nonEmptyString(key);
  if (value === undefined) return undefined;
  const lower = value.toLowerCase();
  if (!/^[a-z]{3}$/.test(lower)) throw invalidParam(`Invalid currency: ${value}`, key);
  return lower;
}

/** `expand[]` values; every route reads them so they are not reported as unknown. */
export function readExpand<T extends { expand?: string[] }>(p: ParamReader<T>): string[] {
  return (p as unknown as ParamReader<{ expand?: string[] }>).strings('expand') ?? [];
}

export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : value.id;
}
