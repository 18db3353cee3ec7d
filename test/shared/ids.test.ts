import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ID_PREFIXES, idTime, isId, newId, type IdKind } from '../../src/shared/ids.js';

// newId keeps per-process state to stay monotonic, so every test mints at times later than the previous
// test's; each block starts from its own, later base.
const kinds = Object.keys(ID_PREFIXES) as IdKind[];

describe('ids', () => {
  it('carries the kind prefix and 26 Crockford base32 characters', () => {
    const at = new Date('2031-01-01T00:00:00Z');
    for (const kind of kinds) {
      const id = newId(kind, at);
      expect(id.startsWith(`${ID_PREFIXES[kind]}_`)).toBe(true);
      expect(id.slice(ID_PREFIXES[kind].length + 1)).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(isId(kind, id)).toBe(true);
      for (const other of kinds) if (other !== kind) expect(isId(other, id)).toBe(false);
    }
    expect(new Set(Object.values(ID_PREFIXES)).size).toBe(kinds.length); // prefixes never collide
  });

  it('rejects malformed ids', () => {
    expect(isId('customer', 'cus_')).toBe(false);
    expect(isId('customer', 'cus_01HK153X004P83E00HHHCKA36')).toBe(false); // 25 chars
    expect(isId('customer', 'cus_01HK153X004P83E00HHHCKA36I')).toBe(false); // I is not Crockford
    expect(isId('customer', 'CUS_01HK153X004P83E00HHHCKA36V')).toBe(false);
    expect(() => idTime('nope')).toThrow(RangeError);
  });

  it('round-trips the millisecond through idTime', () => {
    const at = new Date('2032-02-29T12:34:56.789Z');
    expect(idTime(newId('invoice', at)).toISOString()).toBe('2032-02-29T12:34:56.789Z');
    const later = new Date(at.getTime() + 1);
    expect(idTime(newId('invoice', later)).getTime()).toBe(later.getTime());
  });

  it('is strictly increasing within one millisecond, across kinds', () => {
    const at = new Date('2033-01-01T00:00:00Z');
    const ids = Array.from({ length: 2000 }, (_, i) => newId(i % 2 === 0 ? 'event' : 'customer', at));
    const bodies = ids.map((id) => id.slice(id.indexOf('_') + 1));
    for (let i = 1; i < bodies.length; i++) expect((bodies[i] as string) > (bodies[i - 1] as string)).toBe(true);
    expect(ids.every((id) => idTime(id).getTime() === at.getTime())).toBe(true);
  });

  it('sorts by creation time', () => {
    const base = new Date('2034-01-01T00:00:00Z').getTime();
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 2, maxLength: 50 }), fc.integer({ min: 0, max: 10 ** 6 }), (gaps, offset) => {
        let t = base + offset * 10_000;
        const ids: string[] = [];
        for (const g of gaps) {
          t += g;
          ids.push(newId('event', new Date(t)));
        }
        expect([...ids].sort()).toEqual(ids);
      }),
    );
  });

  it('stays monotonic when the clock steps back (keeping the later time)', () => {
    const t = new Date('2099-01-01T00:00:00Z');
    const a = newId('job', t);
    const b = newId('job', new Date(t.getTime() - 60_000));
    expect(b > a).toBe(true);
    expect(idTime(b).getTime()).toBe(t.getTime());
  });

  it('encodes the random part so that successive ids in one millisecond are successive numbers', () => {
    // Decoded with bigints, independently of the encoder's 40-bit halves: a carry between the halves shows.
    const decode = (digits: string) => [...digits].reduce((v, ch) => v * 32n + BigInt('0123456789ABCDEFGHJKMNPQRSTVWXYZ'.indexOf(ch)), 0n);
    const at = new Date('2140-01-01T00:00:00Z'); // later than every other test's, so the millisecond is ours
    const rand = Array.from({ length: 3000 }, () => decode(newId('job', at).slice(-16)));
    for (let i = 1; i < rand.length; i++) expect((rand[i] as bigint) - (rand[i - 1] as bigint)).toBe(1n);
    expect(decode(newId('job', at).slice(4, 14))).toBe(BigInt(at.getTime()));
  });
});
