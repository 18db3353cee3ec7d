import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { anyOf, arrayLiteral } from '../../src/store/array-params.js';
import { bulkInsert } from '../../src/store/bulk-insert.js';
import { usageEvents } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';

// Strings that break a naive array literal: quotes, backslashes, separators, braces, the word NULL.
const AWKWARD = ['plain', 'with "quotes"', 'back\\slash', 'a,b', '{braces}', 'NULL', '', ' spaced ', 'ünïcødé ✓', 'end\\', '"'];

describe('arrayLiteral', () => {
  it('quotes every element and escapes only quotes and backslashes', () => {
    expect(arrayLiteral(['a', null, 'b"c', 'd\\e', ''])).toBe('{"a",NULL,"b\\"c","d\\\\e",""}');
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
    expect(await bulkInsert(db, usageEvents, rows)).toBe(AWKWARD.length);

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
