import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../store/database.js';
import { ErrorBody } from '../error-shape.js';

export const healthRoutes: FastifyPluginAsyncZod<{ database: Database }> = async (app, { database }) => {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up',
        tags: ['health'],
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database answers',
        tags: ['health'],
        response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['pglite', 'postgres']) }), 503: ErrorBody },
      },
    },
    async (req, reply) => {
      try {
        await database.ping();
        return { status: 'ready' as const, database: database.kind };
      } catch (e) {
        req.log.warn({ err: e }, 'readiness check failed');
        return reply.status(503).send({
          error: { type: 'unavailable', code: 'database_unavailable', message: 'The database is not answering.', param: null, request_id: req.id },
        });
      }
    },
  );
};
