/**
 * The transactional hand-off from recordEvent to webhook delivery: in the event's own transaction, a
 * `webhook.fan_out` job is queued for it, so the job exists exactly when the event does (nothing lost when
 * a process dies, nothing sent for a change that rolled back). Only when the event could matter to some
 * endpoint: an instance without enabled endpoints pays one indexed read per event and nothing more.
 */
import { and, eq, isNull } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import { enqueueJob, enqueueJobs } from '../../jobs/enqueue.js';
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

/**
 * queueWebhookFanOut for many events at once (a batch of period invoices): one read of which instances
 * have an enabled endpoint, one insert of the fan-out jobs.
 */
export async function queueWebhookFanOuts(ctx: ServiceContext, list: readonly { id: string; type: string; instanceId: string | null }[]): Promise<void> {
  const relevant = list.filter((e) => e.instanceId !== null && concernsWebhooks(e.type));
  if (relevant.length === 0) return;
  const listening = await ctx.db
    .selectDistinct({ instanceId: webhookEndpoints.instanceId })
    .from(webhookEndpoints)
    .where(and(anyOf(webhookEndpoints.instanceId, [...new Set(relevant.map((e) => e.instanceId as string))]), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
  const wanted = new Set(listening.map((l) => l.instanceId));
  await enqueueJobs(
    ctx,
    relevant.filter((e) => wanted.has(e.instanceId as string)).map((e) => ({ kind: WEBHOOK_FAN_OUT_JOB, payload: { event_id: e.id } })),
  );
}
