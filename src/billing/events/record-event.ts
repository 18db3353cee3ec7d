import { newId } from '../../shared/ids.js';
import { events } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { queueWebhookFanOut } from '../webhooks/outbox.js';

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
  const now = ctx.clock.now();
  const id = newId('event', now);
  await ctx.db.insert(events).values({
    id,
    type: input.type,
    instanceId: input.instanceId ?? null,
    customerId: input.customerId ?? null,
    objectId: input.objectId ?? null,
    data: { ...input.data, actor: { type: ctx.actor.type, id: ctx.actor.id } },
    createdAt: now,
  });
  await queueWebhookFanOut(ctx, { id, type: input.type, instanceId: input.instanceId ?? null });
  return id;
}
