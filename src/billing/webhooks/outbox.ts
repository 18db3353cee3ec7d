/**
 * The transactional hand-off from recordEvent to webhook delivery: in the event's own transaction, a
 * `webhook.fan_out` job is queued for it, so the job exists exactly when the event does (nothing lost when
 * a process dies, nothing sent for a change that rolled back). Only when the event could matter to some
 * endpoint: an instance without enabled endpoints pays one indexed read per event and nothing more.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { enqueueJob } from '../../jobs/enqueue.js';
import { webhookEndpoints } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { WEBHOOK_FAN_OUT_JOB } from './job-kinds.js';
import { concernsWebhooks } from './public-events.js';

export async function queueWebhookFanOut(ctx: ServiceContext, event: { id: string; type: string; instanceId: string | null }): Promise<void> {
  // Events without an instance (approval requests, staff-side records) are internal: never sent.
  if (event.instanceId === null || !concernsWebhooks(event.type)) return;
  const [endpoint] = await ctx.db
    .select({ id: webhookEndpoints.id })
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.instanceId, event.instanceId), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)))
    .limit(1);
  if (!endpoint) return;
  await enqueueJob(ctx, { kind: WEBHOOK_FAN_OUT_JOB, payload: { event_id: event.id } });
}
