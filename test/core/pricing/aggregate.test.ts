import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Aggregation } from '../../../src/core/catalog/model.js';
import { Decimal } from '../../../src/core/money/decimal.js';
import {
  aggregate,
  foldAggregate,
  initialState,
  merge,
  result,
  step,
  type UsageValue,
} from '../../../src/core/pricing/index.js';
import { d, thrown } from './helpers.js';

const T0 = Date.parse('2025-03-01T00:00:00Z');
const ev = (value: string | number, minute: number, uniqueKey?: string): UsageValue =>
  uniqueKey === undefined
    ? { value: d(value), timestamp: new Date(T0 + minute * 60_000) }
    : { value: d(value), timestamp: new Date(T0 + minute * 60_000), uniqueKey };
const ALL: Aggregation[] = ['sum', 'max', 'last', 'count', 'unique'];

describe('aggregate', () => {
  const events = [ev(5, 0, 'a'), ev('2.5', 3, 'b'), ev(7, 1, 'a'), ev(0, 2, 'c'), ev('2.5', 3)];

  it('sum, max, last, count, unique', () => {
    expect(aggregate('sum', events).toString()).toBe('17');
    expect(aggregate('max', events).toString()).toBe('7');
    expect(aggregate('last', events).toString()).toBe('2.5'); // minute 3; the later of two ties
    expect(aggregate('count', events).toString()).toBe('5'); // zero values are events too
    expect(aggregate('unique', events).toString()).toBe('4'); // a, b, c and the keyless value "2.5"
  });

  it('last follows timestamps, not input order, and gives ties to the later event', () => {
    expect(aggregate('last', [ev(1, 10), ev(2, 5)]).toString()).toBe('1');
    expect(aggregate('last', [ev(1, 5), ev(2, 5)]).toString()).toBe('2');
    expect(aggregate('last', [ev(2, 5), ev(1, 5)]).toString()).toBe('1');
  });

  it('unique falls back to the value string, canonically', () => {
    expect(aggregate('unique', [ev('1.50', 0), ev('1.5', 1), ev('1.500', 2)]).toString()).toBe('1');
    expect(aggregate('unique', [ev(1, 0, 'x'), ev(2, 1, 'x')]).toString()).toBe('1');
  });

  it('is 0 for an empty period', () => {
    for (const a of ALL) expect(aggregate(a, []).isZero()).toBe(true);
  });

  it('max keeps negatives if that is all there is, and sums are exact', () => {
    expect(aggregate('max', [ev(-3, 0), ev(-1, 1)]).toString()).toBe('-1');
    expect(aggregate('sum', [ev('0.1', 0), ev('0.2', 1)]).toString()).toBe('0.3');
  });

  it('rejects an invalid timestamp for last', () => {
    const bad: UsageValue = { value: Decimal.ONE, timestamp: new Date(Number.NaN) };
    expect(thrown(() => aggregate('last', [bad]))).toMatchObject({ param: 'timestamp' });
    expect(thrown(() => step(initialState('last'), bad))).toMatchObject({ param: 'timestamp' });
  });
});

describe('incremental aggregation', () => {
  it('step does not mutate the state it was given', () => {
    const s0 = initialState('unique');
    const s1 = step(s0, ev(1, 0, 'a'));
    expect(result(s0).toString()).toBe('0');
    expect(result(s1).toString()).toBe('1');
    expect(step(s1, ev(2, 1, 'a'))).toBe(s1); // a key already seen changes nothing
  });

  it('refuses to merge different aggregations', () => {
    expect(thrown(() => merge(initialState('sum'), initialState('max')))).toMatchObject({ code: 'aggregation_mismatch' });
  });

  // Few distinct timestamps and keys, so ties and repeats are common.
  const arbEvent = fc
    .record({
      scaled: fc.bigInt({ min: -(10n ** 15n), max: 10n ** 15n }),
      minute: fc.integer({ min: 0, max: 5 }),
      key: fc.option(fc.constantFrom('a', 'b', 'c', '1', '2'), { nil: undefined }),
    })
    .map(({ scaled, minute, key }) => {
      const base = { value: Decimal.fromScaled(scaled), timestamp: new Date(T0 + minute * 1000) };
      return key === undefined ? base : { ...base, uniqueKey: key };
    });
  const arbEvents = fc.array(arbEvent, { maxLength: 40 });
  const arbAgg = fc.constantFrom(...ALL);

  it('folding with step equals aggregate() for every aggregation', () => {
    fc.assert(
      fc.property(arbAgg, arbEvents, (agg, events) => {
        expect(foldAggregate(agg, events).eq(aggregate(agg, events))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('merging the states of two consecutive runs equals folding them in one go', () => {
    fc.assert(
      fc.property(arbAgg, arbEvents, arbEvents, (agg, xs, ys) => {
        const fold = (es: UsageValue[]) => es.reduce(step, initialState(agg));
        expect(result(merge(fold(xs), fold(ys))).eq(aggregate(agg, [...xs, ...ys]))).toBe(true);
        // The empty state is an identity on both sides.
        expect(result(merge(initialState(agg), fold(xs))).eq(aggregate(agg, xs))).toBe(true);
        expect(result(merge(fold(xs), initialState(agg))).eq(aggregate(agg, xs))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('merge is associative', () => {
    fc.assert(
      fc.property(arbAgg, arbEvents, arbEvents, arbEvents, (agg, xs, ys, zs) => {
        const fold = (es: UsageValue[]) => es.reduce(step, initialState(agg));
        const [a, b, c] = [fold(xs), fold(ys), fold(zs)];
        expect(result(merge(merge(a, b), c)).eq(result(merge(a, merge(b, c))))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});
