import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listAuditEntries } from '../../billing/audit/list-audit.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { PageQuery } from '../schemas.js';
import { AuditEntryJson, ListJson, auditEntryJson, listJson } from '../serialize.js';

const Instant = z.iso.datetime({ offset: true });

/** A plain read of the audit log (R15), newest first, filtered by customer, actor, action and time. */
export const adminAuditRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/audit',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Read the audit log, newest first',
        tags: ['admin'],
        security: [{ staff: [] }],
        querystring: z.object({
          customer: z.string().optional().describe('cus_…'),
          actor: z.string().optional().describe('A staff (stf_…), instance (ins_…) or system actor ID'),
          action: z.string().optional().describe('e.g. customer.update'),
          target: z.string().optional().describe('The changed object, e.g. coupon_…, crq_…, apr_…'),
          from: Instant.optional().describe('Inclusive, ISO 8601'),
          to: Instant.optional().describe('Exclusive, ISO 8601'),
          ...PageQuery,
        }),
        response: { 200: ListJson(AuditEntryJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listAuditEntries(
        serviceContext(req, deps),
        { customerId: q.customer, actorId: q.actor, action: q.action, targetId: q.target, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined },
        { limit: q.limit, startingAfter: q.starting_after },
      );
      return listJson(page, auditEntryJson);
    },
  );
};
