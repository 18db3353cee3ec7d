import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createCouponUnderPolicy, DEFAULT_APPROVAL_POLICY } from '../../billing/approvals/index.js';
import { currentCatalogVersion } from '../../billing/catalog/catalog-versions.js';
import {
  applyCoupon,
  COUPON_DURATIONS,
  couponValueForMonths,
  getCoupon,
  getCustomerCoupon,
  listCouponHolders,
  listCoupons,
  listCustomerCoupons,
  redeemCouponCode,
  removeCustomerCoupon,
  retireCoupon,
  type CreateCouponInput,
} from '../../billing/coupons/index.js';
import { normalizeCurrency } from '../../core/money/currency.js';
import { invalid } from '../../shared/errors.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses, ErrorBody } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { ApprovalJson, approvalJson } from '../serialize-approvals.js';
import {
  AppliedCouponJson,
  appliedCouponJson,
  CouponJson,
  couponJson,
  CouponWithCodeJson,
  CustomerCouponHistoryJson,
  customerCouponJson,
  CustomerDiscountJson,
  DiscountJson,
  discountJson,
} from '../serialize-coupons.js';
import { ListJson, listJson } from '../serialize.js';
import type { ApprovalRouteDeps } from './approval-deps.js';
import { parseInstant } from './invoice-common.js';
import { minorToJson } from '../../core/money/index.js';

const staff = [{ staff: [] }];
const instance = [{ instanceKey: [] }];
const tags = ['admin: coupons'];

const PlanMonths = z.strictObject({
  product: z.string().min(1),
  plan: z.string().min(1),
  months: z.number().int().min(1).max(120),
});

const CreateCouponBody = z.strictObject({
  name: z.string().min(1).max(200).describe('Why it is issued'),
  percent_off: z.union([z.number(), z.string().max(30)]).optional().describe('0 < p ≤ 100; or give amount_off'),
  amount_off: z.number().int().positive().optional().describe('Minor units; needs currency'),
  amount_from_plan: PlanMonths.optional().describe('Instead of amount_off: N months of a plan at list price (R11); needs currency'),
  currency: z.string().min(3).max(3).optional(),
  duration: z.enum(COUPON_DURATIONS),
  duration_in_months: z.number().int().min(1).max(120).optional().describe('repeating only'),
  max_redemptions: z.number().int().min(1).nullish().describe('Default 1 with a customer-facing code, else unlimited'),
  redeem_by: z.string().max(40).optional().describe('ISO 8601 date or date-time'),
  products: z.array(z.string().min(1)).min(1).max(50).optional().describe('Discount only these products; default all'),
  customer_facing_code: z.boolean().optional().describe('Generate a code (12 characters, CSPRNG), returned once'),
  ...Justification,
});

const ApplyBody = z.strictObject({
  coupon: z.string().min(1).describe('coupon_…'),
  stack: z.boolean().optional().describe('When the customer already holds a coupon: merge the two into one (fixed amounts only)'),
  ...Justification,
});

/** Staff coupon management (R11). */
export const adminCouponRoutes: FastifyPluginAsyncZod<ApprovalRouteDeps> = async (app, deps) => {
  const policy = deps.approvals ?? DEFAULT_APPROVAL_POLICY;

  app.post(
    '/admin/v1/coupons',
    {
      config: { minRole: 'support', idempotencyOmit: ['code'] },
      schema: {
        summary: 'Create a coupon (support or higher; reason required)',
        description:
          'Percent or fixed amount (with currency; or amount_from_plan: N months of a plan at list price), once / repeating / forever. ' +
          'With customer_facing_code the code is in this response only. When the approval policy covers the coupon (coupon_above), ' +
          'the answer is 202 with the pending approval request (and the code, which works once approved).',
        tags,
        security: staff,
        body: CreateCouponBody,
        response: { 201: CouponWithCodeJson, 202: ApprovalJson.extend({ code: z.string().nullable() }), ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const ctx = serviceContext(req, deps);
      const b = req.body;
      let amountOff = b.amount_off === undefined ? undefined : BigInt(b.amount_off);
      if (b.amount_from_plan) {
        if (amountOff !== undefined) throw invalid('discount_ambiguous', 'Give amount_off or amount_from_plan, not both.', 'amount_from_plan');
        if (!b.currency) throw invalid('currency_required', 'amount_from_plan needs a currency.', 'currency');
        const { catalog } = await currentCatalogVersion(deps.db);
        amountOff = couponValueForMonths(catalog, { ...b.amount_from_plan, currency: b.currency });
      }
      const input: CreateCouponInput = {
        name: b.name,
        percentOff: b.percent_off ?? null,
        amountOff: amountOff ?? null,
        currency: b.currency ?? null,
        duration: b.duration,
        durationInMonths: b.duration_in_months ?? null,
        ...(b.max_redemptions !== undefined ? { maxRedemptions: b.max_redemptions } : {}),
        redeemBy: b.redeem_by ? parseInstant(b.redeem_by, 'redeem_by') : null,
        productKeys: b.products ?? null,
        customerFacingCode: b.customer_facing_code ?? false,
      };
      const out = await createCouponUnderPolicy(ctx, policy, input, { reason: b.reason, ticket: b.ticket });
      if (out.status === 'pending_approval') return reply.status(202).send({ ...approvalJson(out.approval), code: out.code });
      return reply.status(201).send({ ...couponJson(out.coupon), code: out.code });
    },
  );

  app.get(
    '/admin/v1/coupons',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'List coupons, newest first', tags, security: staff, querystring: z.object({ include_retired: z.stringbool().default(false), ...PageQuery }), response: { 200: ListJson(CouponJson), ...authedErrorResponses } },
    },
    async (req) => listJson(await listCoupons(serviceContext(req, deps), { limit: req.query.limit, startingAfter: req.query.starting_after, includeRetired: req.query.include_retired }), couponJson),
  );

  app.get(
    '/admin/v1/coupons/:id',
    { config: { minRole: 'viewer' }, schema: { summary: 'Get a coupon', tags, security: staff, params: IdParams, response: { 200: CouponJson, ...authedErrorResponses } } },
    async (req) => couponJson(await getCoupon(serviceContext(req, deps), req.params.id)),
  );

  app.get(
    '/admin/v1/coupons/:id/holders',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: "A coupon's usage: the customers who hold or held it, newest first (up to 100)",
        tags,
        security: staff,
        params: IdParams,
        response: { 200: z.object({ object: z.literal('list'), data: z.array(CustomerCouponHistoryJson.extend({ customer: z.string() })) }), ...authedErrorResponses },
      },
    },
    async (req) => ({ object: 'list' as const, data: (await listCouponHolders(serviceContext(req, deps), req.params.id)).map((cc) => ({ ...customerCouponJson(cc), customer: cc.customerId })) }),
  );

  app.post(
    '/admin/v1/coupons/:id/retire',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Retire a coupon: no further redemptions (billing_admin; reason required)',
        description: 'Customers already holding it keep it until it runs out; remove it from a customer separately.',
        tags,
        security: staff,
        params: IdParams,
        body: z.strictObject(Justification),
        response: { 200: CouponJson, ...authedErrorResponses },
      },
    },
    async (req) => couponJson(await retireCoupon(serviceContext(req, deps), req.params.id, req.body)),
  );

  app.get(
    '/admin/v1/coupon-value',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'N months of a plan at list price, in minor units (R11: coupon values come from list price)',
        tags,
        security: staff,
        querystring: z.object({ product: z.string().min(1), plan: z.string().min(1), currency: z.string().min(3).max(3), months: z.coerce.number().int().min(1).max(120) }),
        response: { 200: z.object({ amount: z.number().int(), currency: z.string(), product: z.string(), plan: z.string(), months: z.number().int() }), ...authedErrorResponses },
      },
    },
    async (req) => {
      const { catalog } = await currentCatalogVersion(deps.db);
      const amount = couponValueForMonths(catalog, req.query);
      return { amount: minorToJson(amount), currency: normalizeCurrency(req.query.currency).toLowerCase(), product: req.query.product, plan: req.query.plan, months: req.query.months };
    },
  );

  app.get(
    '/admin/v1/customers/:id/coupon',
    { config: { minRole: 'viewer' }, schema: { summary: "The customer's coupon now (null when none)", tags, security: staff, params: IdParams, response: { 200: CustomerDiscountJson, ...authedErrorResponses } } },
    async (req) => {
      const held = await getCustomerCoupon(serviceContext(req, deps), req.params.id);
      return { customer: req.params.id, discount: held ? discountJson(held) : null };
    },
  );

  app.get(
    '/admin/v1/customers/:id/coupons',
    { config: { minRole: 'viewer' }, schema: { summary: 'Every coupon the customer has held, newest first', tags, security: staff, params: IdParams, response: { 200: z.object({ data: z.array(CustomerCouponHistoryJson) }), ...authedErrorResponses } } },
    async (req) => ({ data: (await listCustomerCoupons(serviceContext(req, deps), req.params.id)).map(customerCouponJson) }),
  );

  const apply = (stackRoute: boolean) => async (req: { params: { id: string }; body: z.infer<typeof ApplyBody> } & Parameters<typeof serviceContext>[0]) => {
    const { coupon, stack, reason, ticket } = req.body;
    return appliedCouponJson(await applyCoupon(serviceContext(req, deps), req.params.id, coupon, { stack: stackRoute || stack === true }, { reason, ticket }));
  };

  app.post(
    '/admin/v1/customers/:id/coupon',
    {
      config: { minRole: 'support' },
      schema: {
        summary: 'Apply a coupon to a customer (support or higher; reason required)',
        description: 'A customer holds one coupon (R11): applying a second is a 409 naming the held one, unless stack is true.',
        tags,
        security: staff,
        params: IdParams,
        body: ApplyBody,
        response: { 200: AppliedCouponJson, ...authedErrorResponses },
      },
    },
    apply(false),
  );

  app.post(
    '/admin/v1/customers/:id/coupon/stack',
    {
      config: { minRole: 'support' },
      schema: {
        summary: "Stack a coupon onto the customer's: the remaining values merge into one new coupon",
        description:
          'Fixed amounts in one currency only. The remaining value of each is its amount times the invoices it still had to reduce ' +
          '(1 for an unused once coupon, months not yet used for repeating); the merged coupon spreads the sum over the longer remainder, ' +
          'rounded up. Two forever coupons add into a forever coupon. Percentages are refused with the reason.',
        tags,
        security: staff,
        params: IdParams,
        body: ApplyBody.omit({ stack: true }),
        response: { 200: AppliedCouponJson, ...authedErrorResponses },
      },
    },
    apply(true),
  );

  app.post(
    '/admin/v1/customers/:id/coupon/remove',
    {
      config: { minRole: 'support' },
      schema: { summary: "Remove the customer's coupon now (reason required)", tags, security: staff, params: IdParams, body: z.strictObject(Justification), response: { 200: CustomerCouponHistoryJson, ...authedErrorResponses } },
    },
    async (req) => customerCouponJson(await removeCustomerCoupon(serviceContext(req, deps), req.params.id, req.body)),
  );
};

/** Instance API: redeem a customer-facing code at checkout, read the customer's coupon. */
export const couponRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/customers/:id/coupon',
    {
      schema: {
        summary: 'Redeem a customer-facing coupon code for the customer',
        description:
          `At most 5 attempts per customer in 15 minutes (429 rate_limited). Unknown, used-up, expired and retired codes all get ` +
          '400 coupon_code_invalid; a customer who already holds a coupon gets 409 customer_has_coupon.',
        tags: ['coupons'],
        security: instance,
        params: IdParams,
        body: z.strictObject({ code: z.string().min(1).max(100) }),
        response: { 200: DiscountJson, 429: ErrorBody, ...authedErrorResponses },
      },
    },
    async (req) => discountJson(await redeemCouponCode(serviceContext(req, deps), req.params.id, req.body.code)),
  );

  app.get(
    '/v1/customers/:id/coupon',
    { schema: { summary: "The customer's coupon now (null when none)", tags: ['coupons'], security: instance, params: IdParams, response: { 200: CustomerDiscountJson, ...authedErrorResponses } } },
    async (req) => {
      const held = await getCustomerCoupon(serviceContext(req, deps), req.params.id);
      return { customer: req.params.id, discount: held ? discountJson(held) : null };
    },
  );
};
