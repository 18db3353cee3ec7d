import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { checkEntitlement, getAvailableFeatures } from '../../billing/entitlements/index.js';
import { setPlanOverrides } from '../../billing/customers/plan-overrides.js';
import { cancelTrial, startTrial } from '../../billing/customers/trials.js';
import { cancelSchedule, cancelSubscription, changePlan, createSchedule, getSubscription, listSchedules, releaseSchedule, removeItem, subscribe } from '../../billing/subscriptions/index.js';
import { notFound } from '../../shared/errors.js';
import { changePlanUnderPolicy, DEFAULT_APPROVAL_POLICY } from '../../billing/approvals/index.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { ApprovalJson, approvalJson } from '../serialize-approvals.js';
import type { ApprovalRouteDeps } from './approval-deps.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification } from '../schemas.js';
import { EntitlementJson, FeaturesJson, ScheduleJson, SubscriptionJson, entitlementJson, featuresJson, scheduleJson, subscriptionJson } from '../serialize-subscriptions.js';

const ItemInput = z.strictObject({
  product: z.string().min(1).describe('Product key from the billing config'),
  plan: z.string().min(1).optional().describe("Plan key; default: the product's default plan"),
  price: z.string().min(1).optional().describe('A specific price key (e.g. a custom price) instead of the plan default'),
});

const SubscribeBody = z.strictObject({
  items: z.array(ItemInput).min(1).max(50),
  interval: z.enum(['month', 'year']).optional(),
  anchor: z.iso.datetime({ offset: true }).optional().describe('Billing anchor at 00:00 UTC; default today'),
});

const DateTime = z.iso.datetime({ offset: true });
const TrialBody = z.strictObject({ until: DateTime.describe('Premium features until this instant (R9)') });
const CancelBody = z.strictObject({ at_period_end: z.boolean().default(false) });
const FeatureParams = z.object({ id: z.string(), feature: z.string() });

/** Shared by the instance and admin routes: the same service calls, different actors. */
function handlers(deps: RouteDeps) {
  const subscriptionOrNull = async (req: Parameters<typeof serviceContext>[0], customerId: string) => {
    const s = await getSubscription(serviceContext(req, deps), customerId);
    if (!s) throw notFound('subscription for customer', customerId, 'id');
    return subscriptionJson(s);
  };
  return { subscriptionOrNull };
}

const instance = [{ instanceKey: [] }];
const staff = [{ staff: [] }];

/** Instance API: what a deployment does for its customers — subscribe, change plan, trials, features. */
export const subscriptionRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  const h = handlers(deps);

  app.get('/v1/customers/:id/subscription', { schema: { summary: "The customer's subscription (live, else the latest canceled)", tags: ['subscriptions'], security: instance, params: IdParams, response: { 200: SubscriptionJson, ...authedErrorResponses } } }, async (req) =>
    h.subscriptionOrNull(req, req.params.id),
  );

  app.post(
    '/v1/customers/:id/subscription',
    { schema: { summary: 'Subscribe the customer to plans of one or more products', tags: ['subscriptions'], security: instance, params: IdParams, body: SubscribeBody, response: { 201: SubscriptionJson, ...authedErrorResponses } } },
    async (req, reply) => {
      const b = req.body;
      const s = await subscribe(serviceContext(req, deps), req.params.id, { items: b.items, ...(b.interval ? { interval: b.interval } : {}), ...(b.anchor ? { anchor: new Date(b.anchor) } : {}) });
      return reply.status(201).send(subscriptionJson(s));
    },
  );

  app.post(
    '/v1/customers/:id/subscription/change',
    {
      schema: {
        summary: 'Change the plan (or price) of one product: immediate, never prorated (R10)',
        tags: ['subscriptions'],
        security: instance,
        params: IdParams,
        body: ItemInput,
        response: { 200: SubscriptionJson, ...authedErrorResponses },
      },
    },
    async (req) => subscriptionJson(await changePlan(serviceContext(req, deps), req.params.id, req.body)),
  );

  app.post(
    '/v1/customers/:id/subscription/cancel',
    { schema: { summary: 'Cancel now, or at the end of the current period', tags: ['subscriptions'], security: instance, params: IdParams, body: CancelBody, response: { 200: SubscriptionJson, ...authedErrorResponses } } },
    async (req) => {
      return subscriptionJson(await cancelSubscription(serviceContext(req, deps), req.params.id, { atPeriodEnd: req.body.at_period_end }));
    },
  );

  app.post(
    '/v1/customers/:id/trial',
    { schema: { summary: 'Start (or move) a free trial of the premium plans (R9)', tags: ['trials'], security: instance, params: IdParams, body: TrialBody, response: { 200: z.object({ customer: z.string(), free_trial_until: z.string().nullable() }), ...authedErrorResponses } } },
    async (req) => {
      const c = await startTrial(serviceContext(req, deps), req.params.id, new Date(req.body.until));
      return { customer: c.id, free_trial_until: c.freeTrialUntil?.toISOString() ?? null };
    },
  );

  app.post(
    '/v1/customers/:id/trial/cancel',
    { schema: { summary: 'End the free trial now', tags: ['trials'], security: instance, params: IdParams, response: { 200: z.object({ customer: z.string(), free_trial_until: z.string().nullable() }), ...authedErrorResponses } } },
    async (req) => {
      const c = await cancelTrial(serviceContext(req, deps), req.params.id);
      return { customer: c.id, free_trial_until: c.freeTrialUntil?.toISOString() ?? null };
    },
  );

  app.get(
    '/v1/customers/:id/features',
    { schema: { summary: "The customer's available features, with where each comes from", tags: ['entitlements'], security: instance, params: IdParams, response: { 200: FeaturesJson, ...authedErrorResponses } } },
    async (req) => featuresJson(await getAvailableFeatures(serviceContext(req, deps), req.params.id)),
  );

  app.get(
    '/v1/customers/:id/entitlements/:feature',
    { schema: { summary: 'Check one feature', tags: ['entitlements'], security: instance, params: FeatureParams, response: { 200: EntitlementJson, ...authedErrorResponses } } },
    async (req) => entitlementJson(req.params.feature, await checkEntitlement(serviceContext(req, deps), req.params.id, req.params.feature)),
  );
};

/** Admin API: the same changes by staff, each with a reason or ticket (R15), plus overrides and schedules. */
export const adminSubscriptionRoutes: FastifyPluginAsyncZod<ApprovalRouteDeps> = async (app, deps) => {
  const h = handlers(deps);
  const support = { minRole: 'support' as const };
  const billing = { minRole: 'billing_admin' as const };

  app.get('/admin/v1/customers/:id/subscription', { config: { minRole: 'viewer' }, schema: { summary: "A customer's subscription", tags: ['admin: subscriptions'], security: staff, params: IdParams, response: { 200: SubscriptionJson, ...authedErrorResponses } } }, async (req) =>
    h.subscriptionOrNull(req, req.params.id),
  );

  app.get('/admin/v1/customers/:id/features', { config: { minRole: 'viewer' }, schema: { summary: "A customer's available features with sources", tags: ['admin: subscriptions'], security: staff, params: IdParams, response: { 200: FeaturesJson, ...authedErrorResponses } } }, async (req) =>
    featuresJson(await getAvailableFeatures(serviceContext(req, deps), req.params.id)),
  );

  app.post(
    '/admin/v1/customers/:id/subscription',
    { config: billing, schema: { summary: 'Subscribe a customer (billing admin; reason required)', tags: ['admin: subscriptions'], security: staff, params: IdParams, body: SubscribeBody.extend(Justification), response: { 201: SubscriptionJson, ...authedErrorResponses } } },
    async (req, reply) => {
      const { reason, ticket, ...b } = req.body;
      const s = await subscribe(serviceContext(req, deps), req.params.id, { items: b.items, ...(b.interval ? { interval: b.interval } : {}), ...(b.anchor ? { anchor: new Date(b.anchor) } : {}) }, { reason, ticket });
      return reply.status(201).send(subscriptionJson(s));
    },
  );

  app.post(
    '/admin/v1/customers/:id/subscription/change',
    {
      config: support,
      schema: {
        summary: 'Change a plan now, no proration (R10); reason required',
        description: 'When the approval policy has subscription_change (R14), the answer is 202 with the pending approval request instead; an approver carries it out.',
        tags: ['admin: subscriptions'],
        security: staff,
        params: IdParams,
        body: ItemInput.extend(Justification),
        response: { 200: SubscriptionJson, 202: ApprovalJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const { reason, ticket, ...item } = req.body;
      const out = await changePlanUnderPolicy(serviceContext(req, deps), deps.approvals ?? DEFAULT_APPROVAL_POLICY, req.params.id, item, { reason, ticket });
      if (out.status === 'pending_approval') return reply.status(202).send(approvalJson(out.approval));
      return reply.status(200).send(subscriptionJson(out.subscription));
    },
  );

  app.post(
    '/admin/v1/customers/:id/subscription/remove-item',
    { config: support, schema: { summary: 'Remove a product (e.g. an add-on) from the subscription', tags: ['admin: subscriptions'], security: staff, params: IdParams, body: z.strictObject({ product: z.string().min(1), ...Justification }), response: { 200: SubscriptionJson, ...authedErrorResponses } } },
    async (req) => subscriptionJson(await removeItem(serviceContext(req, deps), req.params.id, req.body.product, { reason: req.body.reason, ticket: req.body.ticket })),
  );

  app.post(
    '/admin/v1/customers/:id/subscription/cancel',
    { config: billing, schema: { summary: 'Cancel now or at period end; reason required', tags: ['admin: subscriptions'], security: staff, params: IdParams, body: CancelBody.extend(Justification), response: { 200: SubscriptionJson, ...authedErrorResponses } } },
    async (req) => {
      return subscriptionJson(await cancelSubscription(serviceContext(req, deps), req.params.id, { atPeriodEnd: req.body.at_period_end }, { reason: req.body.reason, ticket: req.body.ticket }));
    },
  );

  app.post(
    '/admin/v1/customers/:id/trial',
    { config: support, schema: { summary: 'Set the free trial end (R9); reason required', tags: ['admin: subscriptions'], security: staff, params: IdParams, body: TrialBody.extend(Justification), response: { 200: z.object({ customer: z.string(), free_trial_until: z.string().nullable() }), ...authedErrorResponses } } },
    async (req) => {
      const c = await startTrial(serviceContext(req, deps), req.params.id, new Date(req.body.until), { reason: req.body.reason, ticket: req.body.ticket });
      return { customer: c.id, free_trial_until: c.freeTrialUntil?.toISOString() ?? null };
    },
  );

  app.post(
    '/admin/v1/customers/:id/plan-overrides',
    {
      config: support,
      schema: {
        summary: "Override the customer's plan per product for features (R8); null removes an override",
        tags: ['admin: subscriptions'],
        security: staff,
        params: IdParams,
        body: z.strictObject({ overrides: z.record(z.string().min(1), z.string().min(1).nullable()), ...Justification }),
        response: { 200: z.object({ customer: z.string(), plan_overrides: z.record(z.string(), z.string()) }), ...authedErrorResponses },
      },
    },
    async (req) => {
      const c = await setPlanOverrides(serviceContext(req, deps), req.params.id, req.body.overrides, { reason: req.body.reason, ticket: req.body.ticket });
      return { customer: c.id, plan_overrides: c.planOverrides };
    },
  );

  const PhaseInput = z.strictObject({
    start: DateTime.describe('00:00 UTC; may be in the future'),
    months: z.number().int().min(1).max(120),
    interval: z.enum(['month', 'year']).optional(),
    items: z.array(ItemInput).min(1),
  });

  app.post(
    '/admin/v1/customers/:id/schedules',
    {
      config: billing,
      schema: {
        summary: 'Create a subscription schedule (contiguous phases; the first may start in the future)',
        tags: ['admin: subscriptions'],
        security: staff,
        params: IdParams,
        body: z.strictObject({ phases: z.array(PhaseInput).min(1).max(20), end_behavior: z.enum(['release', 'cancel']), ...Justification }),
        response: { 201: ScheduleJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const s = await createSchedule(
        serviceContext(req, deps),
        req.params.id,
        { phases: b.phases.map((p) => ({ start: new Date(p.start), months: p.months, items: p.items, ...(p.interval ? { interval: p.interval } : {}) })), endBehavior: b.end_behavior },
        { reason: b.reason, ticket: b.ticket },
      );
      return reply.status(201).send(scheduleJson(s));
    },
  );

  app.get('/admin/v1/customers/:id/schedules', { config: { minRole: 'viewer' }, schema: { summary: "A customer's schedules", tags: ['admin: subscriptions'], security: staff, params: IdParams, response: { 200: z.object({ object: z.literal('list'), data: z.array(ScheduleJson) }), ...authedErrorResponses } } }, async (req) => ({
    object: 'list' as const,
    data: (await listSchedules(serviceContext(req, deps), req.params.id)).map(scheduleJson),
  }));

  for (const [action, fn] of [['release', releaseSchedule], ['cancel', cancelSchedule]] as const) {
    app.post(
      `/admin/v1/schedules/:id/${action}`,
      { config: billing, schema: { summary: `${action === 'release' ? 'Release' : 'Cancel'} a schedule`, tags: ['admin: subscriptions'], security: staff, params: IdParams, body: z.strictObject(Justification), response: { 200: ScheduleJson, ...authedErrorResponses } } },
      async (req) => scheduleJson(await fn(serviceContext(req, deps), req.params.id, { reason: req.body.reason, ticket: req.body.ticket })),
    );
  }
};
