import type { Aggregation } from '../catalog/model.js';
import { Decimal } from '../money/decimal.js';
import { invalid } from '../../shared/errors.js';

/**
 * A period's usage values → the one quantity that is rated. Two forms that must agree: `aggregate` over a
 * whole list, and an incremental state (`initialState` / `step` / `merge` / `result`) for keeping a
 * running aggregate in step as events arrive or for combining partial aggregates.
 */

export interface UsageValue {
  readonly value: Decimal;
  readonly timestamp: Date;
  /** What makes two events "the same" for `unique`; absent → the value's canonical string. */
  readonly uniqueKey?: string;
}

const uniqueKeyOf = (v: UsageValue): string => v.uniqueKey ?? v.value.toString();

function timeOf(v: UsageValue): number {
  const t = v.timestamp.getTime();
  if (Number.isNaN(t)) throw invalid('invalid_timestamp', 'A usage value has an invalid timestamp.', 'timestamp');
  return t;
}

/**
 * - `sum`: the sum of the values (0 for none).
 * - `max`: the largest value during the period (0 for none).
 * - `last`: the value with the latest timestamp; ties go to the later one in input order (0 for none).
 * - `count`: the number of events, whatever their values.
 * - `unique`: the number of distinct `uniqueKey`s (falling back to the value's string).
 */
export function aggregate(aggregation: Aggregation, values: readonly UsageValue[]): Decimal {
  switch (aggregation) {
    case 'sum': {
      let s = 0n;
      for (const v of values) s += v.value.scaled;
      return Decimal.fromScaled(s);
    }
    case 'max': {
      let m: Decimal | null = null;
      for (const v of values) if (m === null || v.value.gt(m)) m = v.value;
      return m ?? Decimal.ZERO;
    }
    case 'last': {
      let best: UsageValue | null = null;
      let bestT = 0;
      for (const v of values) {
        const t = timeOf(v);
        if (best === null || t >= bestT) {
          best = v;
          bestT = t;
        }
      }
      return best?.value ?? Decimal.ZERO;
    }
    case 'count':
      return Decimal.fromBigInt(BigInt(values.length));
    case 'unique':
      return Decimal.fromBigInt(BigInt(new Set(values.map(uniqueKeyOf)).size));
  }
}

/**
 * Running state of one aggregation. Plain immutable data: `step` and `merge` return new states.
 * `unique` holds the set of keys seen, so `step` copies it when a new key arrives (O(distinct keys)); that
 * is fine in memory (simulation, tests, one period's events), but a stored running aggregate must keep
 * unique counts differently — distinct keys as rows per (customer, metric, period), counted — not this set.
 */
export type AggregateState =
  | { readonly aggregation: 'sum'; readonly sum: Decimal }
  | { readonly aggregation: 'max'; readonly max: Decimal | null }
  | { readonly aggregation: 'last'; readonly last: Decimal | null; readonly at: number }
  | { readonly aggregation: 'count'; readonly count: bigint }
  | { readonly aggregation: 'unique'; readonly keys: ReadonlySet<string> };

export function initialState(aggregation: Aggregation): AggregateState {
  switch (aggregation) {
    case 'sum':
      return { aggregation, sum: Decimal.ZERO };
    case 'max':
      return { aggregation, max: null };
    case 'last':
      return { aggregation, last: null, at: 0 };
    case 'count':
      return { aggregation, count: 0n };
    case 'unique':
      return { aggregation, keys: new Set() };
  }
}

export function step(state: AggregateState, event: UsageValue): AggregateState {
  switch (state.aggregation) {
    case 'sum':
      return { aggregation: 'sum', sum: state.sum.add(event.value) };
    case 'max':
      return state.max !== null && !event.value.gt(state.max) ? state : { aggregation: 'max', max: event.value };
    case 'last': {
      const t = timeOf(event);
      // `>=`: a later event with the same timestamp wins, as in `aggregate`.
      return state.last !== null && t < state.at ? state : { aggregation: 'last', last: event.value, at: t };
    }
    case 'count':
      return { aggregation: 'count', count: state.count + 1n };
    case 'unique': {
      const key = uniqueKeyOf(event);
      if (state.keys.has(key)) return state;
      const keys = new Set(state.keys);
      keys.add(key);
      return { aggregation: 'unique', keys };
    }
  }
}

/**
 * Combines the states of two consecutive runs of events, `a` before `b` (every aggregation is mergeable;
 * for `last`, `b` wins a timestamp tie because its events came later in input order).
 */
export function merge(a: AggregateState, b: AggregateState): AggregateState {
  if (a.aggregation !== b.aggregation) {
    throw invalid('aggregation_mismatch', `Cannot merge a '${a.aggregation}' aggregate with a '${b.aggregation}' one.`, 'aggregation');
  }
  switch (a.aggregation) {
    case 'sum':
      return { aggregation: 'sum', sum: a.sum.add((b as typeof a).sum) };
    case 'max': {
      const bm = (b as typeof a).max;
      return a.max === null || (bm !== null && bm.gt(a.max)) ? b : a;
    }
    case 'last': {
      const bl = b as typeof a;
      return bl.last === null || (a.last !== null && a.at > bl.at) ? a : b;
    }
    case 'count':
      return { aggregation: 'count', count: a.count + (b as typeof a).count };
    case 'unique': {
      const bk = (b as typeof a).keys;
      if (bk.size === 0) return a;
      return { aggregation: 'unique', keys: new Set([...a.keys, ...bk]) };
    }
  }
}

export function result(state: AggregateState): Decimal {
  switch (state.aggregation) {
    case 'sum':
      return state.sum;
    case 'max':
      return state.max ?? Decimal.ZERO;
    case 'last':
      return state.last ?? Decimal.ZERO;
    case 'count':
      return Decimal.fromBigInt(state.count);
    case 'unique':
      return Decimal.fromBigInt(BigInt(state.keys.size));
  }
}

/** `aggregate` through the incremental state: what a running aggregate ends up with. */
export function foldAggregate(aggregation: Aggregation, values: Iterable<UsageValue>): Decimal {
  let s = initialState(aggregation);
  for (const v of values) s = step(s, v);
  return result(s);
}
