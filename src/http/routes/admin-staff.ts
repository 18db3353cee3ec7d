import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { getStaff } from '../../billing/staff/staff.js';
import { serviceContext, staffActor, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { StaffJson, staffJson } from '../serialize.js';

export const adminStaffRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/staff/me',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'The staff member the key belongs to', tags: ['admin'], security: [{ staff: [] }], response: { 200: StaffJson, ...authedErrorResponses } },
    },
    async (req) => staffJson(await getStaff(serviceContext(req, deps), staffActor(req).id)),
  );
};
