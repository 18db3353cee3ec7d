import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getBillingLimits, getBillingState, getCurrentUsage, setBillingLimit } from '../../billing/limits/index.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams } from '../schemas.js';
import { BillingLimitJson, BillingStateJson, CurrentUsageJson, billingLimitJson, billingStateJson, currentUsageJson } from '../serialize-billing.js';

const instance = [{ instanceKey: [] }];
const staff = [{ staff: [] }];

const LimitBody = z.strictObject({
  product: z.string().min(1).describe('Product key from the billing config'),
  amount: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable().describe("Minor units of the customer's currency; null removes the limit"),
  effective: z.enum(['now', 'next_period']).default('now').describe('now, or from the start of the next billing period'),
});

/** Instance API: what a deployment's billing page reads, and the limits its customers set (R12). */
export const billingRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/v1/customers/:id/billing',
    {
      schema: {
        summary: "The customer's billing state: period, products with usage, amounts, projections, limits and quota; totals, features, trial, discount",
        tags: ['billing'],
        security: instance,
        params: IdParams,
        response: { 200: BillingStateJson, ...authedErrorResponses },
      },
    },
    async (req) => billingStateJson(await getBillingState(serviceContext(req, deps), req.params.id)),
  );

  app.get(
    '/v1/customers/:id/billing-limits',
    {
      schema: {
        summary: "The customer's billing limits, with the unit limit each buys and the quota state",
        tags: ['billing'],
        security: instance,
        params: IdParams,
        response: { 200: z.object({ object: z.literal('list'), data: z.array(BillingLimitJson) }), ...authedErrorResponses },
      },
    },
    async (req) => ({ object: 'list' as const, data: (await getBillingLimits(serviceContext(req, deps), req.params.id)).map(billingLimitJson) }),
  );

  app.post(
    '/v1/customers/:id/billing-limits',
    {
      schema: {
        summary: 'Set (or with amount null, remove) a billing limit on a product, now or from the next period (R12)',
        description: 'Discounts count first: a $200 limit with 20% off allows $250 of list-price usage.',
        tags: ['billing'],
        security: instance,
        params: IdParams,
        body: LimitBody,
        response: { 200: BillingLimitJson, ...authedErrorResponses },
      },
    },
    async (req) => billingLimitJson(await setBillingLimit(serviceContext(req, deps), req.params.id, { product: req.body.product, amount: req.body.amount, effective: req.body.effective })),
  );

  app.get(
    '/v1/customers/:id/usage',
    {
      schema: {
        summary: 'Current-period usage per metric and per aggregation (sum, count, max, last, unique)',
        tags: ['usage'],
        security: instance,
        params: IdParams,
        querystring: z.strictObject({ metric: z.string().min(1).optional().describe('One metric; all of the catalog when omitted') }),
        response: { 200: CurrentUsageJson, ...authedErrorResponses },
      },
    },
    async (req) => currentUsageJson(req.params.id, await getCurrentUsage(serviceContext(req, deps), req.params.id, req.query.metric)),
  );
};

/** Admin API: the same billing state for support staff. */
export const adminBillingRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/customers/:id/billing',
    { config: { minRole: 'viewer' }, schema: { summary: "A customer's billing state", tags: ['admin: billing'], security: staff, params: IdParams, response: { 200: BillingStateJson, ...authedErrorResponses } } },
    async (req) => billingStateJson(await getBillingState(serviceContext(req, deps), req.params.id)),
  );
};
