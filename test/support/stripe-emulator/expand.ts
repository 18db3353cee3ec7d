/**
 * `expand[]` for id fields: `customer`, `data.customer`, `subscription.customer`, ... Paths are walked on the JSON
 * form of a response; a string id at the end of a path is replaced by the object it names. Fields a route already
 * expanded itself (a customer's `tax_ids`, a price's `tiers`) are left as they are.
 */
import { invalidRequest } from './errors.js';

export type Resolver = (id: string) => unknown;

function fail(path: string, detail = ''): never {
  throw invalidRequest(`This property cannot be expanded (${path}).${detail}`, 'expand');
}

function expandAt(node: unknown, segments: readonly string[], resolve: Resolver, path: string): void {
  if (node === null || node === undefined || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const child of node) expandAt(child, segments, resolve, path);
    return;
  }
  const [head, ...rest] = segments;
  if (head === undefined) return;
  const obj = node as Record<string, unknown>;
  if (!(head in obj)) fail(path);
  const replace = (value: unknown): unknown => {
    if (typeof value !== 'string') return value;
    const resolved = resolve(value);
    if (resolved === undefined) fail(path, ` The Stripe emulator cannot expand '${value}'.`);
    return resolved;
  };
  const value = obj[head];
  if (rest.length === 0) {
    obj[head] = Array.isArray(value) ? value.map(replace) : replace(value);
    return;
  }
  const next = Array.isArray(value) ? value : replace(value);
  obj[head] = next;
  expandAt(next, rest, resolve, path);
}

export function expandJson(body: unknown, paths: readonly string[], resolve: Resolver): void {
  for (const path of paths) {
    const segments = path.split('.');
    if (segments.length > 4 || segments.some((s) => s === '')) fail(path);
    expandAt(body, segments, resolve, path);
  }
}
