import { describe, expect, it } from 'vitest';
import { benchRating } from '../../../bench/rating.js';

// Only that the benchmark runs and reports its figures; no timing assertions.
describe('benchRating', () => {
  it('reports ratings and lines per second', async () => {
    const { name, figures } = await benchRating({ durationMs: 100 });
    expect(name).toBe('rating');
    expect(figures.ratings).toBeGreaterThan(0);
    expect(figures.lines).toBeGreaterThanOrEqual(figures.ratings as number);
    expect(typeof figures.ratingsPerSecond).toBe('number');
    expect(typeof figures.linesPerSecond).toBe('number');
    expect(typeof figures.limitInversionsPerSecond).toBe('number');
  });
});
