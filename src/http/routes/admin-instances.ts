import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createInstanceKey, listKeys, revokeKey } from '../../billing/api-keys/api-keys.js';
import { withDb } from '../../billing/context.js';
import { createInstance, listInstancePage, resolveInstance } from '../../billing/instances/instances.js';
import { inTransaction } from '../../store/transaction.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { ApiKeyJson, ApiKeyWithSecretJson, InstanceJson, ListJson, apiKeyJson, instanceJson, listJson } from '../serialize.js';

const security = [{ staff: [] }];

/** Instances (`us`, `eu`) and their API keys. Creating and revoking keys is for owners. */
export const adminInstanceRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/admin/v1/instances',
    {
      config: { minRole: 'owner' },
      schema: {
        summary: 'Create an instance (owner)',
        tags: ['admin'],
        security,
        body: z.strictObject({
          slug: z.string().min(1).max(40).describe('Lower-case letters, digits and dashes: us, eu, staging'),
          name: z.string().min(1).max(100).optional(),
          ...Justification,
        }),
        response: { 201: InstanceJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const { slug, name, reason, ticket } = req.body;
      const instance = await inTransaction(deps.db, (tx) => createInstance(withDb(serviceContext(req, deps), tx), { slug, ...(name ? { name } : {}) }, { reason, ticket }));
      return reply.status(201).send(instanceJson(instance));
    },
  );

  app.get(
    '/admin/v1/instances',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'List instances', tags: ['admin'], security, querystring: z.object(PageQuery), response: { 200: ListJson(InstanceJson), ...authedErrorResponses } },
    },
    async (req) => listJson(await listInstancePage(serviceContext(req, deps), { limit: req.query.limit, startingAfter: req.query.starting_after }), instanceJson),
  );

  app.get(
    '/admin/v1/instances/:id',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'Get an instance by ID or slug', tags: ['admin'], security, params: IdParams, response: { 200: InstanceJson, ...authedErrorResponses } },
    },
    async (req) => instanceJson(await resolveInstance(serviceContext(req, deps), req.params.id)),
  );

  app.post(
    '/admin/v1/instances/:id/keys',
    {
      // The secret must not outlive this response, not even in the idempotency store.
      config: { minRole: 'owner', idempotencyOmit: ['secret'] },
      schema: {
        summary: 'Create an API key for an instance (owner); the response is the only time the secret is shown',
        tags: ['admin'],
        security,
        params: IdParams,
        body: z.strictObject({ name: z.string().min(1).max(100).describe('What uses the key, e.g. "eu production"'), ...Justification }),
        response: { 201: ApiKeyWithSecretJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const { name, reason, ticket } = req.body;
      const created = await inTransaction(deps.db, async (tx) => {
        const ctx = withDb(serviceContext(req, deps), tx);
        const instance = await resolveInstance(ctx, req.params.id);
        return createInstanceKey(ctx, instance.id, name, { reason, ticket });
      });
      return reply.status(201).send({ ...apiKeyJson(created.key), secret: created.secret });
    },
  );

  app.get(
    '/admin/v1/instances/:id/keys',
    {
      config: { minRole: 'owner' },
      schema: { summary: "List an instance's API keys (never their secrets)", tags: ['admin'], security, params: IdParams, response: { 200: ListJson(ApiKeyJson), ...authedErrorResponses } },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const instance = await resolveInstance(ctx, req.params.id);
      return listJson({ data: await listKeys(ctx, { instanceId: instance.id }), hasMore: false }, apiKeyJson);
    },
  );

  app.post(
    '/admin/v1/keys/:id/revoke',
    {
      config: { minRole: 'owner' },
      schema: {
        summary: 'Revoke an API key at once (owner; needs a reason or ticket)',
        tags: ['admin'],
        security,
        params: IdParams,
        body: z.strictObject(Justification),
        response: { 200: ApiKeyJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { reason, ticket } = req.body;
      return apiKeyJson(await inTransaction(deps.db, (tx) => revokeKey(withDb(serviceContext(req, deps), tx), req.params.id, { reason, ticket })));
    },
  );
};
