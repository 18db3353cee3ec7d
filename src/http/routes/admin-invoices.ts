import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withDb } from '../../billing/context.js';
import { resolveInstance } from '../../billing/instances/instances.js';
import { addInvoiceLine, createDraftInvoice, removeInvoiceLine, updateDraftInvoice, type UpdateDraftInvoiceInput } from '../../billing/invoices/drafts.js';
import { COLLECTION_METHODS, INVOICE_STATUSES, PAYMENT_METHOD_TYPES, type Invoice } from '../../billing/invoices/model.js';
import { getInvoice, listInvoices } from '../../billing/invoices/read.js';
import { finalizeInvoice, markInvoicePaid, markUncollectible, sendInvoice, voidInvoice } from '../../billing/invoices/transitions.js';
import { clampLimit } from '../../billing/pagination.js';
import { inTransaction } from '../../store/transaction.js';
import { serviceContext } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, Justification, MetadataInput, PageQuery } from '../schemas.js';
import { invoiceJson, InvoiceJson } from '../serialize-invoices.js';
import { ListJson, listJson } from '../serialize.js';
import { DateInput, LineBody, parseInstant, parseOptionalInstant, sendInvoicePdf, toLineInput, type InvoiceRouteDeps } from './invoice-common.js';

const security = [{ staff: [] }];

const Terms = {
  collection_method: z.enum(COLLECTION_METHODS).optional(),
  days_until_due: z.number().int().min(0).max(3650).nullish().describe('send_invoice: due this many days after finalization (default 30, R23)'),
  due_date: DateInput.nullish().describe('send_invoice: a fixed due date instead of days_until_due'),
  payment_method_types: z.array(z.enum(PAYMENT_METHOD_TYPES)).min(1).optional().describe('Default: card and us_bank_account (ACH) for send_invoice, card otherwise'),
  memo: z.string().max(5000).nullish().describe('Shown on the invoice, e.g. the accepted quote (R18)'),
  footer: z.string().max(5000).nullish(),
  metadata: MetadataInput.optional(),
};

const CreateInvoiceBody = z.strictObject({
  customer: z.string().min(1).max(100).describe('cus_…'),
  ...Terms,
  period_start: DateInput.optional(),
  period_end: DateInput.optional(),
  lines: z.array(LineBody).max(250).default([]).describe('At catalog prices ({price, quantity}) or custom ({description, unit_amount, quantity})'),
  ...Justification,
});

const LineParams = z.object({ id: z.string(), lineId: z.string() });
const WhyBody = z.strictObject(Justification).nullish().describe('Optional: reason and ticket for the audit log');

/** Manual invoices (R18) and the invoice lifecycle for staff: draft, review, finalize, send, record payment. */
export const adminInvoiceRoutes: FastifyPluginAsyncZod<InvoiceRouteDeps> = async (app, deps) => {
  const run = (req: Parameters<typeof serviceContext>[0], fn: (ctx: ReturnType<typeof serviceContext>) => Promise<Invoice>) =>
    inTransaction(deps.db, (tx) => fn(withDb(serviceContext(req, deps), tx))).then(invoiceJson);

  app.post(
    '/admin/v1/invoices',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Draft a manual invoice for a customer (billing_admin)',
        description:
          'Lines at catalog prices (rated through the price, one line per tier) or custom amounts; collection defaults to send_invoice, ' +
          'due net 30, payable by card or ACH. The draft is totalled without the credit balance, which is applied at finalization.',
        tags: ['admin', 'invoices'],
        security,
        body: CreateInvoiceBody,
        response: { 201: InvoiceJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const lines = b.lines.map((l, i) => toLineInput(l, `lines.${i}.`));
      const input = {
        customerId: b.customer,
        collectionMethod: b.collection_method ?? 'send_invoice',
        daysUntilDue: b.days_until_due ?? null,
        dueDate: parseOptionalInstant(b.due_date, 'due_date') ?? null,
        paymentMethodTypes: b.payment_method_types ?? null,
        memo: b.memo ?? null,
        footer: b.footer ?? null,
        metadata: b.metadata ?? {},
        periodStart: b.period_start === undefined ? null : parseInstant(b.period_start, 'period_start'),
        periodEnd: b.period_end === undefined ? null : parseInstant(b.period_end, 'period_end'),
        lines,
      } as const;
      const json = await run(req, (ctx) => createDraftInvoice(ctx, input, { reason: b.reason, ticket: b.ticket }));
      return reply.status(201).send(json);
    },
  );

  app.get(
    '/admin/v1/invoices',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'List invoices, newest first',
        tags: ['admin', 'invoices'],
        security,
        querystring: z.object({
          customer: z.string().optional(),
          status: z.enum(INVOICE_STATUSES).optional(),
          instance: z.string().optional().describe('Only invoices of this instance (ID or slug)'),
          ...PageQuery,
        }),
        response: { 200: ListJson(InvoiceJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const q = req.query;
      const instanceId = q.instance ? (await resolveInstance(ctx, q.instance)).id : undefined;
      const page = await listInvoices(ctx, { customerId: q.customer, status: q.status, instanceId, limit: clampLimit(q.limit), startingAfter: q.starting_after });
      return listJson(page, invoiceJson);
    },
  );

  app.get(
    '/admin/v1/invoices/:id',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'Get any invoice with its lines', tags: ['admin', 'invoices'], security, params: IdParams, response: { 200: InvoiceJson, ...authedErrorResponses } },
    },
    async (req) => invoiceJson(await getInvoice(serviceContext(req, deps), req.params.id)),
  );

  app.get(
    '/admin/v1/invoices/:id/pdf',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'The invoice as a PDF (application/pdf)',
        description: 'A draft renders with a DRAFT watermark and no number, for review before finalizing.',
        tags: ['admin', 'invoices'],
        security,
        params: IdParams,
        response: authedErrorResponses,
      },
    },
    async (req, reply) => sendInvoicePdf(reply, serviceContext(req, deps), req.params.id, deps.seller, { allowDraft: true }),
  );

  app.post(
    '/admin/v1/invoices/:id',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: "Change a draft's terms (billing_admin)",
        description: 'Only the fields given change; null clears memo, footer or the due terms.',
        tags: ['admin', 'invoices'],
        security,
        params: IdParams,
        body: z.strictObject({ ...Terms, ...Justification }),
        response: { 200: InvoiceJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { reason, ticket, ...b } = req.body;
      const patch: { -readonly [K in keyof UpdateDraftInvoiceInput]: UpdateDraftInvoiceInput[K] } = {};
      if (b.collection_method !== undefined) patch.collectionMethod = b.collection_method;
      if (b.days_until_due !== undefined) patch.daysUntilDue = b.days_until_due;
      if (b.due_date !== undefined) patch.dueDate = parseOptionalInstant(b.due_date, 'due_date') ?? null;
      if (b.payment_method_types !== undefined) patch.paymentMethodTypes = b.payment_method_types;
      if (b.memo !== undefined) patch.memo = b.memo;
      if (b.footer !== undefined) patch.footer = b.footer;
      if (b.metadata !== undefined) patch.metadata = b.metadata;
      return run(req, (ctx) => updateDraftInvoice(ctx, req.params.id, patch, { reason, ticket }));
    },
  );

  app.post(
    '/admin/v1/invoices/:id/lines',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Add a line to a draft (billing_admin)',
        tags: ['admin', 'invoices'],
        security,
        params: IdParams,
        body: LineBody.extend(Justification),
        response: { 200: InvoiceJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { reason, ticket, ...line } = req.body;
      const input = toLineInput(line, '');
      return run(req, (ctx) => addInvoiceLine(ctx, req.params.id, input, { reason, ticket }));
    },
  );

  app.post(
    '/admin/v1/invoices/:id/lines/:lineId/remove',
    {
      config: { minRole: 'billing_admin' },
      schema: { summary: 'Remove a line from a draft (billing_admin)', tags: ['admin', 'invoices'], security, params: LineParams, body: WhyBody, response: { 200: InvoiceJson, ...authedErrorResponses } },
    },
    async (req) => run(req, (ctx) => removeInvoiceLine(ctx, req.params.id, req.params.lineId, req.body ?? {})),
  );

  const transition = (path: string, summary: string, fn: (ctx: ReturnType<typeof serviceContext>, id: string, why: { reason?: string | undefined; ticket?: string | undefined }) => Promise<Invoice>, description?: string) =>
    app.post(
      `/admin/v1/invoices/:id/${path}`,
      {
        config: { minRole: 'billing_admin' },
        schema: {
          summary,
          ...(description ? { description } : {}),
          tags: ['admin', 'invoices'],
          security,
          params: IdParams,
          body: WhyBody,
          response: { 200: InvoiceJson, ...authedErrorResponses },
        },
      },
      async (req) => run(req, (ctx) => fn(ctx, req.params.id, req.body ?? {})),
    );

  transition(
    'finalize',
    'Finalize a draft: number it, apply the credit balance, open it (billing_admin)',
    finalizeInvoice,
    'Takes the next gapless number of the instance prefix. An invoice with nothing left to pay becomes paid at once. Send Idempotency-Key to retry safely.',
  );
  transition('send', 'Send an open send_invoice invoice to the billing email (billing_admin)', sendInvoice);
  transition('void', 'Void an open or uncollectible invoice; applied credit returns to the balance (billing_admin; needs a reason or ticket)', voidInvoice);
  transition('mark_uncollectible', 'Write off an open invoice as uncollectible (billing_admin; needs a reason or ticket)', markUncollectible);

  // `pay` mirrors Stripe's endpoint name; `mark-paid` is the same action under the name staff look for.
  for (const action of ['pay', 'mark-paid'] as const) {
  app.post(
    `/admin/v1/invoices/:id/${action}`,
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Record a payment received outside Tally, e.g. a bank transfer (billing_admin)',
        description: 'The manual provider\'s way of recording payments; with Stripe, the invoice is also marked paid out of band there. Audited.',
        tags: ['admin', 'invoices'],
        security,
        params: IdParams,
        body: z.strictObject({
          reference: z.string().min(1).max(200).describe('The bank transfer reference, check number, …'),
          paid_at: DateInput.optional().describe('When the money arrived; default now'),
          ...Justification,
        }),
        response: { 200: InvoiceJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { reference, paid_at, reason, ticket } = req.body;
      const paidAt = paid_at === undefined ? null : parseInstant(paid_at, 'paid_at');
      return run(req, (ctx) => markInvoicePaid(ctx, req.params.id, { reference, paidAt }, { reason, ticket }));
    },
  );
  }
};
