/**
 * The billing config loader over arbitrary input: random text, random YAML documents, and the example
 * config with one part replaced, removed or duplicated. It must always answer with a result — a catalog, or
 * a list of errors each with a path, a message and a code — and never throw.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseBillingConfig } from '../../src/core/catalog/index.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
// A small config with most constructs (tiers, packages, flat fees, features, add-ons, trials): the full
// example takes long enough to parse that a few hundred mutations of it would slow the suite down.
const base = `
version: 1
products:
  - key: analytics
    name: Analytics
    metric: events
    unit: event
    default_plan: free
    plans:
      free:
        name: Free
        features: [{ key: projects, name: Projects, limit: 1 }]
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
      paid:
        name: Paid
        features: [{ key: projects, name: Projects, limit: 10 }, { key: sso, name: SSO }]
        prices:
          - currency: usd
            interval: month
            metered: { aggregation: sum }
            tiered:
              mode: graduated
              tiers:
                - { up_to: 1000, unit_amount: 0 }
                - { up_to: inf, unit_amount: 0.005, flat_amount: 100 }
  - key: seats
    name: Seats
    metric: seats
    unit: seat
    default_plan: team
    plans:
      team:
        name: Team
        prices: [{ currency: usd, interval: month, flat: { amount: 2000 } }]
`;
const exampleValue = parse(base) as unknown;

function check(text: string): void {
  const r = parseBillingConfig(text, 'fuzz.yaml');
  if (r.ok) {
    // Every product entry became a product (an empty list is a valid, empty catalog).
    const entries = (parse(text) as { products?: unknown[] }).products ?? [];
    expect(r.catalog.products.size).toBe(entries.length);
    return;
  }
  expect(r.errors.length).toBeGreaterThan(0);
  for (const e of r.errors) {
    expect(typeof e.path).toBe('string');
    expect(typeof e.code).toBe('string');
    expect(e.message.length).toBeGreaterThan(0);
  }
}

type Path = (string | number)[];
function pathsOf(v: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}
function mutate(v: unknown, path: Path, how: 'replace' | 'delete' | 'duplicate', by: unknown): unknown {
  if (path.length === 0) return how === 'replace' ? by : v;
  const [head, ...rest] = path;
  if (Array.isArray(v)) {
    const copy = [...v];
    const i = head as number;
    if (rest.length === 0 && how === 'delete') copy.splice(i, 1);
    else if (rest.length === 0 && how === 'duplicate') copy.splice(i, 0, copy[i]);
    else copy[i] = mutate(copy[i], rest, how, by);
    return copy;
  }
  const copy = { ...(v as Record<string, unknown>) };
  if (rest.length === 0 && how === 'delete') delete copy[head as string];
  else if (rest.length === 0 && how === 'duplicate') copy[`${String(head)}_copy`] = copy[head as string];
  else copy[head as string] = mutate(copy[head as string], rest, how, by);
  return copy;
}

const scalarOrJunk = fc.oneof(
  fc.constantFrom(null, '', -1, 0, 1e21, 0.1, '0.000000000000001', 'inf', '-inf', 'usd', 'USD', 'month', 'year', 'sum', 'unique', true, [], {}, 'x'.repeat(500)),
  fc.jsonValue({ maxDepth: 3 }),
);

describe('the billing config loader never throws', () => {
  it('on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), check), { numRuns: RUNS });
  });

  it('on YAML-ish text made of config fragments', () => {
    const fragment = fc.constantFrom('version: 1\n', 'products:\n', '  - key: a\n', '    plans:\n', '      paid:\n', '        prices: [', '{ currency: usd }', ']\n', '&anchor ', '*anchor\n', '<<: *anchor\n', '!!binary AAAA\n', '%YAML 1.2\n---\n', '"\\u0000"\n', '? [a, b]\n: c\n', '\t', '- - - -\n');
    fc.assert(fc.property(fc.array(fragment, { maxLength: 30 }).map((parts) => parts.join('')), check), { numRuns: RUNS });
  });

  it('on arbitrary YAML documents', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 5 }), (v) => check(stringify(v))), { numRuns: RUNS });
  });

  it('on a valid config with one part replaced, removed or duplicated', () => {
    const paths = pathsOf(exampleValue);
    fc.assert(
      fc.property(fc.nat(paths.length - 1), fc.constantFrom('replace', 'delete', 'duplicate') as fc.Arbitrary<'replace' | 'delete' | 'duplicate'>, scalarOrJunk, (i, how, by) => {
        check(stringify(mutate(exampleValue, paths[i]!, how, by)));
      }),
      { numRuns: RUNS },
    );
  });

  it('the unmodified base config loads (the mutations start from a valid config)', () => {
    expect(parseBillingConfig(stringify(exampleValue), 'example.yaml').ok).toBe(true);
  });
});
