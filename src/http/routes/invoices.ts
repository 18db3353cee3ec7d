import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getCustomer } from '../../billing/customers/customers.js';
import { INVOICE_STATUSES } from '../../billing/invoices/model.js';
import { getInvoice, listInvoices } from '../../billing/invoices/read.js';
import { clampLimit } from '../../billing/pagination.js';
import { instanceActor, serviceContext } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, PageQuery } from '../schemas.js';
import { invoiceJson, InvoiceJson } from '../serialize-invoices.js';
import { ListJson, listJson } from '../serialize.js';
import { sendInvoicePdf, type InvoiceRouteDeps } from './invoice-common.js';

const security = [{ instanceKey: [] }];

/** The instance API for invoices: an instance reads only its own customers' invoices (R1). */
export const invoiceRoutes: FastifyPluginAsyncZod<InvoiceRouteDeps> = async (app, deps) => {
  app.get(
    '/v1/customers/:id/invoices',
    {
      schema: {
        summary: "A customer's invoices, newest first",
        tags: ['invoices'],
        security,
        params: IdParams,
        querystring: z.object({ status: z.enum(INVOICE_STATUSES).optional(), ...PageQuery }),
        response: { 200: ListJson(InvoiceJson), ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const instanceId = instanceActor(req).id;
      await getCustomer(ctx, req.params.id, instanceId); // another instance's customer is "not found"
      const page = await listInvoices(ctx, {
        customerId: req.params.id,
        instanceId,
        status: req.query.status,
        limit: clampLimit(req.query.limit),
        startingAfter: req.query.starting_after,
      });
      return listJson(page, invoiceJson);
    },
  );

  app.get(
    '/v1/invoices/:id',
    { schema: { summary: 'Get an invoice with its lines', tags: ['invoices'], security, params: IdParams, response: { 200: InvoiceJson, ...authedErrorResponses } } },
    async (req) => invoiceJson(await getInvoice(serviceContext(req, deps), req.params.id, instanceActor(req).id)),
  );

  app.get(
    '/v1/invoices/:id/pdf',
    {
      schema: {
        summary: 'The invoice as a PDF (application/pdf)',
        description: 'Finalized invoices only: a draft is a 409 (invoice_not_finalized), since it may still change.',
        tags: ['invoices'],
        security,
        params: IdParams,
        response: authedErrorResponses,
      },
    },
    async (req, reply) => sendInvoicePdf(reply, serviceContext(req, deps), req.params.id, deps.seller, { instanceId: instanceActor(req).id, allowDraft: false }),
  );
};
