/** Request pieces and the PDF reply shared by the instance and admin invoice routes. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { ServiceContext } from '../../billing/context.js';
import type { ManualLineInput } from '../../billing/invoices/manual-lines.js';
import { invoicePdfView, type SellerDetails } from '../../billing/invoices/pdf-view.js';
import { renderInvoicePdf } from '../../documents/invoice-pdf.js';
import { conflict, invalid } from '../../shared/errors.js';
import type { RouteDeps } from '../auth.js';

export interface InvoiceRouteDeps extends RouteDeps {
  seller: SellerDetails;
}

const DecimalInput = z.union([z.string().max(60), z.number()]);
export const DateInput = z.string().max(40).describe('ISO 8601 date (2026-12-01, midnight UTC) or date-time with offset');

export const LineBody = z.strictObject({
  price: z.string().min(1).max(200).optional().describe('A catalog price key: the line is rated through that price (one line per tier touched)'),
  quantity: DecimalInput.optional().describe('Decimal; default 1'),
  description: z.string().max(500).optional().describe('Custom lines: what is billed'),
  unit_amount: DecimalInput.optional().describe('Custom lines: minor units per unit, up to 12 decimal places'),
  period: z.strictObject({ start: DateInput, end: DateInput }).optional().describe('Default: the invoice period'),
  discountable: z.boolean().optional().describe('Custom lines: whether a coupon may reduce it (default true)'),
});

/** `2026-12-01` (midnight UTC) or a date-time with an offset; anything else is a 400 naming `param`. */
export function parseInstant(value: string, param: string): Date {
  const s = value.trim();
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const dateTime = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/i.test(s);
  const d = new Date(dateOnly ? `${s}T00:00:00Z` : s);
  if ((!dateOnly && !dateTime) || Number.isNaN(d.getTime())) {
    throw invalid('date_invalid', `'${value}' is not an ISO 8601 date (2026-12-01) or date-time with an offset (2026-12-01T09:00:00Z).`, param);
  }
  if (dateOnly && d.toISOString().slice(0, 10) !== s) throw invalid('date_invalid', `'${value}' is not a calendar date.`, param);
  return d;
}

export const parseOptionalInstant = (value: string | null | undefined, param: string): Date | null | undefined =>
  value === undefined ? undefined : value === null ? null : parseInstant(value, param);

/** A request line → the service's input: a catalog price, or a description with a unit amount. */
export function toLineInput(b: z.infer<typeof LineBody>, prefix: string): ManualLineInput {
  const period = b.period ? { start: parseInstant(b.period.start, `${prefix}period.start`), end: parseInstant(b.period.end, `${prefix}period.end`) } : undefined;
  if (b.price !== undefined) {
    const extra = (['description', 'unit_amount', 'discountable'] as const).find((k) => b[k] !== undefined);
    if (extra) throw invalid('line_ambiguous', `A line is either at a catalog price or custom: '${extra}' does not go with 'price'.`, `${prefix}${extra}`);
    return { price: b.price, quantity: b.quantity, period };
  }
  if (b.unit_amount === undefined) throw invalid('line_incomplete', 'A line needs a catalog price, or a description and a unit_amount.', `${prefix}${b.description === undefined ? 'price' : 'unit_amount'}`);
  return { description: b.description ?? '', unitAmount: b.unit_amount, quantity: b.quantity, period, discountable: b.discountable };
}

/**
 * Renders and sends an invoice document. Drafts are rendered only when `allowDraft` (staff reviewing one:
 * it carries a DRAFT watermark and no number); elsewhere a draft is a 409, since a customer must never hold
 * a document that can still change.
 */
export async function sendInvoicePdf(
  reply: FastifyReply,
  ctx: ServiceContext,
  invoiceId: string,
  seller: SellerDetails,
  opts: { instanceId?: string; allowDraft: boolean },
): Promise<FastifyReply> {
  const view = await invoicePdfView(ctx, invoiceId, seller, opts.instanceId);
  if (view.status === 'draft' && !opts.allowDraft) {
    throw conflict('invoice_not_finalized', `Invoice ${invoiceId} is a draft: its PDF is available once it is finalized.`, 'status');
  }
  const pdf = await renderInvoicePdf(view);
  const name = view.number ?? `draft-${invoiceId}`;
  return reply
    .header('content-type', 'application/pdf')
    .header('content-disposition', `inline; filename="${name}.pdf"`)
    .header('cache-control', 'private, no-store')
    .send(pdf);
}
