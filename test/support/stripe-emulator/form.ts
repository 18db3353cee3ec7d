/**
 * Stripe's wire format for requests: `application/x-www-form-urlencoded` with bracket notation
 * (`a[b][0][c]=x`), in the body for POST and in the query string for GET/DELETE. Every leaf is a string;
 * the typed readers in params.ts turn strings into numbers, booleans and decimals.
 */
import { invalidRequest } from './errors.js';

export type FormValue = string | FormValue[] | FormObject;
export interface FormObject {
  [key: string]: FormValue;
}

export function isFormObject(value: FormValue | undefined): value is FormObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Splits `a[b][0]` into `['a', 'b', '0']`; `a[]` appends (some clients send arrays that way). */
export function splitKey(key: string): string[] {
  const open = key.indexOf('[');
  if (open === -1) return [key];
  const segments = [key.slice(0, open)];
  const rest = key.slice(open);
  const re = /\[([^\]]*)\]/gy;
  let consumed = 0;
  for (let m = re.exec(rest); m !== null; m = re.exec(rest)) {
    segments.push(m[1] ?? '');
    consumed = re.lastIndex;
  }
  if (consumed !== rest.length || segments[0] === '') {
    throw invalidRequest(`Invalid parameter name: ${key}`, key);
  }
  return segments;
}

function decode(component: string): string {
  try {
    // Form encoding may use `+` for spaces; the Stripe SDK uses %20, accept both.
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    throw invalidRequest(`Invalid URL encoding: ${component}`);
  }
}

const isIndex = (segment: string): boolean => /^\d+$/.test(segment);

/** Tree built while parsing: objects only, so `a[0]` and `a[k]` can mix (numeric metadata keys). */
interface Draft {
  [key: string]: string | Draft;
}

function assign(root: Draft, segments: string[], value: string, fullKey: string): void {
  let container = root;
  segments.forEach((raw, i) => {
    // `a[]=x` appends: the next free index.
    const segment = raw === '' && i > 0 ? String(Object.keys(container).length) : raw;
    if (segment === '') throw invalidRequest(`Invalid parameter name: ${fullKey}`, fullKey);
    if (i === segments.length - 1) {
      if (typeof container[segment] === 'object') throw invalidRequest(`Conflicting parameter: ${fullKey}`, fullKey);
      container[segment] = value;
      return;
    }
    const child = container[segment] ?? {};
    if (typeof child === 'string') throw invalidRequest(`Conflicting parameter: ${fullKey}`, fullKey);
    container[segment] = child;
    container = child;
  });
}

/** Objects whose keys are all indices become arrays (`a[0]=x&a[1]=y` → `['x', 'y']`). */
function settle(node: string | Draft, key: string): FormValue {
  if (typeof node === 'string') return node;
  const keys = Object.keys(node);
  if (keys.length > 0 && keys.every(isIndex)) {
    const out: FormValue[] = [];
    for (const k of keys) {
      const index = Number(k);
      if (index > 10_000) throw invalidRequest(`Array index too large: ${key}[${k}]`, key);
      out[index] = settle(node[k] as string | Draft, `${key}[${k}]`);
    }
    return out;
  }
  const obj: FormObject = {};
  for (const k of keys) obj[k] = settle(node[k] as string | Draft, key === '' ? k : `${key}[${k}]`);
  return obj;
}

/** Parses `a=1&b[c]=2&d[0][e]=3` into `{a: '1', b: {c: '2'}, d: [{e: '3'}]}`. */
export function parseForm(input: string): FormObject {
  const root: Draft = {};
  if (input.trim() === '') return {};
  for (const pair of input.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = decode(rawKey);
    assign(root, splitKey(key), decode(rawValue), key);
  }
  const out: FormObject = {};
  for (const [k, v] of Object.entries(root)) out[k] = settle(v, k);
  return out;
}

/** Serializes back to bracket notation (used by tests and by `deliverForged`). */
export function encodeForm(value: FormObject): string {
  const pairs: string[] = [];
  const walk = (prefix: string, node: FormValue): void => {
    if (typeof node === 'string') {
      pairs.push(`${encodeURIComponent(prefix)}=${encodeURIComponent(node)}`);
    } else if (Array.isArray(node)) {
      node.forEach((child, i) => walk(`${prefix}[${i}]`, child));
    } else {
      for (const [k, child] of Object.entries(node)) walk(prefix === '' ? k : `${prefix}[${k}]`, child);
    }
  };
  walk('', value);
  return pairs.join('&');
}

/** A canonical JSON rendering, key order independent, so idempotency can compare parameter sets. */
export function canonicalize(value: FormValue | undefined): string {
  if (value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonicalize(v)).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(value[k])}`).join(',')}}`;
}
