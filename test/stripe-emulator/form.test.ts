import { describe, expect, it } from 'vitest';
import { EmulatorError } from '../support/stripe-emulator/errors.js';
import { canonicalize, encodeForm, parseForm } from '../support/stripe-emulator/form.js';
import { ParamReader } from '../support/stripe-emulator/params.js';

describe('form parsing', () => {
  it('turns bracket notation into nested objects and arrays', () => {
    expect(parseForm('a[b][0][c]=x&a[b][0][d]=y&a[b][1][c]=z&e=1')).toEqual({
      a: { b: [{ c: 'x', d: 'y' }, { c: 'z' }] },
      e: '1',
    });
  });

  it('decodes percent-encoding and form-style plus signs, and keeps empty values', () => {
    expect(parseForm('name=Ada%20Lovelace&memo=a+b&metadata=&email=ada%2Btest%40example.com')).toEqual({
      name: 'Ada Lovelace',
      memo: 'a b',
      metadata: '',
      email: 'ada+test@example.com',
    });
  });

  it('accepts encoded brackets and `[]` appends', () => {
    expect(parseForm('expand%5B0%5D=customer&types[]=card&types[]=us_bank_account')).toEqual({
      expand: ['customer'],
      types: ['card', 'us_bank_account'],
    });
  });

  it('rejects conflicting and malformed keys with a Stripe-shaped 400', () => {
    for (const bad of ['a=1&a[b]=2', 'a[b]=1&a=2', '[a]=1', 'a[b][]]=1']) {
      expect(() => parseForm(bad)).toThrow(EmulatorError);
    }
  });

  it('round-trips through encodeForm and canonicalizes independent of key order', () => {
    const value = { a: { b: [{ c: 'x y' }] }, metadata: { k: '1' } };
    expect(parseForm(encodeForm(value))).toEqual(value);
    expect(canonicalize(parseForm('a=1&b=2'))).toBe(canonicalize(parseForm('b=2&a=1')));
    expect(canonicalize(parseForm('a=1&b=2'))).not.toBe(canonicalize(parseForm('a=1&b=3')));
  });
});

describe('typed parameter reader', () => {
  interface Params {
    amount?: number;
    flag?: boolean;
    nested?: { inner?: string };
    items?: { price: string }[];
    metadata?: Record<string, string> | '';
  }

  it('reads typed values and reports unread keys as parameter_unknown', () => {
    const reader = ParamReader.root<Params>(parseForm('amount=-5&flag=true&nested[inner]=x&items[0][price]=p&extra[deep]=1'));
    expect(reader.integer('amount')).toBe(-5);
    expect(reader.boolean('flag')).toBe(true);
    expect(reader.object('nested', (r) => r.string('inner'))).toBe('x');
    expect(reader.objects('items', (r) => r.requiredString('price'))).toEqual(['p']);
    try {
      reader.assertNothingElse();
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(EmulatorError);
      expect((error as EmulatorError).payload).toMatchObject({ code: 'parameter_unknown', param: 'extra[deep]' });
    }
  });

  it('validates integers and booleans with the offending param named', () => {
    const reader = ParamReader.root<Params>(parseForm('amount=1.5&flag=yes'));
    expect(() => reader.integer('amount')).toThrow(/Invalid integer/);
    expect(() => reader.boolean('flag')).toThrow(/Invalid boolean/);
  });

  it('treats numeric metadata keys as keys, and metadata= as "clear"', () => {
    expect(ParamReader.root<Params>(parseForm('metadata[0]=a&metadata[k]=b')).metadata('metadata')).toEqual({ '0': 'a', k: 'b' });
    expect(ParamReader.root<Params>(parseForm('metadata[7]=a')).metadata('metadata')).toEqual({ '7': 'a' });
    expect(ParamReader.root<Params>(parseForm('metadata=')).metadata('metadata')).toBe('');
  });
});
