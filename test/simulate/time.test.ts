import { describe, expect, it } from 'vitest';
import { addDuration, parseDuration, parseInstant, resolveTime, TimeSyntaxError } from '../../src/simulate/index.js';

const at = (s: string) => new Date(s);
const plus = (from: string, d: string) => addDuration(at(from), parseDuration(d)).toISOString();

describe('scenario durations', () => {
  it('reads each unit', () => {
    expect(parseDuration('+3d')).toEqual([{ amount: 3, unit: 'd' }]);
    expect(parseDuration('+1h30m')).toEqual([{ amount: 1, unit: 'h' }, { amount: 30, unit: 'm' }]);
    expect(parseDuration('+1mo2d')).toEqual([{ amount: 1, unit: 'mo' }, { amount: 2, unit: 'd' }]);
    expect(parseDuration('+0')).toEqual([]);
    expect(plus('2026-01-01T00:00:00Z', '+2w')).toBe('2026-01-15T00:00:00.000Z');
    expect(plus('2026-01-01T00:00:00Z', '+36h')).toBe('2026-01-02T12:00:00.000Z');
    expect(plus('2026-01-01T00:00:00Z', '+90s')).toBe('2026-01-01T00:01:30.000Z');
    expect(plus('2026-01-01T00:00:00Z', '+1y')).toBe('2027-01-01T00:00:00.000Z');
  });

  it('moves calendar months like billing periods: clamped to the month end, time of day kept', () => {
    expect(plus('2028-01-31T10:00:00Z', '+1mo')).toBe('2028-02-29T10:00:00.000Z');
    expect(plus('2026-01-31T10:00:00Z', '+1mo')).toBe('2026-02-28T10:00:00.000Z');
    expect(plus('2026-01-31T00:00:00Z', '+2mo')).toBe('2026-03-31T00:00:00.000Z');
    expect(plus('2028-02-29T00:00:00Z', '+1y')).toBe('2029-02-28T00:00:00.000Z');
  });

  it('applies parts in the order written', () => {
    expect(plus('2026-01-31T00:00:00Z', '+1mo1d')).toBe('2026-03-01T00:00:00.000Z');
    expect(plus('2026-01-31T00:00:00Z', '+1d1mo')).toBe('2026-03-01T00:00:00.000Z');
    expect(plus('2026-01-30T00:00:00Z', '+1mo1d')).toBe('2026-03-01T00:00:00.000Z');
    expect(plus('2026-01-30T00:00:00Z', '+1d1mo')).toBe('2026-02-28T00:00:00.000Z');
  });

  it.each(['3d', '+3', '+1.5d', '+3days', '+1q', '+', '-1d', '+ 1d', '+1D'])('rejects %j', (text) => {
    expect(() => parseDuration(text)).toThrow(TimeSyntaxError);
  });
});

describe('scenario instants', () => {
  it('reads dates as 00:00 UTC and date-times with a zone', () => {
    expect(parseInstant('2026-01-31').toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseInstant('2026-01-31T10:00:00Z').toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(parseInstant('2026-01-31T10:00Z').toISOString()).toBe('2026-01-31T10:00:00.000Z');
    expect(parseInstant('2026-01-31T10:00:00.250+02:00').toISOString()).toBe('2026-01-31T08:00:00.250Z');
  });

  it.each(['2026-01-31T10:00:00', '2026-02-30', '2026-13-01', '31/01/2026', 'tomorrow', '2026-1-5'])('rejects %j', (text) => {
    expect(() => parseInstant(text)).toThrow(TimeSyntaxError);
  });

  it('resolves relative times from a base and absolute ones as given', () => {
    const base = at('2026-03-01T08:00:00Z');
    expect(resolveTime('+1d', base).toISOString()).toBe('2026-03-02T08:00:00.000Z');
    expect(resolveTime('2026-01-01', base).toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });
});
