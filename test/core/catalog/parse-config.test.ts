import { describe, expect, it } from 'vitest';
import { parseYamlConfig } from '../../../src/core/catalog/parse-config.js';
import { errorsOf, onlyError, PRICE, withPrice, yaml } from './helpers.js';

function parsed(text: string) {
  const r = parseYamlConfig(text);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r;
}

describe('parseYamlConfig', () => {
  const text = yaml`
    version: 1
    products:
      - key: product_analytics
        plans:
          paid:
            prices:
              - tiered:
                  tiers:
                    - { up_to: 10, unit_amount: 1 }
                    - up_to: inf
                      unit_amount: 2
  `;

  it('maps paths to 1-based lines: map keys at their key, list items at their first line', () => {
    const { lineOf } = parsed(text);
    expect(lineOf(['version'])).toBe(1);
    expect(lineOf(['products', 0])).toBe(3);
    expect(lineOf(['products', 0, 'plans', 'paid'])).toBe(5);
    expect(lineOf(['products', 0, 'plans', 'paid', 'prices', 0, 'tiered', 'tiers', 0, 'up_to'])).toBe(9);
    expect(lineOf(['products', 0, 'plans', 'paid', 'prices', 0, 'tiered', 'tiers', 1, 'unit_amount'])).toBe(11);
  });

  it('falls back to the nearest ancestor for a path that is not in the file', () => {
    const { lineOf } = parsed(text);
    expect(lineOf(['products', 0, 'name'])).toBe(3);
    expect(lineOf(['products', 0, 'plans', 'paid', 'name'])).toBe(5);
  });

  it('keeps numbers as numbers unless a float would change what was written', () => {
    const { value } = parsed('a: 0.005\nb: 1000000\nc: 123456789.123456789012\nd: 1e3\ne: 0x10\nf: "0.5"\n');
    expect(value).toEqual({ a: 0.005, b: 1000000, c: '123456789.123456789012', d: 1000, e: 16, f: '0.5' });
  });

  it('expands aliases, with the lines of the anchored definition inside them', () => {
    const { value, lineOf } = parsed('a: &x\n  n: 1\nb: *x\n');
    expect(value).toEqual({ a: { n: 1 }, b: { n: 1 } });
    expect(lineOf(['b'])).toBe(3);
    expect(lineOf(['b', 'n'])).toBe(2);
  });

  it('stops an alias bomb instead of expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      levels.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(', ')}]`);
    }
    const r = parseYamlConfig(levels.join('\n'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]?.code).toBe('yaml_too_large');
  });

  it('treats __proto__ as an ordinary key', () => {
    const { value } = parsed('__proto__: { polluted: true }\n');
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(Object.keys(value as object)).toEqual(['__proto__']);
  });
});

describe('YAML errors', () => {
  it('reports syntax errors with their lines, all of them, and nothing else', () => {
    const errors = errorsOf('version: 1\nproducts:\n  - key: a\n    key: b\n  - key: [unclosed\n');
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(errors.every((e) => e.code === 'yaml_syntax' && e.path === '')).toBe(true);
    expect(errors[0]).toMatchObject({ line: 4, message: 'Map keys must be unique' });
  });

  it('rejects unknown tags rather than tolerating them', () => {
    expect(onlyError('version: !money 1\nproducts: []\n', 'yaml_syntax').line).toBe(1);
  });

  it('rejects unresolved aliases', () => {
    expect(onlyError(withPrice('flat: *nowhere'), 'yaml_syntax')).toMatchObject({ line: 13 });
  });

  it('reports an empty file as a missing map', () => {
    expect(errorsOf('')).toEqual([{ path: '', line: null, code: 'invalid_type', message: 'expected a map, got null' }]);
  });

  it('reports a __proto__ key as an unknown key', () => {
    expect(onlyError(withPrice('flat: { amount: 1, __proto__: {} }'), 'unknown_key')).toMatchObject({
      path: `${PRICE}.flat.__proto__`,
      line: 13,
    });
  });
});
