import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { amortize } from '../../src/core/contracts/amortization.js';
import { parseOrderForm, setPath, type OrderForm } from '../../src/core/contracts/order-form.js';

const fixture = (name: string): string => readFileSync(new URL(`../fixtures/order-forms/${name}`, import.meta.url), 'utf8');

function form(text: string, format: 'yaml' | 'json' | 'csv' = 'yaml'): OrderForm {
  const r = parseOrderForm(text, format);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.form;
}

describe('order forms', () => {
  it('a form with several signer emails and no chosen contact is refused with that one problem', () => {
    const r = parseOrderForm(fixture('acme-annual.yaml'), 'yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems).toEqual([{ path: 'customer.contact_email', code: 'contact_email_ambiguous', message: expect.stringContaining('cfo@acme.example, ap@acme.example, rep@tally.example') }]);
  });

  it('reads the fixture once the contact is chosen: human numbers into exact minor units', () => {
    const f = form(fixture('acme-annual.yaml').replace('  signer_emails:', '  contact_email: AP@acme.example\n  signer_emails:'));
    expect(f.quote).toBe('Q-2026-0042');
    expect(f.currency).toBe('USD');
    expect(f.startDate).toBe('2026-02-01');
    expect(f.termYears).toBe(1);
    expect(f.paymentTermsDays).toBe(30);
    expect(f.customer).toMatchObject({ kind: 'new', name: 'Acme Corp', contactEmail: 'ap@acme.example', taxIds: [{ type: 'us_ein', value: '12-3456789' }], address: { line1: '1 Market Street', postal_code: '94105', country: 'US' } });
    expect(f.products.map((p) => [p.product, p.upFront])).toEqual([
      ['product_analytics', 4_800_000n],
      ['session_replay', 1_200_000n],
    ]);
    // $0.000045 per event = 0.0045 cents per event.
    expect(f.products[0]!.overage!.map((t) => [t.upTo?.toString() ?? null, t.unitAmount.toString()])).toEqual([
      ['60000000', '0'],
      ['250000000', '0.0045'],
      [null, '0.003'],
    ]);
    expect(f.products[1]!.overage).toBeNull();
  });

  it('reads the same contract from CSV (field,value rows)', () => {
    const f = form(fixture('acme-annual.csv'), 'csv');
    expect(f.customer).toMatchObject({ kind: 'new', contactEmail: 'cfo@acme.example' });
    expect(f.products[0]!.upFront).toBe(4_800_000n);
    expect(f.products[0]!.overage!.map((t) => t.unitAmount.toString())).toEqual(['0', '0.0045']);
  });

  it('reads JSON, payment terms and an explicit due date', () => {
    const f = form(
      JSON.stringify({
        quote: 'Q-1',
        currency: 'usd',
        start_date: '2026-03-01',
        term_years: '3',
        payment_terms: 'Net 45',
        due_date: '2026-04-30',
        customer: { id: 'cus_X', contact_email: 'x@y.example' },
        products: { product_analytics: { up_front: '100,000.01' } },
      }),
      'json',
    );
    expect(f).toMatchObject({ termYears: 3, paymentTermsDays: 45, dueDate: '2026-04-30', currency: 'USD', customer: { kind: 'existing', id: 'cus_X' } });
    expect(f.products[0]!.upFront).toBe(10_000_001n);
  });

  it('lists every problem of a malformed form at once, each with its field path', () => {
    const r = parseOrderForm(fixture('malformed.yaml'), 'yaml');
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.code]));
    expect(byPath).toEqual({
      'start_date': 'invalid_date',
      'term_years': 'invalid_whole_number',
      'customer.contact_email': 'contact_email_ambiguous',
      'customer.external_id': 'required',
      'customer.address': 'required',
      'products.0.up_front': 'ambiguous_decimal_separator',
      'products.0.overage.0.up_to': 'ambiguous_thousands_separator',
      'products.0.overage.1.unit_amount': 'ambiguous_decimal_separator',
      'products.1.up_front': 'mixed_currencies',
      'products.2.up_front': 'ambiguous_number',
    });
    expect(r.problems.every((p) => p.message.length > 10)).toBe(true);
  });

  it('refuses a document that is not YAML / CSV without the header', () => {
    expect(parseOrderForm('quote: [unclosed', 'yaml')).toMatchObject({ ok: false, problems: [{ code: 'invalid_yaml' }] });
    expect(parseOrderForm('a,b\n1,2', 'csv')).toMatchObject({ ok: false, problems: [{ code: 'invalid_csv' }] });
    expect(parseOrderForm('{', 'json')).toMatchObject({ ok: false, problems: [{ code: 'invalid_json' }] });
  });

  it('refuses sub-cent up-front amounts and a contact email that is not a signer', () => {
    const r = parseOrderForm(
      JSON.stringify({ quote: 'Q', start_date: '2026-01-01', term_years: 1, customer: { id: 'cus_1', signer_emails: ['a@b.example'], contact_email: 'z@b.example' }, products: [{ product: 'p', up_front: '$10.0001' }] }),
      'json',
    );
    expect(r.ok ? [] : r.problems.map((p) => [p.path, p.code])).toEqual([
      ['customer.contact_email', 'contact_not_a_signer'],
      ['products.0.up_front', 'too_many_decimal_places'],
    ]);
  });
});

describe('order form field paths', () => {
  it('set creates lists for numeric segments, removes with undefined, and never touches a prototype', () => {
    const o: Record<string, unknown> = {};
    setPath(o, 'products.0.overage.1.up_to', 'inf');
    expect(o).toEqual({ products: [{ overage: [undefined, { up_to: 'inf' }] }] });
    setPath(o, 'products.0', undefined);
    expect(o).toEqual({ products: [] });
    expect(() => setPath(o, '__proto__.polluted', 1)).toThrow(RangeError);
    expect(() => setPath(o, 'a.constructor.prototype', 1)).toThrow(RangeError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a new customer needs a two-letter country code', () => {
    const r = parseOrderForm(fixture('acme-annual.csv').replace('customer.address.country,US', 'customer.address.country,USA'), 'csv');
    expect(r.ok ? [] : r.problems.map((p) => [p.path, p.code])).toEqual([['customer.address.country', 'invalid_country']]);
  });
});

describe('amortization (R20)', () => {
  it('$60,000 over 12 months is 12 × $5,000, one slice per calendar month', () => {
    const slices = amortize(6_000_000n, new Date('2026-02-01T00:00:00Z'), 12);
    expect(slices.map((s) => s.amount)).toEqual(Array(12).fill(500_000n));
    expect(slices.map((s) => s.month)).toEqual(['2026-02', '2026-03', '2026-04', '2026-05', '2026-06', '2026-07', '2026-08', '2026-09', '2026-10', '2026-11', '2026-12', '2027-01']);
    expect(slices[11]!.end.toISOString()).toBe('2027-02-01T00:00:00.000Z');
  });

  it('$100,000.01 over 36 months: 35 × $2,777.77 and $2,777.06 last', () => {
    // 10,000,001 cents / 36 = 277,777 remainder 29 → last = 277,777 + 29 = 277,806? No: the last slice
    // takes total − 35 × 277,777 = 10,000,001 − 9,722,195 = 277,806 cents.
    const slices = amortize(10_000_001n, new Date('2026-04-01T00:00:00Z'), 36);
    expect(slices.slice(0, 35).every((s) => s.amount === 277_777n)).toBe(true);
    expect(slices[35]!.amount).toBe(277_806n);
    expect(slices[35]!.month).toBe('2029-03');
  });

  it('property: slices sum to the total, all equal but the last, the last holds the remainder', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.integer({ min: 1, max: 120 }), fc.integer({ min: 0, max: 3000 }), (total, months, dayOffset) => {
        const start = new Date(Date.UTC(2020, 0, 1) + dayOffset * 86_400_000);
        const slices = amortize(total, start, months);
        expect(slices).toHaveLength(months);
        expect(slices.reduce((s, x) => s + x.amount, 0n)).toBe(total);
        const first = slices[0]!.amount;
        expect(first).toBe(total / BigInt(months));
        expect(slices.slice(0, -1).every((s) => s.amount === first)).toBe(true);
        expect(slices[months - 1]!.amount - first).toBe(total % BigInt(months));
        for (let i = 1; i < months; i++) expect(slices[i]!.start.getTime()).toBe(slices[i - 1]!.end.getTime());
      }),
    );
  });
});
