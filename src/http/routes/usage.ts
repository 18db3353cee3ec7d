import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getCustomer } from '../../billing/customers/customers.js';
import { evaluateTouched } from '../../billing/limits/index.js';
import { dailyUsage } from '../../billing/usage/read-usage.js';
import { ingestUsage } from '../../billing/usage/ingest-usage.js';
import { MAX_BATCH, type UsageEventInput } from '../../billing/usage/usage-event.js';
import { parseDateOnly } from '../../core/periods/index.js';
import { invalid } from '../../shared/errors.js';
import { instanceActor, serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams } from '../schemas.js';

/**
 * Events are checked one by one in the service rather than by this schema, so a bad event is rejected
 * with its reason while the good ones in the same batch are still counted. The `meta` types only document
 * what a good event looks like (OpenAPI, the SDK's generated types); they do not validate.
 */
const UsageEventBody = z
  .looseObject({
    id: z.unknown().meta({ type: 'string' }).describe('Your event ID: counted once per customer, forever (retries are safe)'),
    customer: z.unknown().meta({ type: 'string' }).describe("Tally's customer ID (cus_…) or your team/org ID"),
    metric: z.unknown().meta({ type: 'string' }).describe('A metric of the billing config (events, recordings, …)'),
    value: z.unknown().meta({ type: ['number', 'string'] }).describe('A finite non-negative number (or decimal string, up to 12 places)'),
    timestamp: z.unknown().meta({ type: 'string', format: 'date-time' }).describe('ISO 8601; at most 5 minutes in the future'),
    properties: z
      .unknown()
      .optional()
      .meta({ type: ['object', 'null'], additionalProperties: {} })
      .describe('Free-form; `unique_key` is what the unique aggregation counts'),
  })
  .meta({ id: 'UsageEvent' });

const IngestResultJson = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'duplicate', 'rejected']),
  code: z.string().optional(),
  reason: z.string().optional(),
  param: z.string().optional(),
});

const IngestResponse = z.object({
  object: z.literal('usage_ingest_result'),
  accepted: z.number().int(),
  duplicates: z.number().int(),
  rejected: z.number().int(),
  results: z.array(IngestResultJson).describe('One per event, in the order sent'),
});

const DailyQuery = z.strictObject({
  metric: z.string().min(1),
  from: z.string().describe('First day, YYYY-MM-DD (UTC)'),
  to: z.string().describe('Day after the last, YYYY-MM-DD (UTC)'),
});

const security = [{ instanceKey: [] }];

export const usageRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/usage',
    {
      schema: {
        summary: 'Report a batch of usage events (up to 1,000)',
        description:
          'Each event is accepted, reported as a duplicate (its id was already counted for that customer), or rejected with a reason; a bad event never drops the good ones.',
        tags: ['usage'],
        security,
        body: z.strictObject({ events: z.array(UsageEventBody).min(1).max(MAX_BATCH) }),
        response: { 200: IngestResponse, ...authedErrorResponses },
      },
    },
    async (req) => {
      const actor = instanceActor(req);
      const ctx = serviceContext(req, deps);
      const r = await ingestUsage(ctx, actor.id, req.body.events as unknown as UsageEventInput[]);
      // After the ingestion committed (its transaction stays short): billing limits of the customers whose
      // usage changed. A failure is queued as a job and does not fail the batch, which is already counted.
      const quota = await evaluateTouched(ctx, r.touched);
      for (const f of quota.failures) req.log.error({ err: f.error, customer: f.customerId, product: f.product }, 'quota evaluation failed; queued for retry');
      return { object: 'usage_ingest_result' as const, accepted: r.accepted, duplicates: r.duplicates, rejected: r.rejected, results: r.results };
    },
  );

  app.get(
    '/v1/customers/:id/usage/daily',
    {
      schema: {
        summary: "A customer's daily usage of one metric over a range of days",
        tags: ['usage'],
        security,
        params: IdParams,
        querystring: DailyQuery,
        response: {
          200: z.object({
            object: z.literal('list'),
            metric: z.string(),
            data: z.array(z.object({ day: z.string(), sum: z.string(), count: z.number().int(), max: z.string() })),
          }),
          ...authedErrorResponses,
        },
      },
    },
    async (req) => {
      const actor = instanceActor(req);
      const ctx = serviceContext(req, deps);
      const customer = await getCustomer(ctx, req.params.id, actor.id);
      const from = parseDateOnly(req.query.from, 'from');
      const to = parseDateOnly(req.query.to, 'to');
      if (to <= from) throw invalid('range_invalid', '`to` must be after `from`.', 'to');
      if (to.getTime() - from.getTime() > 366 * 86_400_000) throw invalid('range_too_long', 'At most 366 days per request.', 'to');
      const points = await dailyUsage(ctx, customer.id, req.query.metric, from, to);
      return {
        object: 'list' as const,
        metric: req.query.metric,
        data: points.map((p) => ({ day: p.day, sum: p.sum.toString(), count: p.count, max: p.max.toString() })),
      };
    },
  );
};
