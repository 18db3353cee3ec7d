import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { previewUpcomingInvoice, type UpcomingInvoice } from '../../billing/invoicing/index.js';
import { invalid, notFound } from '../../shared/errors.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams } from '../schemas.js';
import { LineBodyJson, lineBodyJson } from '../serialize-invoices.js';
import { minorToJson } from '../../core/money/index.js';

const Amount = z.number().int().describe('Minor units');


export const UpcomingInvoiceJson = z
  .object({
    object: z.literal('upcoming_invoice'),
    customer: z.string(),
    subscription: z.string(),
    currency: z.string(),
    period: z.object({ start: z.string(), end: z.string().describe('Now: usage so far') }),
    closes_at: z.string().describe('When the period ends and the real invoice is made'),
    coupon: z.string().nullable(),
    lines: z.array(LineBodyJson),
    subtotal: Amount,
    discount_total: Amount,
    total: Amount,
    starting_balance: Amount.describe('Customer balance now; negative = credit'),
    applied_balance: Amount,
    amount_due: Amount,
  })
  .meta({ id: 'UpcomingInvoice' });

function upcomingJson(u: UpcomingInvoice): z.infer<typeof UpcomingInvoiceJson> {
  const t = u.totals;
  return {
    object: 'upcoming_invoice',
    customer: u.customerId,
    subscription: u.subscriptionId,
    currency: u.currency.toLowerCase(),
    period: { start: u.periodStart.toISOString(), end: u.periodEnd.toISOString() },
    closes_at: u.closesAt.toISOString(),
    coupon: u.discount?.couponId ?? null,
    lines: t.lines.map(lineBodyJson),
    subtotal: minorToJson(t.subtotal),
    discount_total: minorToJson(t.discountTotal),
    total: minorToJson(t.total),
    starting_balance: minorToJson(t.startingBalance),
    applied_balance: minorToJson(t.appliedBalance),
    amount_due: minorToJson(t.amountDue),
  };
}

/** The upcoming-invoice preview, for instances (own customers) and staff (e.g. before changing a plan). */
export const upcomingInvoiceRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  for (const [prefix, security, config] of [
    ['/v1', [{ instanceKey: [] }], {}],
    ['/admin/v1', [{ staff: [] }], { minRole: 'viewer' as const }],
  ] as const) {
    app.get(
      `${prefix}/customers/:id/upcoming-invoice`,
      {
        config,
        schema: {
          summary: 'What would be billed if the current period closed now (nothing is written)',
          tags: [prefix === '/v1' ? 'invoices' : 'admin: invoices'],
          security: [...security],
          params: IdParams,
          querystring: z.object({
            product: z.string().min(1).optional().describe('Preview a plan change of this product (immediate, no proration, R10)'),
            plan: z.string().min(1).optional().describe("With product: the new plan (default: the product's default plan)"),
            price: z.string().min(1).optional().describe('With product: a specific price instead of the plan'),
          }),
          response: { 200: UpcomingInvoiceJson, ...authedErrorResponses },
        },
      },
      async (req) => {
        const q = req.query;
        if ((q.plan || q.price) && !q.product) throw invalid('product_required', 'Give the product whose plan change to preview.', 'product');
        const change = q.product ? { product: q.product, plan: q.plan, price: q.price } : undefined;
        const u = await previewUpcomingInvoice(serviceContext(req, deps), req.params.id, change);
        if (!u) throw notFound('live subscription for customer', req.params.id, 'id');
        return upcomingJson(u);
      },
    );
  }
};
