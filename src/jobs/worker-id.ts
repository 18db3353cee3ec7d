import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/** Unique per worker and readable in `locked_by`: which host and process hold a lease. */
export function newWorkerId(label = 'worker'): string {
  return `${label}:${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}
