import type { InvoicePdfBankTransfer, InvoicePdfSeller, InvoicePdfTaxId, InvoicePdfView } from '../../documents/invoice-pdf.js';
import type { ServiceContext } from '../context.js';
import { getCustomer, type Address, type TaxId } from '../customers/customers.js';
import { getInvoice } from './read.js';

/** Who issues the invoices and how they are paid: from the settings (TALLY_SELLER_*, TALLY_BANK_*). */
export interface SellerDetails {
  readonly seller: InvoicePdfSeller;
  /** ACH instructions printed on send_invoice invoices that accept `us_bank_account`; null = "ask the seller". */
  readonly bankTransfer: InvoicePdfBankTransfer | null;
  readonly cardPaymentUrl: string | null;
}

const TAX_ID_LABELS: Record<string, string> = {
  eu_vat: 'EU VAT',
  gb_vat: 'GB VAT',
  us_ein: 'US EIN',
  ca_bn: 'CA BN',
  au_abn: 'AU ABN',
  ch_vat: 'CH VAT',
  no_vat: 'NO VAT',
  in_gst: 'IN GST',
};

export const taxIdLabel = (type: string): string => TAX_ID_LABELS[type] ?? type.replace(/_/g, ' ').toUpperCase();

export function addressLines(a: Address | null): string[] {
  if (!a) return [];
  const cityLine = [a.city, [a.state, a.postal_code].filter(Boolean).join(' ')].filter(Boolean).join(', ');
  return [a.line1, a.line2, cityLine, a.country].filter((s): s is string => typeof s === 'string' && s.trim() !== '');
}

const taxIds = (ids: readonly TaxId[]): InvoicePdfTaxId[] => ids.map((t) => ({ label: taxIdLabel(t.type), value: t.value }));

/**
 * The document view of an invoice: the stored lines and totals as they are (the renderer checks that they
 * add up), the customer as buyer, and payment instructions for invoices the customer pays themselves.
 * With `instanceId`, another instance's invoice is not found (R1).
 */
export async function invoicePdfView(ctx: ServiceContext, invoiceId: string, seller: SellerDetails, instanceId?: string): Promise<InvoicePdfView> {
  const inv = await getInvoice(ctx, invoiceId, instanceId);
  const customer = await getCustomer(ctx, inv.customerId);
  const acceptsAch = inv.paymentMethodTypes.includes('us_bank_account');
  const acceptsCard = inv.paymentMethodTypes.includes('card');
  return {
    seller: seller.seller,
    buyer: {
      name: customer.name ?? customer.billingEmail ?? customer.externalId,
      billingEmail: customer.billingEmail,
      addressLines: addressLines(customer.address),
      taxIds: taxIds(customer.taxIds),
      externalId: customer.externalId,
    },
    number: inv.number,
    status: inv.status,
    issueDate: inv.finalizedAt ?? inv.createdAt,
    dueDate: inv.dueDate,
    period: inv.periodStart && inv.periodEnd ? { start: inv.periodStart, end: inv.periodEnd } : null,
    currency: inv.currency,
    collectionMethod: inv.collectionMethod,
    paymentInstructions:
      inv.collectionMethod === 'send_invoice'
        ? { bankTransfer: acceptsAch ? seller.bankTransfer : null, cardPaymentUrl: acceptsCard ? seller.cardPaymentUrl : null }
        : null,
    memo: inv.memo,
    footer: inv.footer,
    lines: inv.lines,
    totals: inv,
    discountName: inv.discount ? (inv.discount.name ?? inv.discount.couponId) : null,
    amountPaid: inv.amountPaid,
    paidAt: inv.paidAt,
  };
}
