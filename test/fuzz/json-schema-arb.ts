/**
 * fast-check arbitraries from the OpenAPI (JSON Schema) request bodies: values that follow the schema,
 * and near misses — a valid value with one thing wrong (a field dropped, nulled, of another type, too
 * long, out of range, or an unknown field added).
 */
import fc from 'fast-check';

export type JsonSchema = Record<string, unknown>;
type Arb = fc.Arbitrary<unknown>;

const ISO = fc.date({ min: new Date('2025-01-01T00:00:00Z'), max: new Date('2027-12-31T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString());

/** Values that follow `schema` (best effort: patterns are not honoured, formats are for the common ones). */
export function fromSchema(schema: JsonSchema, components: Record<string, JsonSchema>, depth = 0): Arb {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.split('/').pop()!;
    return fromSchema(components[name] ?? {}, components, depth + 1);
  }
  if ('const' in schema) return fc.constant(schema.const);
  if (Array.isArray(schema.enum)) return fc.constantFrom(...(schema.enum as unknown[]));
  const alternatives = (schema.anyOf ?? schema.oneOf) as JsonSchema[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((s) => fromSchema(s, components, depth + 1)));
  if (Array.isArray(schema.allOf) && schema.allOf.length) return fromSchema(schema.allOf[0] as JsonSchema, components, depth + 1);
  const type = Array.isArray(schema.type) ? (schema.type[0] as string) : (schema.type as string | undefined);
  switch (type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : -1000;
      const max = typeof schema.maximum === 'number' ? schema.maximum : min + 100_000;
      return fc.integer({ min: Math.max(min, Number.MIN_SAFE_INTEGER), max: Math.min(max, Number.MAX_SAFE_INTEGER) });
    }
    case 'number':
      return fc.double({ min: typeof schema.minimum === 'number' ? schema.minimum : -1e6, max: typeof schema.maximum === 'number' ? schema.maximum : 1e6, noNaN: true, noDefaultInfinity: true });
    case 'string': {
      if (schema.format === 'date-time') return ISO;
      if (schema.format === 'email') return fc.constantFrom('a@example.com', 'billing@team.io');
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const maxLength = Math.min(typeof schema.maxLength === 'number' ? schema.maxLength : 24, 40);
      return fc.oneof(fc.string({ minLength, maxLength: Math.max(minLength, maxLength) }), fc.constantFrom('usd', 'eur', 'month', 'year', 'paid', 'free', 'product_analytics', 'events', '2026-03-01', '100', '0.5', 'team_1').filter((s) => s.length >= minLength && s.length <= Math.max(minLength, maxLength)));
    }
    case 'array': {
      if (depth > 6) return fc.constant([]);
      const item = fromSchema((schema.items as JsonSchema) ?? {}, components, depth + 1);
      const minLength = typeof schema.minItems === 'number' ? schema.minItems : 0;
      return fc.array(item, { minLength, maxLength: Math.max(minLength, Math.min(typeof schema.maxItems === 'number' ? schema.maxItems : 3, 3)) });
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
      const required = new Set((schema.required ?? []) as string[]);
      if (depth > 6) return fc.constant({});
      const record: Record<string, Arb> = {};
      for (const [k, s] of Object.entries(props)) record[k] = fromSchema(s, components, depth + 1);
      const keys = Object.keys(props);
      return fc.record(record, { requiredKeys: keys.filter((k) => required.has(k)) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

type Path = (string | number)[];

function pathsOf(value: unknown, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (Array.isArray(value)) value.forEach((v, i) => pathsOf(v, [...at, i], out));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) pathsOf(v, [...at, k], out);
  return out;
}

function setAt(value: unknown, path: Path, replace: (old: unknown) => unknown | typeof DELETE): unknown {
  if (path.length === 0) {
    const r = replace(value);
    return r === DELETE ? undefined : r;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...value];
    const r = setAt(copy[head as number], rest, replace);
    if (r === undefined && rest.length === 0) copy.splice(head as number, 1);
    else copy[head as number] = r;
    return copy;
  }
  const copy = { ...(value as Record<string, unknown>) };
  const r = setAt(copy[head as string], rest, replace);
  if (r === undefined && rest.length === 0) delete copy[head as string];
  else copy[head as string] = r;
  return copy;
}

const DELETE = Symbol('delete');

/** One thing wrong with an otherwise valid value. */
const wrongValue: Arb = fc.oneof(
  fc.constantFrom(null, '', -1, 0, 2 ** 53 + 2, -(2 ** 31), 1.5, true, [], {}, '9'.repeat(40), 'x'.repeat(300), '1e309', 'NaN', '-0', '2026-02-30T00:00:00Z', '../../etc/passwd', "'; drop table customers; --", '\u0000', '\uD800'),
  fc.jsonValue({ maxDepth: 2 }),
);

export function nearMiss(schema: JsonSchema, components: Record<string, JsonSchema>): Arb {
  return fc.tuple(fromSchema(schema, components), fc.nat(), fc.constantFrom('delete', 'replace', 'unknown_key'), wrongValue, fc.string({ minLength: 1, maxLength: 12 })).map(([valid, pick, how, wrong, key]) => {
    const paths = pathsOf(valid);
    const path = paths[pick % paths.length]!;
    if (how === 'unknown_key') {
      return setAt(valid, path, (old) => (old !== null && typeof old === 'object' && !Array.isArray(old) ? { ...old, [`zz_${key}`]: wrong } : wrong));
    }
    if (how === 'delete' && path.length > 0) return setAt(valid, path, () => DELETE);
    return setAt(valid, path, () => wrong);
  });
}
