import { newId } from '../../shared/ids.js';
import { bulkInsert } from '../../store/bulk-insert.js';
import { events } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { queueWebhookFanOut, queueWebhookFanOuts } from '../webhooks/outbox.js';

export interface EventInput {
  type: string; // `customer.created`, `subscription.updated`, `customer.quota_limited`, …
  instanceId?: string | null;
  customerId?: string | null;
  objectId?: string | null;
  data: Record<string, unknown>;
}

/**
 * Records a state change; call it inside the same transaction as the change so both commit or neither.
 * Queues the event's webhook fan-out in that same transaction when some endpoint may want it.
 */
export async function recordEvent(ctx: ServiceContext, input: EventInput): Promise<string> {
  const row = eventRow(ctx, input, ctx.clock.now());
  await ctx.db.insert(events).values(row);
  await queueWebhookFanOut(ctx, { id: row.id, type: input.type, instanceId: input.instanceId ?? null });
  return row.id;
}

/** Records many events in one statement per chunk, in order (ids are time-ordered), like recordEvent. */
export async function recordEvents(ctx: ServiceContext, inputs: readonly EventInput[]): Promise<void> {
  const now = ctx.clock.now();
  const rows = inputs.map((i) => eventRow(ctx, i, now));
  await bulkInsert(ctx.db, events, rows);
  await queueWebhookFanOuts(
    ctx,
    rows.map((r) => ({ id: r.id, type: r.type, instanceId: r.instanceId ?? null })),
  );
}

function eventRow(ctx: ServiceContext, input: EventInput, now: Date): typeof events.$inferInsert & { id: string } {
  return {
    id: newId('event', now),
    type: input.type,
    instanceId: input.instanceId ?? null,
    customerId: input.customerId ?? null,
    objectId: input.objectId ?? null,
    data: { ...input.data, actor: { type: ctx.actor.type, id: ctx.actor.id } },
    createdAt: now,
  };
}
