import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { anyOf, arrayLiteral } from '../../src/store/array-params.js';
import { bulkInsert } from '../../src/store/bulk-insert.js';
import { usageEvents } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';

// Strings that break a naive array literal: quotes, backslashes, separators, braces, the word NULL.
// Control characters and a literal backslash-n take the slow path of arrayLiteral; the rest the fast one.
const AWKWARD = ['plain', 'with "quotes"', 'back\\slash', 'a,b', '{braces}', 'NULL', 'null', '', ' spaced ', 'ünïcødé ✓', 'end\\', '"', 'tab\there', 'new\nline', 'back\\n', '\u0001'];

describe('arrayLiteral', () => {
  it('quotes every element, escapes quotes and backslashes, and writes null unquoted', () => {
    expect(arrayLiteral(['a', null, 'b"c', 'd\\e', ''])).toBe('{"a",null,"b\\"c","d\\\\e",""}');
    // A control character takes the element-by-element path: the character itself, quoted.
    expect(arrayLiteral(['x\ny', null])).toBe('{"x\ny",NULL}');
    expect(arrayLiteral([])).toBe('{}');
  });
});

describeDb('array parameters', (database) => {
  it('bulkInsert stores awkward text, numbers, instants and JSON exactly, and anyOf finds them', async () => {
    const db = database().db;
    const at = new Date('2026-03-01T12:34:56.789Z');
    const rows = AWKWARD.map((id, i) => ({
      customerId: 'cus_arrays',
      eventId: id,
      metric: `m${i % 2}`,
      value: `${i}.000000000001`,
      timestamp: new Date(at.getTime() + i),
      properties: i % 3 === 0 ? null : { note: id, n: i, nested: { q: '"\\' } },
      receivedAt: at,
    }));
    // The first twelve have no control characters (one statement on the fast path), the rest do.
    expect(await bulkInsert(db, usageEvents, rows.slice(0, 12))).toBe(12);
    expect(await bulkInsert(db, usageEvents, rows.slice(12))).toBe(AWKWARD.length - 12);

    const back = await db.select().from(usageEvents).where(and(eq(usageEvents.customerId, 'cus_arrays'), anyOf(usageEvents.eventId, AWKWARD)));
    const byId = new Map(back.map((r) => [r.eventId, r]));
    expect([...byId.keys()].sort()).toEqual([...AWKWARD].sort());
    for (const r of rows) {
      const got = byId.get(r.eventId);
      expect(got?.timestamp.toISOString()).toBe(r.timestamp.toISOString());
      expect(got?.properties).toEqual(r.properties);
      expect(got?.value).toMatch(new RegExp(`^${r.value.replace('.', '\\.')}`));
    }

    // Only the listed values match, timestamps included.
    const some = await db.select({ id: usageEvents.eventId }).from(usageEvents).where(anyOf(usageEvents.timestamp, [rows[1]?.timestamp, rows[4]?.timestamp]));
    expect(some.map((r) => r.id).sort()).toEqual([AWKWARD[1], AWKWARD[4]].sort());
    expect(await db.select().from(usageEvents).where(anyOf(usageEvents.eventId, []))).toEqual([]);
  });
});
