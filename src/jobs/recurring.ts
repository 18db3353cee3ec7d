import type { ServiceContext } from '../billing/context.js';
import { enqueueJob } from './enqueue.js';
import type { JobRegistry } from './registry.js';

/** The first slot boundary (a multiple of everyMs since the epoch) strictly after `at`. */
export function nextSlot(at: Date, everyMs: number): Date {
  return new Date((Math.floor(at.getTime() / everyMs) + 1) * everyMs);
}

/**
 * Makes sure the next occurrence of a recurring kind is enqueued: a job due at the next slot boundary,
 * deduplicated by `${kind}@${slotIso}`, so any number of workers calling this at any time produce one job
 * per slot. Slots that passed while nothing ran (a stopped system, a test clock jumping a month) are not
 * made up: the overdue occurrence runs once and the next one is scheduled from the current time.
 */
export async function ensureRecurring(
  ctx: ServiceContext,
  kind: string,
  everyMs: number,
  payload: Record<string, unknown> = {},
): Promise<{ id: string; created: boolean; runAt: Date }> {
  if (!(Number.isInteger(everyMs) && everyMs > 0)) throw new RangeError(`ensureRecurring: everyMs must be a positive integer, got ${everyMs}`);
  const runAt = nextSlot(ctx.clock.now(), everyMs);
  const r = await enqueueJob(ctx, { kind, payload, runAt, dedupeKey: `${kind}@${runAt.toISOString()}` });
  return { ...r, runAt };
}

/** ensureRecurring for every recurring kind of the registry. */
export async function ensureRecurringJobs(ctx: ServiceContext, registry: JobRegistry): Promise<void> {
  for (const { kind, everyMs } of registry.recurring()) await ensureRecurring(ctx, kind, everyMs);
}
