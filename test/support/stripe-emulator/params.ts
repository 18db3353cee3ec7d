/**
 * Typed access to form-encoded parameters. A route reads its parameters through `ParamReader<T>` where `T` is the
 * SDK's params type (`Stripe.InvoiceCreateParams`, ...): the key names are checked against `T` by the compiler and
 * the object the route assembles must be assignable to `T`. Every key a route reads is recorded, so anything left
 * over is rejected with Stripe's `parameter_unknown` error — a typo in a caller fails loudly instead of being
 * silently ignored.
 */
import Stripe from 'stripe';
import { invalidParam, missingParam, unknownParam } from './errors.js';
import { isFormObject, type FormObject, type FormValue } from './form.js';

/** The object member(s) of a (possibly `Emptyable`) param type. */
export type ObjectPart<V> = Exclude<Extract<NonNullable<V>, object>, readonly unknown[] | Stripe.Decimal>;
/** The element type of a (possibly `Emptyable`) array param type. */
export type ElementPart<V> = Extract<NonNullable<V>, readonly unknown[]>[number];
type Key<T> = Extract<keyof T, string>;

export function paramPath(parent: string, key: string | number): string {
  return parent === '' ? String(key) : `${parent}[${key}]`;
}

const INTEGER = /^-?\d+$/;
const NUMBER = /^-?\d+(\.\d+)?$/;
const DECIMAL = /^-?\d+(\.\d{1,12})?$/;

export class ParamReader<T> {
  constructor(
    private readonly node: FormObject,
    private readonly path: string,
    private readonly seen: Set<string>,
  ) {}

  static root<T>(form: FormObject): ParamReader<T> {
    return new ParamReader<T>(form, '', new Set());
  }

  /** Reads a value and marks it (with everything below it) as consumed. */
  private raw(key: string): FormValue | undefined {
    this.seen.add(paramPath(this.path, key));
    return this.node[key];
  }

  /** Reads a container without consuming it: its children are checked one by one. */
  private enter(key: string): FormValue | undefined {
    const value = this.node[key];
    // Anything but a container is consumed here (and rejected by the caller).
    if (typeof value !== 'object') this.seen.add(paramPath(this.path, key));
    return value;
  }

  private where(key: string): string {
    return paramPath(this.path, key);
  }

  private scalar(key: string): string | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string') {
      throw invalidParam(`Invalid value for ${this.where(key)}: expected a string.`, this.where(key));
    }
    return value;
  }

  has(key: Key<T>): boolean {
    return this.node[key] !== undefined;
  }

  kind(key: Key<T>): 'absent' | 'string' | 'array' | 'object' {
    const value = this.node[key];
    if (value === undefined) return 'absent';
    if (typeof value === 'string') return 'string';
    return Array.isArray(value) ? 'array' : 'object';
  }

  string(key: Key<T>): string | undefined {
    return this.scalar(key);
  }

  /** Strings Stripe rejects when blank (ids, names). */
  nonEmptyString(key: Key<T>): string | undefined {
    const value = this.scalar(key);
    if (value === '') {
      throw invalidParam(
        `You passed an empty string for '${this.where(key)}'. We assume empty values are an attempt to unset a ` +
          `parameter; however '${this.where(key)}' cannot be unset. You should remove '${this.where(key)}' from ` +
          `your request or supply a non-empty value.`,
        this.where(key),
        'parameter_invalid_empty',
      );
    }
    return value;
  }

  requiredString(key: Key<T>): string {
    const value = this.nonEmptyString(key);
    if (value === undefined) throw missingParam(this.where(key));
    return value;
  }

  /** `''` means "unset" for Stripe's `Emptyable<string>` params. */
  emptyableString(key: Key<T>): string | '' | undefined {
    return this.scalar(key);
  }

  integer(key: Key<T>, bounds: { min?: number; max?: number } = {}): number | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    if (!INTEGER.test(value)) {
      throw invalidParam(`Invalid integer: ${value}`, this.where(key), 'parameter_invalid_integer');
    }
    const n = Number(value);
    if (!Number.isSafeInteger(n)) {
      throw invalidParam(`Invalid integer: ${value}`, this.where(key), 'parameter_invalid_integer');
    }
    if (bounds.min !== undefined && n < bounds.min) {
      throw invalidParam(`This value must be greater than or equal to ${bounds.min}.`, this.where(key));
    }
    if (bounds.max !== undefined && n > bounds.max) {
      throw invalidParam(`This value must be less than or equal to ${bounds.max}.`, this.where(key));
    }
    return n;
  }

  requiredInteger(key: Key<T>, bounds: { min?: number; max?: number } = {}): number {
    const n = this.integer(key, bounds);
    if (n === undefined) throw missingParam(this.where(key));
    return n;
  }

  /** Non-integral numbers (`percent_off=25.5`). */
  number(key: Key<T>): number | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    if (!NUMBER.test(value)) throw invalidParam(`Invalid decimal: ${value}`, this.where(key));
    return Number(value);
  }

  boolean(key: Key<T>): boolean | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    if (value === 'true') return true;
    if (value === 'false') return false;
    throw invalidParam(`Invalid boolean: ${value}`, this.where(key));
  }

  /** Decimal strings in minor units with at most 12 places (`unit_amount_decimal`). */
  decimal(key: Key<T>): Stripe.Decimal | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    if (!DECIMAL.test(value)) {
      throw invalidParam(`Invalid decimal: ${value} (at most 12 decimal places)`, this.where(key));
    }
    return Stripe.Decimal.from(value);
  }

  oneOf<V extends string>(key: Key<T>, allowed: readonly V[]): V | undefined {
    const value = this.scalar(key);
    if (value === undefined) return undefined;
    const match = allowed.find((a) => a === value);
    if (match === undefined) {
      throw invalidParam(
        `Invalid ${this.where(key)}: must be one of ${allowed.join(', ')}`,
        this.where(key),
      );
    }
    return match;
  }

  /** Unix timestamps; `now` where the API accepts it (`start_date=now`). */
  timestampOrNow(key: Key<T>): number | 'now' | undefined {
    const value = this.scalar(key);
    if (value === 'now') return 'now';
    if (value === undefined) return undefined;
    return this.integer(key, { min: 0 });
  }

  /** `metadata[key]=value`; `metadata=''` clears everything, `metadata[key]=''` removes one key. */
  metadata(key: Key<T>): Stripe.MetadataParam | '' | undefined {
    const value = this.raw(key);
    if (value === undefined) return undefined;
    if (value === '') return '';
    const entries: [string, string][] = [];
    if (Array.isArray(value)) {
      // `metadata[0]=x` parses as an array: numeric metadata keys are still keys.
      value.forEach((v, i) => entries.push([String(i), typeof v === 'string' ? v : '']));
    } else if (isFormObject(value)) {
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') {
          throw invalidParam(`Metadata values must be strings: ${this.where(key)}[${k}]`, `${this.where(key)}[${k}]`);
        }
        entries.push([k, v]);
      }
    } else {
      throw invalidParam(`Invalid metadata: ${this.where(key)} must be a hash`, this.where(key));
    }
    if (entries.length > 50) throw invalidParam('You can specify up to 50 metadata keys.', this.where(key));
    for (const [k, v] of entries) {
      if (k.length > 40) throw invalidParam(`Metadata keys can be at most 40 characters: ${k}`, this.where(key));
      if (v.length > 500) throw invalidParam(`Metadata values can be at most 500 characters: ${k}`, this.where(key));
    }
    return Object.fromEntries(entries);
  }

  object<K extends Key<T>, R>(key: K, read: (reader: ParamReader<ObjectPart<T[K]>>) => R): R | undefined {
    const value = this.enter(key);
    if (value === undefined) return undefined;
    if (!isFormObject(value)) {
      throw invalidParam(`Invalid object: ${this.where(key)} must be a hash`, this.where(key));
    }
    return read(new ParamReader<ObjectPart<T[K]>>(value, this.where(key), this.seen));
  }

  requiredObject<K extends Key<T>, R>(key: K, read: (reader: ParamReader<ObjectPart<T[K]>>) => R): R {
    const result = this.object(key, read);
    if (result === undefined) throw missingParam(this.where(key));
    return result;
  }

  /** Objects that may be unset with `''` (Stripe's `Emptyable<...>`). */
  emptyableObject<K extends Key<T>, R>(key: K, read: (reader: ParamReader<ObjectPart<T[K]>>) => R): R | '' | undefined {
    if (this.node[key] === '') {
      this.raw(key);
      return '';
    }
    return this.object(key, read);
  }

  private list(key: string, consume: boolean): { value: FormValue; index: number }[] | undefined {
    const value = consume ? this.raw(key) : this.enter(key);
    if (value === undefined) return undefined;
    if (Array.isArray(value)) {
      const out: { value: FormValue; index: number }[] = [];
      value.forEach((v, index) => out.push({ value: v, index }));
      return out;
    }
    throw invalidParam(`Invalid array: ${this.where(key)} must be an array`, this.where(key));
  }

  objects<K extends Key<T>, R>(
    key: K,
    read: (reader: ParamReader<ObjectPart<ElementPart<T[K]>>>, index: number) => R,
  ): R[] | undefined {
    const items = this.list(key, false);
    if (items === undefined) return undefined;
    return items.map(({ value, index }) => {
      const where = paramPath(this.where(key), index);
      if (!isFormObject(value)) throw invalidParam(`Invalid object: ${where} must be a hash`, where);
      return read(new ParamReader<ObjectPart<ElementPart<T[K]>>>(value, where, this.seen), index);
    });
  }

  /** Arrays of objects that may be unset with `''`. */
  emptyableObjects<K extends Key<T>, R>(
    key: K,
    read: (reader: ParamReader<ObjectPart<ElementPart<T[K]>>>, index: number) => R,
  ): R[] | '' | undefined {
    if (this.node[key] === '') {
      this.raw(key);
      return '';
    }
    return this.objects(key, read);
  }

  strings(key: Key<T>): string[] | undefined {
    const items = this.list(key, true);
    if (items === undefined) return undefined;
    return items.map(({ value, index }) => {
      if (typeof value !== 'string') {
        const where = paramPath(this.where(key), index);
        throw invalidParam(`Invalid value for ${where}: expected a string.`, where);
      }
      return value;
    });
  }

  /** Arrays that may be unset with `''`. */
  emptyableStrings(key: Key<T>): string[] | '' | undefined {
    if (this.node[key] === '') {
      this.raw(key);
      return '';
    }
    return this.strings(key);
  }

  /** Enumerated string arrays (`payment_method_types[0]=card`). */
  stringsOneOf<V extends string>(key: Key<T>, allowed: readonly V[]): V[] | '' | undefined {
    const values = this.emptyableStrings(key);
    if (values === undefined || values === '') return values;
    return values.map((v, i) => {
      const match = allowed.find((a) => a === v);
      if (match === undefined) {
        const where = paramPath(this.where(key), i);
        throw invalidParam(`Invalid ${where}: must be one of ${allowed.join(', ')}`, where);
      }
      return match;
    });
  }

  /** Throws `parameter_unknown` for the first leaf no reader looked at. */
  assertNothingElse(): void {
    const check = (node: FormValue, path: string): void => {
      if (this.seen.has(path)) return;
      if (typeof node === 'string') throw unknownParam(path);
      if (Array.isArray(node)) node.forEach((child, i) => check(child, paramPath(path, i)));
      else for (const [k, child] of Object.entries(node)) check(child, paramPath(path, k));
    };
    for (const [k, child] of Object.entries(this.node)) check(child, paramPath(this.path, k));
  }
}

/** Params shared by every list endpoint. */
export function readPagination<T extends Stripe.PaginationParams>(p: ParamReader<T>): Stripe.PaginationParams {
  const reader = p as unknown as ParamReader<Stripe.PaginationParams>;
  return {
    limit: reader.integer('limit', { min: 1, max: 100 }),
    starting_after: reader.nonEmptyString('starting_after'),
    ending_before: reader.nonEmptyString('ending_before'),
  };
}

/** `created=123` or `created[gte]=...` filters. */
export function readRange<T>(p: ParamReader<T>, key: Extract<keyof T, string>): Stripe.RangeQueryParam | number | undefined {
  const reader = p as unknown as ParamReader<Record<string, Stripe.RangeQueryParam | number | undefined>>;
  if (reader.kind(key) === 'string') return reader.integer(key);
  return reader.object(key, (r) => ({
    gt: r.integer('gt'),
    gte: r.integer('gte'),
    lt: r.integer('lt'),
    lte: r.integer('lte'),
  }));
}

export function matchesRange(value: number, range: Stripe.RangeQueryParam | number | undefined): boolean {
  if (range === undefined) return true;
  if (typeof range === 'number') return value === range;
  return (
    (range.gt === undefined || value > range.gt) &&
    (range.gte === undefined || value >= range.gte) &&
    (range.lt === undefined || value < range.lt) &&
    (range.lte === undefined || value <= range.lte)
  );
}
