import { expect } from 'vitest';
import { isTallyError } from '../../../src/shared/errors.js';

/** An instant from an ISO string; a bare date means UTC midnight. */
export const utc = (iso: string): Date => new Date(iso.length === 10 ? `${iso}T00:00:00.000Z` : iso);

export const iso = (d: Date): string => d.toISOString();

/** Runs `f` and checks it throws a TallyError invalid_request with this code and param. */
export function expectInvalid(f: () => unknown, code: string, param: string): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(isTallyError(thrown), `expected a TallyError, got ${String(thrown)}`).toBe(true);
  if (!isTallyError(thrown)) return;
  expect(thrown.type).toBe('invalid_request');
  expect(thrown.code).toBe(code);
  expect(thrown.param).toBe(param);
}
