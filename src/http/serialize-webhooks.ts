import { z } from 'zod';
import type { AttemptRow, DeliveryRow, WebhookEndpoint } from '../billing/webhooks/endpoints.js';

const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const WebhookEndpointJson = z
  .object({
    id: z.string().describe('we_…'),
    object: z.literal('webhook_endpoint'),
    instance: z.string(),
    url: z.string(),
    description: z.string().nullable(),
    enabled_events: z.array(z.string()).describe("Public event types sent to this endpoint; ['*'] for all"),
    status: z.enum(['enabled', 'disabled']),
    previous_secret_expires_at: Timestamp.nullable().describe('While set, events are also signed with the secret replaced by the last rotation'),
    created: Timestamp,
    updated: Timestamp,
  })
  .meta({ id: 'WebhookEndpoint' });

export const WebhookEndpointWithSecretJson = WebhookEndpointJson.extend({
  secret: z.string().nullable().describe('The signing secret (whsec_…). Shown only in this response; null in an idempotent replay'),
}).meta({ id: 'WebhookEndpointWithSecret' });

export function webhookEndpointJson(e: WebhookEndpoint): z.infer<typeof WebhookEndpointJson> {
  return {
    id: e.id,
    object: 'webhook_endpoint',
    instance: e.instanceId,
    url: e.url,
    description: e.description,
    enabled_events: e.enabledEvents,
    status: e.status,
    previous_secret_expires_at: iso(e.previousSecretExpiresAt),
    created: e.createdAt.toISOString(),
    updated: e.updatedAt.toISOString(),
  };
}

export const WebhookDeliveryJson = z
  .object({
    id: z.string().describe('whd_…'),
    object: z.literal('webhook_delivery'),
    endpoint: z.string(),
    event: z.string().describe('The event id (evt_…), the same on every attempt'),
    event_type: z.string(),
    status: z.enum(['pending', 'succeeded', 'failed', 'canceled']),
    attempts: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    last_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created: Timestamp,
    completed_at: Timestamp.nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export function webhookDeliveryJson(d: DeliveryRow): z.infer<typeof WebhookDeliveryJson> {
  return {
    id: d.id,
    object: 'webhook_delivery',
    endpoint: d.endpointId,
    event: d.eventId,
    event_type: d.eventType,
    status: d.status,
    attempts: d.attempts,
    next_attempt_at: iso(d.nextAttemptAt),
    last_attempt_at: iso(d.lastAttemptAt),
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created: d.createdAt.toISOString(),
    completed_at: iso(d.completedAt),
  };
}

export const WebhookDeliveryDetailJson = WebhookDeliveryJson.extend({
  body: z.string().describe('The exact JSON body sent on every attempt'),
  attempt_log: z.array(
    z.object({
      attempt: z.number().int(),
      at: Timestamp,
      duration_ms: z.number().int(),
      status_code: z.number().int().nullable(),
      error: z.string().nullable(),
      response_excerpt: z.string().nullable(),
    }),
  ),
}).meta({ id: 'WebhookDeliveryDetail' });

export function webhookDeliveryDetailJson(d: DeliveryRow, attempts: AttemptRow[]): z.infer<typeof WebhookDeliveryDetailJson> {
  return {
    ...webhookDeliveryJson(d),
    body: d.body,
    attempt_log: attempts.map((a) => ({ attempt: a.attempt, at: a.at.toISOString(), duration_ms: a.durationMs, status_code: a.statusCode, error: a.error, response_excerpt: a.responseExcerpt })),
  };
}
