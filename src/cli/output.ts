import { isTallyError } from '../shared/errors.js';

/** Prints an error for a person and returns the exit code: 1 for problems the user can fix, 2 for usage. */
export function reportCliError(e: unknown): number {
  if (isTallyError(e)) {
    process.stderr.write(`tally: ${e.message}${e.param && !e.message.includes(e.param) ? ` (${e.param})` : ''}\n`);
    return 1;
  }
  process.stderr.write(`tally: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  return 1;
}
