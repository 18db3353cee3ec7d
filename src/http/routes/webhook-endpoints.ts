import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Justification as Why, ServiceContext } from '../../billing/context.js';
import { resolveInstance } from '../../billing/instances/instances.js';
import {
  createEndpoint,
  deleteEndpoint,
  getDelivery,
  getEndpoint,
  listDeliveries,
  listEndpoints,
  redeliver,
  rotateSecret,
  updateEndpoint,
  type UpdateEndpointInput,
} from '../../billing/webhooks/endpoints.js';
import type { StaffRole } from '../../billing/context.js';
import { instanceActor, serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { Justification, PageQuery } from '../schemas.js';
import { ListJson, listJson } from '../serialize.js';
import {
  WebhookDeliveryDetailJson,
  WebhookDeliveryJson,
  WebhookEndpointJson,
  WebhookEndpointWithSecretJson,
  webhookDeliveryDetailJson,
  webhookDeliveryJson,
  webhookEndpointJson,
} from '../serialize-webhooks.js';

const EndpointFields = {
  url: z.string().max(2048).describe('Where events are POSTed: an absolute http or https URL'),
  enabled_events: z.array(z.string()).min(1).max(50).describe("Public event types to send, or ['*'] for all"),
  description: z.string().max(500).nullish(),
};
const CreateFields = { ...EndpointFields, status: z.enum(['enabled', 'disabled']).optional() };
const UpdateFields = {
  url: EndpointFields.url.optional(),
  enabled_events: EndpointFields.enabled_events.optional(),
  description: EndpointFields.description,
  status: z.enum(['enabled', 'disabled']).optional().describe('disabled: nothing more is sent, pending retries included'),
};

function toPatch(b: { url?: string | undefined; enabled_events?: string[] | undefined; description?: string | null | undefined; status?: 'enabled' | 'disabled' | undefined }): UpdateEndpointInput {
  const patch: UpdateEndpointInput = {};
  if (b.url !== undefined) patch.url = b.url;
  if (b.enabled_events !== undefined) patch.enabledEvents = b.enabled_events;
  if (b.description !== undefined) patch.description = b.description;
  if (b.status !== undefined) patch.status = b.status;
  return patch;
}

/**
 * The endpoint management routes, once under `/admin/v1/instances/:id` (staff, with reasons, audited) and
 * once under `/v1` (an instance managing its own endpoints). `scope` resolves the instance and context.
 */
interface Zone {
  base: string;
  params: z.ZodObject<z.ZodRawShape>;
  security: { [k: string]: never[] }[];
  tags: string[];
  justification: typeof Justification | Record<string, never>;
  role: (r: StaffRole) => { minRole?: StaffRole };
  scope: (req: Parameters<typeof serviceContext>[0]) => Promise<{ ctx: ServiceContext; instanceId: string }>;
}

function endpointRoutes(zone: Zone): FastifyPluginAsyncZod<RouteDeps> {
  return async (app) => {
    const why = (b: Why): Why => ({ reason: b.reason, ticket: b.ticket });
    const params = (extra: Record<string, z.ZodString>) => zone.params.extend(extra);
    const { security, tags } = zone;

    app.post(
      zone.base,
      {
        // The secret must not outlive this response, not even in the idempotency store.
        config: { ...zone.role('owner'), idempotencyOmit: ['secret'] },
        schema: {
          summary: 'Create a webhook endpoint; the response is the only time its signing secret is shown',
          tags,
          security,
          params: zone.params,
          body: z.strictObject({ ...CreateFields, ...zone.justification }),
          response: { 201: WebhookEndpointWithSecretJson, ...authedErrorResponses },
        },
      },
      async (req, reply) => {
        const { ctx, instanceId } = await zone.scope(req);
        const b = req.body as z.infer<z.ZodObject<typeof CreateFields>> & Why;
        const created = await createEndpoint(ctx, instanceId, { url: b.url, enabledEvents: b.enabled_events, description: b.description, status: b.status }, why(b));
        return reply.status(201).send({ ...webhookEndpointJson(created.endpoint), secret: created.secret });
      },
    );

    app.get(
      zone.base,
      {
        config: zone.role('viewer'),
        schema: { summary: 'List webhook endpoints', tags, security, params: zone.params, querystring: z.object(PageQuery), response: { 200: ListJson(WebhookEndpointJson), ...authedErrorResponses } },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const q = req.query as { limit: number; starting_after?: string };
        return listJson(await listEndpoints(ctx, instanceId, { limit: q.limit, startingAfter: q.starting_after }), webhookEndpointJson);
      },
    );

    app.get(
      `${zone.base}/:endpoint`,
      {
        config: zone.role('viewer'),
        schema: { summary: 'Get a webhook endpoint (never its secret)', tags, security, params: params({ endpoint: z.string() }), response: { 200: WebhookEndpointJson, ...authedErrorResponses } },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        return webhookEndpointJson(await getEndpoint(ctx, instanceId, (req.params as { endpoint: string }).endpoint));
      },
    );

    app.post(
      `${zone.base}/:endpoint`,
      {
        config: zone.role('owner'),
        schema: {
          summary: 'Update a webhook endpoint: URL, event types, description, or enable/disable it',
          tags,
          security,
          params: params({ endpoint: z.string() }),
          body: z.strictObject({ ...UpdateFields, ...zone.justification }),
          response: { 200: WebhookEndpointJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const b = req.body as Parameters<typeof toPatch>[0] & Why;
        return webhookEndpointJson(await updateEndpoint(ctx, instanceId, (req.params as { endpoint: string }).endpoint, toPatch(b), why(b)));
      },
    );

    app.post(
      `${zone.base}/:endpoint/rotate-secret`,
      {
        config: { ...zone.role('owner'), idempotencyOmit: ['secret'] },
        schema: {
          summary: 'Replace the signing secret; the old one keeps signing for 24 hours. The new secret is shown only in this response',
          tags,
          security,
          params: params({ endpoint: z.string() }),
          body: z.strictObject({ ...zone.justification }).nullish(),
          response: { 200: WebhookEndpointWithSecretJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const rotated = await rotateSecret(ctx, instanceId, (req.params as { endpoint: string }).endpoint, why((req.body ?? {}) as Why));
        return { ...webhookEndpointJson(rotated.endpoint), secret: rotated.secret };
      },
    );

    app.delete(
      `${zone.base}/:endpoint`,
      {
        config: zone.role('owner'),
        schema: {
          summary: 'Delete a webhook endpoint: nothing more is sent to it; its delivery history is kept',
          tags,
          security,
          params: params({ endpoint: z.string() }),
          body: z.strictObject({ ...zone.justification }).nullish(),
          response: { 200: WebhookEndpointJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        return webhookEndpointJson(await deleteEndpoint(ctx, instanceId, (req.params as { endpoint: string }).endpoint, why((req.body ?? {}) as Why)));
      },
    );

    app.get(
      `${zone.base}/:endpoint/deliveries`,
      {
        config: zone.role('viewer'),
        schema: {
          summary: "A webhook endpoint's deliveries, newest first",
          tags,
          security,
          params: params({ endpoint: z.string() }),
          querystring: z.object(PageQuery),
          response: { 200: ListJson(WebhookDeliveryJson), ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const q = req.query as { limit: number; starting_after?: string };
        return listJson(await listDeliveries(ctx, instanceId, (req.params as { endpoint: string }).endpoint, { limit: q.limit, startingAfter: q.starting_after }), webhookDeliveryJson);
      },
    );

    app.get(
      `${zone.base}/:endpoint/deliveries/:delivery`,
      {
        config: zone.role('viewer'),
        schema: {
          summary: 'A delivery with its body and every recorded attempt',
          tags,
          security,
          params: params({ endpoint: z.string(), delivery: z.string() }),
          response: { 200: WebhookDeliveryDetailJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const p = req.params as { endpoint: string; delivery: string };
        const { delivery, attempts } = await getDelivery(ctx, instanceId, p.endpoint, p.delivery);
        return webhookDeliveryDetailJson(delivery, attempts);
      },
    );

    app.post(
      `${zone.base}/:endpoint/deliveries/:delivery/redeliver`,
      {
        config: zone.role('billing_admin'),
        schema: {
          summary: 'Send a delivery again now (same event id and body), retrying on the usual schedule if it fails',
          tags,
          security,
          params: params({ endpoint: z.string(), delivery: z.string() }),
          body: z.strictObject({ ...zone.justification }).nullish(),
          response: { 200: WebhookDeliveryJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const { ctx, instanceId } = await zone.scope(req);
        const p = req.params as { endpoint: string; delivery: string };
        return webhookDeliveryJson(await redeliver(ctx, instanceId, p.endpoint, p.delivery, why((req.body ?? {}) as Why)));
      },
    );
  };
}

/** Staff manage any instance's endpoints: owners change them, billing admins redeliver, viewers read. */
export const adminWebhookRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  await app.register(
    endpointRoutes({
      base: '/admin/v1/instances/:id/webhook-endpoints',
      params: z.object({ id: z.string().describe('Instance ID or slug') }),
      security: [{ staff: [] }],
      tags: ['admin', 'webhooks'],
      justification: Justification,
      role: (r) => ({ minRole: r }),
      scope: async (req) => {
        const ctx = serviceContext(req, deps);
        const instance = await resolveInstance(ctx, (req.params as { id: string }).id);
        return { ctx, instanceId: instance.id };
      },
    }),
    deps,
  );
};

/** An instance manages its own endpoints with its key. */
export const webhookRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  await app.register(
    endpointRoutes({
      base: '/v1/webhook-endpoints',
      params: z.object({}),
      security: [{ instanceKey: [] }],
      tags: ['webhooks'],
      justification: {},
      role: () => ({}),
      scope: async (req) => ({ ctx: serviceContext(req, deps), instanceId: instanceActor(req).id }),
    }),
    deps,
  );
};
