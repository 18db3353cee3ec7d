import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  contractAmortization,
  createContract,
  getContract,
  goLiveContract,
  importContract,
  listContracts,
  revenueEntries,
  updateContract,
  type Contract,
  type RevenueGrouping,
} from '../../billing/contracts/contracts.js';
import { clampLimit } from '../../billing/pagination.js';
import { revenueByMonth, revenueCsv } from '../../core/contracts/amortization.js';
import { minorToJson } from '../../core/money/index.js';
import { invalid } from '../../shared/errors.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { ListJson } from '../serialize.js';

const security = [{ staff: [] }];
const tags = ['admin', 'contracts'];

const ProblemJson = z.object({ path: z.string(), code: z.string(), message: z.string() });

export const ContractJson = z
  .object({
    id: z.string(),
    object: z.literal('contract'),
    status: z.enum(['review', 'created', 'live']),
    quote: z.string().nullable(),
    format: z.enum(['yaml', 'json', 'csv']),
    form: z.record(z.string(), z.unknown()).nullable().describe('The validated order form; null while it has problems'),
    problems: z.array(ProblemJson).describe('Every problem that blocks creation, each with its field path'),
    source: z.unknown().describe('The order form as read; PATCH edits it'),
    customer: z.string().nullable(),
    invoice: z.string().nullable(),
    subscription_schedule: z.string().nullable(),
    subscription: z.string().nullable(),
    invoice_issue_at: z.string().nullable().describe('When the up-front invoice is finalized and sent: the contract start'),
    created_at: z.string(),
    updated_at: z.string(),
    contract_created_at: z.string().nullable(),
    live_at: z.string().nullable(),
  })
  .meta({ id: 'Contract' });

export function contractJson(c: Contract): z.infer<typeof ContractJson> {
  return {
    id: c.id,
    object: 'contract',
    status: c.status,
    quote: c.quote,
    format: c.format,
    form: c.form,
    problems: c.problems,
    source: c.source,
    customer: c.customerId,
    invoice: c.invoiceId,
    subscription_schedule: c.scheduleId,
    subscription: c.subscriptionId,
    invoice_issue_at: c.invoiceIssueAt?.toISOString() ?? null,
    created_at: c.createdAt.toISOString(),
    updated_at: c.updatedAt.toISOString(),
    contract_created_at: c.contractCreatedAt?.toISOString() ?? null,
    live_at: c.liveAt?.toISOString() ?? null,
  };
}

const SliceJson = z.object({ month: z.string(), start: z.string(), end: z.string(), amount: z.number().int() });
const slice = (s: { month: string; start: string; end: string; amount: bigint }) => ({ ...s, amount: minorToJson(s.amount) });

const ImportBody = z.strictObject({
  order_form: z.record(z.string(), z.unknown()).optional().describe('The order form as a JSON object'),
  text: z.string().max(200_000).optional().describe('The order form document as text (YAML, JSON or field,value CSV)'),
  format: z.enum(['yaml', 'json', 'csv']).optional().describe('Required with text'),
  ...Justification,
});

const WhyBody = z.strictObject(Justification).nullish();
const Month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be YYYY-MM');

/** Annual contracts from order forms (R18–R20) and the revenue schedule export for finance. */
export const adminContractRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/admin/v1/contracts',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Import an order form into a contract in review (billing_admin)',
        description: 'Send order_form (JSON), or text with its format (yaml, json, csv). The contract is stored in review with every problem listed; a document that does not parse is a 400.',
        tags,
        security,
        body: ImportBody,
        response: { 201: ContractJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      if ((b.order_form === undefined) === (b.text === undefined)) throw invalid('order_form_required', 'Send either order_form (a JSON object) or text with its format.', b.text === undefined ? 'order_form' : 'text');
      if (b.text !== undefined && b.format === undefined) throw invalid('format_required', 'format (yaml, json or csv) is required with text.', 'format');
      const ctx = serviceContext(req, deps);
      const contract = b.text !== undefined ? await importContract(ctx, { text: b.text, format: b.format! }, b) : await importContract(ctx, { raw: b.order_form, format: 'json' }, b);
      return reply.status(201).send(contractJson(contract));
    },
  );

  app.get(
    '/admin/v1/contracts',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'List contracts, newest first', tags, security, querystring: z.object({ status: z.enum(['review', 'created', 'live']).optional(), ...PageQuery }), response: { 200: ListJson(ContractJson), ...authedErrorResponses } },
    },
    async (req) => {
      const page = await listContracts(serviceContext(req, deps), { status: req.query.status, limit: clampLimit(req.query.limit), startingAfter: req.query.starting_after });
      return { object: 'list' as const, data: page.data.map(contractJson), has_more: page.hasMore };
    },
  );

  app.get(
    '/admin/v1/contracts/:id',
    { config: { minRole: 'viewer' }, schema: { summary: 'A contract', tags, security, params: IdParams, response: { 200: ContractJson, ...authedErrorResponses } } },
    async (req) => contractJson(await getContract(serviceContext(req, deps), req.params.id)),
  );

  app.patch(
    '/admin/v1/contracts/:id',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Fix order form fields during review (billing_admin)',
        description: 'set maps field paths (customer.contact_email, products.0.up_front) to new values; null removes a field. Each fix is audited.',
        tags,
        security,
        params: IdParams,
        body: z.strictObject({ set: z.record(z.string().max(200), z.unknown()), ...Justification }),
        response: { 200: ContractJson, ...authedErrorResponses },
      },
    },
    async (req) => contractJson(await updateContract(serviceContext(req, deps), req.params.id, req.body.set, req.body)),
  );

  app.post(
    '/admin/v1/contracts/:id/create',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Create the draft invoice, custom prices, amortization and subscription schedule in one transaction (billing_admin)',
        tags,
        security,
        params: IdParams,
        body: WhyBody,
        response: { 200: ContractJson, ...authedErrorResponses },
      },
    },
    async (req) => contractJson(await createContract(serviceContext(req, deps), req.params.id, req.body ?? {})),
  );

  app.post(
    '/admin/v1/contracts/:id/go-live',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Take a contract live once its start has come (billing_admin); it also happens on its own at the start',
        tags,
        security,
        params: IdParams,
        body: WhyBody,
        response: { 200: ContractJson, ...authedErrorResponses },
      },
    },
    async (req) => contractJson(await goLiveContract(serviceContext(req, deps), req.params.id, req.body ?? {})),
  );

  app.get(
    '/admin/v1/contracts/:id/amortization',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: "The contract invoice's revenue schedule (R20): equal monthly slices, remainder last",
        tags,
        security,
        params: IdParams,
        response: {
          200: z.object({
            invoice: z.string(),
            currency: z.string(),
            total: z.number().int(),
            months: z.number().int(),
            start: z.string(),
            slices: z.array(SliceJson),
            products: z.array(z.object({ product: z.string(), total: z.number().int(), slices: z.array(SliceJson) })),
          }),
          ...authedErrorResponses,
        },
      },
    },
    async (req) => {
      const a = await contractAmortization(serviceContext(req, deps), req.params.id);
      return {
        invoice: a.invoiceId,
        currency: a.currency,
        total: minorToJson(a.total),
        months: a.months,
        start: a.start.toISOString(),
        slices: a.slices.map(slice),
        products: a.products.map((p) => ({ product: p.productKey, total: minorToJson(p.total), slices: p.slices.map(slice) })),
      };
    },
  );

  app.get(
    '/admin/v1/revenue-schedule',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Recognized revenue per month from the amortization schedules, as CSV',
        description: 'Columns: month, the grouping key, currency, amount_minor. from/to are inclusive months (YYYY-MM).',
        tags,
        security,
        querystring: z.object({ from: Month.optional(), to: Month.optional(), by: z.enum(['contract', 'customer', 'product']).default('contract') }),
        response: { 200: z.string(), ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const { from, to, by } = req.query;
      const rows = revenueByMonth(await revenueEntries(serviceContext(req, deps), by as RevenueGrouping), from ?? null, to ?? null);
      return reply.type('text/csv; charset=utf-8').send(revenueCsv(rows, by));
    },
  );
};
