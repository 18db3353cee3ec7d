import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { approveRequest, DEFAULT_APPROVAL_POLICY, formatApprovalPolicy, getApprovalItem, listPendingApprovals, rejectRequest, requestApproval } from '../../billing/approvals/index.js';
import { approveCredit, getCreditRequest, listCreditRequests, rejectCredit, requestCredit } from '../../billing/credits/index.js';
import { serviceContext } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { ApprovalItemJson, approvalItemJson, CreditRequestJson, creditRequestJson, CreditReviewJson, creditReviewJson } from '../serialize-approvals.js';
import { ListJson, listJson } from '../serialize.js';
import type { ApprovalRouteDeps } from './approval-deps.js';

const staff = [{ staff: [] }];
const STATUSES = ['pending', 'approved', 'rejected'] as const;
const DecisionBody = z.strictObject({ note: z.string().max(1000).optional().describe("The decision's reason, kept in the audit log") }).nullish();

/** Goodwill credits (R13) and the approval queue (R14). Requesting needs support; deciding needs the approver role. */
export const adminApprovalRoutes: FastifyPluginAsyncZod<ApprovalRouteDeps> = async (app, deps) => {
  const policy = deps.approvals ?? DEFAULT_APPROVAL_POLICY;

  // ── credit requests ──
  app.post(
    '/admin/v1/credit-requests',
    {
      config: { minRole: 'support' },
      schema: {
        summary: 'Request a goodwill credit (support or higher): pending until an approver decides',
        tags: ['admin: credits'],
        security: staff,
        body: z.strictObject({
          customer: z.string().min(1).describe('cus_…'),
          amount: z.number().int().positive().describe('Minor units, positive'),
          currency: z.string().min(3).max(3).optional().describe("Default: the customer's currency"),
          reason: z.string().min(1).max(1000).describe('What happened to the customer'),
          ticket: z.string().max(200).optional(),
        }),
        response: { 201: CreditReviewJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const ctx = serviceContext(req, deps);
      const b = req.body;
      const created = await requestCredit(ctx, { customerId: b.customer, amount: BigInt(b.amount), currency: b.currency ?? null, reason: b.reason, ticket: b.ticket ?? null });
      return reply.status(201).send(creditReviewJson(await getCreditRequest(ctx, created.id)));
    },
  );

  app.get(
    '/admin/v1/credit-requests',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'List credit requests (pending: oldest first)',
        tags: ['admin: credits'],
        security: staff,
        querystring: z.object({ status: z.enum(STATUSES).optional(), customer: z.string().optional(), ...PageQuery }),
        response: { 200: ListJson(CreditRequestJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      return listJson(await listCreditRequests(serviceContext(req, deps), { status: q.status, customerId: q.customer }, { limit: q.limit, startingAfter: q.starting_after }), creditRequestJson);
    },
  );

  app.get(
    '/admin/v1/credit-requests/:id',
    {
      config: { minRole: 'viewer' },
      schema: { summary: "A credit request, with the customer's earlier credits first", tags: ['admin: credits'], security: staff, params: IdParams, response: { 200: CreditReviewJson, ...authedErrorResponses } },
    },
    async (req) => creditReviewJson(await getCreditRequest(serviceContext(req, deps), req.params.id)),
  );

  app.post(
    '/admin/v1/credit-requests/:id/approve',
    {
      config: { minRole: 'approver' },
      schema: {
        summary: 'Approve a credit (approver; not the requester): it enters the balance ledger once',
        description: 'Final: a second decision is 409 approval_decided. The requester approving is 403 self_approval.',
        tags: ['admin: credits'],
        security: staff,
        params: IdParams,
        body: DecisionBody,
        response: { 200: CreditReviewJson, ...authedErrorResponses },
      },
    },
    async (req) => creditReviewJson(await approveCredit(serviceContext(req, deps), req.params.id, req.body?.note ?? null)),
  );

  app.post(
    '/admin/v1/credit-requests/:id/reject',
    {
      config: { minRole: 'approver' },
      schema: { summary: 'Reject a credit (approver): final', tags: ['admin: credits'], security: staff, params: IdParams, body: DecisionBody, response: { 200: CreditReviewJson, ...authedErrorResponses } },
    },
    async (req) => creditReviewJson(await rejectCredit(serviceContext(req, deps), req.params.id, req.body?.note ?? null)),
  );

  // ── the approval queue ──
  app.get(
    '/admin/v1/approvals',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'The approval queue: pending requests, oldest first, credits with the customer’s earlier credits',
        tags: ['admin: approvals'],
        security: staff,
        querystring: z.object({ status: z.enum(STATUSES).default('pending'), kind: z.string().optional(), customer: z.string().optional(), ...PageQuery }),
        response: { 200: ListJson(ApprovalItemJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const q = req.query;
      const page = await listPendingApprovals(serviceContext(req, deps), { status: q.status, kind: q.kind, customerId: q.customer }, { limit: q.limit, startingAfter: q.starting_after });
      return listJson(page, approvalItemJson);
    },
  );

  app.get(
    '/admin/v1/approval-policy',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Which staff actions need approval (TALLY_APPROVALS)',
        tags: ['admin: approvals'],
        security: staff,
        response: { 200: z.object({ policy: z.string(), credit: z.literal(true), subscription_change: z.boolean(), coupon_above: z.number().int().nullable(), custom_price: z.boolean() }), ...authedErrorResponses },
      },
    },
    async () => ({ policy: formatApprovalPolicy(policy), credit: true as const, subscription_change: policy.subscriptionChange, coupon_above: policy.couponAbove === null ? null : Number(policy.couponAbove), custom_price: policy.customPrice }),
  );

  app.get(
    '/admin/v1/approvals/:id',
    { config: { minRole: 'viewer' }, schema: { summary: 'An approval request', tags: ['admin: approvals'], security: staff, params: IdParams, response: { 200: ApprovalItemJson, ...authedErrorResponses } } },
    async (req) => approvalItemJson(await getApprovalItem(serviceContext(req, deps), req.params.id)),
  );

  app.post(
    '/admin/v1/approvals',
    {
      config: { minRole: 'support' },
      schema: {
        summary: 'Ask for approval of a subscription change (support or higher; reason required)',
        description: 'Credits are requested at /admin/v1/credit-requests and large coupons at /admin/v1/coupons; both file their approval themselves.',
        tags: ['admin: approvals'],
        security: staff,
        body: z.strictObject({
          kind: z.literal('subscription_change'),
          customer: z.string().min(1),
          payload: z.strictObject({ product: z.string().min(1), plan: z.string().min(1).optional(), price: z.string().min(1).optional() }),
          ...Justification,
        }),
        response: { 201: ApprovalItemJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const ctx = serviceContext(req, deps);
      const b = req.body;
      const a = await requestApproval(ctx, b.kind, b.payload, { reason: b.reason, ticket: b.ticket }, { customerId: b.customer });
      return reply.status(201).send(approvalItemJson(await getApprovalItem(ctx, a.id)));
    },
  );

  app.post(
    '/admin/v1/approvals/:id/approve',
    {
      config: { minRole: 'approver' },
      schema: {
        summary: 'Approve and carry out the pending action, exactly once (approver; not the requester)',
        tags: ['admin: approvals'],
        security: staff,
        params: IdParams,
        body: DecisionBody,
        response: { 200: ApprovalItemJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const a = await approveRequest(ctx, req.params.id, req.body?.note ?? null);
      return approvalItemJson(await getApprovalItem(ctx, a.id));
    },
  );

  app.post(
    '/admin/v1/approvals/:id/reject',
    { config: { minRole: 'approver' }, schema: { summary: 'Reject the pending action (approver): final', tags: ['admin: approvals'], security: staff, params: IdParams, body: DecisionBody, response: { 200: ApprovalItemJson, ...authedErrorResponses } } },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const a = await rejectRequest(ctx, req.params.id, req.body?.note ?? null);
      return approvalItemJson(await getApprovalItem(ctx, a.id));
    },
  );
};
