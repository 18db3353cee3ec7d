/** Invoice views for the document tests, with totals computed by the real `totalInvoice`. */
import type { DraftLine } from '../../src/core/invoicing/invoice-lines.js';
import { totalInvoice, type InvoiceDiscountInput } from '../../src/core/invoicing/invoice-totals.js';
import { Decimal } from '../../src/core/money/decimal.js';
import type { InvoicePdfView } from '../../src/documents/invoice-pdf.js';

const d = (s: string): Decimal => Decimal.parse(s);
export const utc = (s: string): Date => new Date(`${s}T00:00:00Z`);

export const YEAR = { start: utc('2026-11-22'), end: utc('2027-11-22') };
export const MONTH = { start: utc('2026-10-22'), end: utc('2026-11-22') };

/** A line whose amount is quantity × unit (+ flat), rounded once — as the rating does it. */
export function line(args: {
  description: string;
  quantity: string;
  unit: string | null;
  flat?: string;
  productKey?: string | null;
  period?: { start: Date; end: Date } | null;
  tier?: { index: number; from: string | null; upTo: string | null };
  discountable?: boolean;
  source?: DraftLine['source'];
}): DraftLine {
  const quantity = d(args.quantity);
  const unitAmount = args.unit === null ? null : d(args.unit);
  const flatAmount = args.flat ? d(args.flat) : null;
  const amount = (unitAmount ? quantity.mulToInteger(unitAmount) : 0n) + (flatAmount ? flatAmount.toInteger() : 0n);
  return {
    description: args.description,
    source: args.source ?? 'manual',
    productKey: args.productKey ?? null,
    priceKey: null,
    period: args.period === undefined ? YEAR : args.period,
    quantity,
    unitAmount,
    flatAmount,
    tier: args.tier?.index ?? null,
    tierFrom: args.tier?.from ? d(args.tier.from) : null,
    tierUpTo: args.tier?.upTo ? d(args.tier.upTo) : null,
    amount,
    discountable: args.discountable ?? true,
  };
}

export const SELLER: InvoicePdfView['seller'] = {
  name: 'Northwind Analytics, Inc.',
  addressLines: ['548 Market Street, Suite 12345', 'San Francisco, CA 94104', 'United States'],
  email: 'billing@northwind.example',
  taxId: { label: 'US EIN', value: '12-3456789' },
};

export const BUYER: InvoicePdfView['buyer'] = {
  name: 'Acme Robotics GmbH',
  billingEmail: 'accounts-payable@acme-robotics.example',
  addressLines: ['Lindenstraße 12', '10969 Berlin', 'Germany'],
  taxIds: [{ label: 'EU VAT', value: 'DE123456789' }],
  externalId: 'org_7f3k2p9q',
};

export const BANK = {
  bankName: 'First Republic Example Bank',
  accountHolder: 'Northwind Analytics, Inc.',
  routingNumber: '021000021',
  accountNumber: '000123456789',
  accountType: 'Checking',
  swift: 'FREXUS33',
};

/** The annual invoice of R18: an accepted quote, paid by ACH or card, with a coupon and a credit. */
export function annualUsdLines(): DraftLine[] {
  return [
    line({ description: 'Product analytics — Enterprise annual platform fee', quantity: '1', unit: '1200000', productKey: 'product_analytics', source: 'up_front' }),
    line({
      description: 'Product analytics — 1,000,000 events (tier 1: 0–1,000,000)',
      quantity: '1000000',
      unit: '0',
      productKey: 'product_analytics',
      period: MONTH,
      tier: { index: 0, from: null, upTo: '1000000' },
      source: 'usage',
    }),
    line({
      description: 'Product analytics — 2,500,000 events (tier 2: 1,000,001–∞)',
      quantity: '2500000',
      unit: '0.005',
      productKey: 'product_analytics',
      period: MONTH,
      tier: { index: 1, from: '1000000', upTo: null },
      source: 'usage',
    }),
    line({ description: 'Session replay — 15,000 recordings', quantity: '15000', unit: '0.5', productKey: 'session_replay', period: MONTH, source: 'usage' }),
    line({ description: 'Data pipelines — 12,345,678 rows', quantity: '12345678', unit: '0.00125', flat: '5000', productKey: 'data_pipelines', period: MONTH, source: 'usage' }),
    line({ description: 'Onboarding and implementation services (40 hours)', quantity: '40', unit: '25000', period: null, discountable: false }),
  ];
}

export function makeView(overrides: Partial<InvoicePdfView> & { draftLines?: DraftLine[]; discount?: InvoiceDiscountInput | null; balance?: bigint } = {}): InvoicePdfView {
  const { draftLines, discount, balance, ...rest } = overrides;
  const totals = totalInvoice({
    lines: draftLines ?? annualUsdLines(),
    discount:
      discount === undefined
        ? { couponId: 'co_launch20', discount: { type: 'percent', percent: d('20') }, productKeys: ['product_analytics'] }
        : discount,
    customerBalance: balance ?? -5000n,
  });
  return {
    seller: SELLER,
    buyer: BUYER,
    number: 'NW-2026-0042',
    status: 'open',
    issueDate: utc('2026-11-22'),
    dueDate: utc('2026-12-22'),
    period: YEAR,
    currency: 'usd',
    collectionMethod: 'send_invoice',
    paymentInstructions: { bankTransfer: BANK, cardPaymentUrl: 'https://pay.northwind.example/i/NW-2026-0042' },
    memo: 'Accepted quote Q-2026-014. Annual Enterprise agreement, 22 Nov 2026 – 22 Nov 2027.',
    footer: 'Northwind Analytics, Inc. · Questions about this invoice? Write to billing@northwind.example. Thank you for your business.',
    lines: totals.lines,
    totals,
    discountName: 'LAUNCH20, 20% off',
    amountPaid: 0n,
    paidAt: null,
    ...rest,
  };
}
