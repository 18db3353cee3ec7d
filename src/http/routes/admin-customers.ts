import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withDb } from '../../billing/context.js';
import { getCustomer, searchCustomers, updateCustomer } from '../../billing/customers/customers.js';
import { resolveInstance } from '../../billing/instances/instances.js';
import { clampLimit, toPage } from '../../billing/pagination.js';
import { inTransaction } from '../../store/transaction.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { CustomerJson, ListJson, customerJson, listJson } from '../serialize.js';
import { CustomerUpdateBody, toCustomerPatch } from './customers.js';

const security = [{ staff: [] }];

/** Support's view of customers across every instance: find, read, and change with a reason (R15). */
export const adminCustomerRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/customers',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Find customers by team/org ID, billing email, provider customer ID, customer ID or name',
        description: 'IDs match exactly, the billing email case-insensitively, the name by substring. Results are in creation order.',
        tags: ['admin'],
        security,
        querystring: z.object({
          query: z.string().min(1).max(320),
          instance: z.string().optional().describe('Only customers of this instance (ID or slug)'),
          ...PageQuery,
        }),
        response: { 200: ListJson(CustomerJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const limit = clampLimit(req.query.limit);
      const instanceId = req.query.instance ? (await resolveInstance(ctx, req.query.instance)).id : undefined;
      const rows = await searchCustomers(ctx, {
        query: req.query.query,
        limit: limit + 1,
        ...(instanceId ? { instanceId } : {}),
        ...(req.query.starting_after ? { startingAfter: req.query.starting_after } : {}),
      });
      return listJson(toPage(rows, limit), customerJson);
    },
  );

  app.get(
    '/admin/v1/customers/:id',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'Get any customer', tags: ['admin'], security, params: IdParams, response: { 200: CustomerJson, ...authedErrorResponses } },
    },
    async (req) => customerJson(await getCustomer(serviceContext(req, deps), req.params.id)),
  );

  app.post(
    '/admin/v1/customers/:id',
    {
      config: { minRole: 'support' },
      schema: {
        summary: "Update a customer's details (support or higher; needs a reason or ticket)",
        description: 'Only the fields given change; null clears a field. The change is audited with its before and after.',
        tags: ['admin'],
        security,
        params: IdParams,
        body: CustomerUpdateBody.extend(Justification),
        response: { 200: CustomerJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { reason, ticket, ...fields } = req.body;
      const updated = await inTransaction(deps.db, (tx) => updateCustomer(withDb(serviceContext(req, deps), tx), req.params.id, toCustomerPatch(fields), { reason, ticket }));
      return customerJson(updated);
    },
  );
};
