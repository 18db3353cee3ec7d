/**
 * The invoice as a customer receives it: an A4 or US Letter PDF drawn with pdfkit's built-in Helvetica
 * (nothing to download, nothing embedded). The renderer takes plain data (`InvoicePdfView`) and prints the
 * numbers it is given — lines and totals straight from `totalInvoice` — after checking they add up.
 *
 * Layout: a dark header band (seller, "Invoice", number or DRAFT, status), invoice details next to an
 * amount-due card, From / Bill to, the memo, the lines table (repeated header on every page), the totals,
 * how to pay, and on every page a footer with "Page n of m". Drafts and voided invoices carry a watermark.
 *
 * Output is deterministic: the PDF's creation date (and so its file ID) is the issue date, so one view
 * always renders to the same bytes.
 */
import PDFDocument from 'pdfkit';
import type { InvoiceTotals, TotaledLine } from '../core/invoicing/invoice-totals.js';
import { normalizeCurrency } from '../core/money/currency.js';
import type { Decimal } from '../core/money/decimal.js';
import { formatMoney } from '../core/money/money.js';
import { TallyError } from '../shared/errors.js';
import { formatDate, formatPeriod, formatQuantity, formatUnitAmount, pdfAmount, winAnsiSafe } from './format.js';

export type InvoicePdfStatus = 'draft' | 'open' | 'paid' | 'void' | 'uncollectible';
export type InvoicePdfCollectionMethod = 'charge_automatically' | 'send_invoice';

export interface InvoicePdfTaxId {
  /** What the number is, as printed: `EU VAT`, `US EIN`, `GB VAT`. */
  readonly label: string;
  readonly value: string;
}

export interface InvoicePdfSeller {
  readonly name: string;
  readonly addressLines: readonly string[];
  readonly email: string | null;
  readonly taxId: InvoicePdfTaxId | null;
}

export interface InvoicePdfBuyer {
  readonly name: string;
  readonly billingEmail: string | null;
  readonly addressLines: readonly string[];
  readonly taxIds: readonly InvoicePdfTaxId[];
  /** The instance's team or organization ID the customer is known by (`team_8812`). */
  readonly externalId: string | null;
}

export interface InvoicePdfBankTransfer {
  readonly bankName: string;
  readonly accountHolder: string;
  readonly routingNumber: string;
  readonly accountNumber: string;
  /** `Checking`, `Savings`. */
  readonly accountType: string | null;
  readonly swift: string | null;
}

/** How a `send_invoice` invoice can be paid. Missing parts print placeholder text. */
export interface InvoicePdfPaymentInstructions {
  readonly bankTransfer: InvoicePdfBankTransfer | null;
  readonly cardPaymentUrl: string | null;
}

/** A line as `totalInvoice` returns it (a `TotaledLine` is assignable as is). Amounts in minor units. */
export type InvoicePdfLine = Pick<
  TotaledLine,
  'description' | 'period' | 'quantity' | 'unitAmount' | 'flatAmount' | 'tier' | 'tierFrom' | 'tierUpTo' | 'amount' | 'discountAmount'
>;

/** The invoice's totals as `totalInvoice` returns them (an `InvoiceTotals` is assignable as is). */
export type InvoicePdfTotals = Pick<InvoiceTotals, 'subtotal' | 'discountTotal' | 'total' | 'appliedBalance' | 'amountDue'>;

export interface InvoicePdfView {
  readonly seller: InvoicePdfSeller;
  readonly buyer: InvoicePdfBuyer;
  /** Null until the invoice is finalized: the document then says DRAFT. */
  readonly number: string | null;
  readonly status: InvoicePdfStatus;
  readonly issueDate: Date;
  readonly dueDate: Date | null;
  readonly period: { readonly start: Date; readonly end: Date } | null;
  readonly currency: string;
  readonly collectionMethod: InvoicePdfCollectionMethod;
  /** Printed for `send_invoice` invoices that are still to be paid. */
  readonly paymentInstructions: InvoicePdfPaymentInstructions | null;
  readonly memo: string | null;
  readonly footer: string | null;
  readonly lines: readonly InvoicePdfLine[];
  readonly totals: InvoicePdfTotals;
  /** The coupon behind `totals.discountTotal`, as the customer knows it (`LAUNCH20 (20% off)`). */
  readonly discountName: string | null;
  /** Payments received so far; printed when non-zero or when the invoice is paid. */
  readonly amountPaid: bigint;
  readonly paidAt: Date | null;
}

export interface InvoicePdfOptions {
  readonly size?: 'A4' | 'LETTER';
}

// ---------------------------------------------------------------------------------------------------------
// Look

const COLOR = {
  band: '#14213d',
  bandText: '#ffffff',
  bandMuted: '#b8c1d9',
  accent: '#2f6fed',
  text: '#1f2933',
  muted: '#6b7685',
  rule: '#dfe3ea',
  headBg: '#f2f4f8',
  card: '#f5f7fb',
  discount: '#1b7f4b',
  draft: '#c62828',
} as const;

const STATUS_STYLE: Record<InvoicePdfStatus, { label: string; bg: string; fg: string }> = {
  draft: { label: 'DRAFT', bg: '#fde8e8', fg: '#b42318' },
  open: { label: 'OPEN', bg: '#e3ecfd', fg: '#1d4ed8' },
  paid: { label: 'PAID', bg: '#dcf5e7', fg: '#146c43' },
  void: { label: 'VOID', bg: '#eceef2', fg: '#4b5563' },
  uncollectible: { label: 'UNCOLLECTIBLE', bg: '#fdf0dc', fg: '#9a5b00' },
};

const F = { regular: 'Helvetica', bold: 'Helvetica-Bold', italic: 'Helvetica-Oblique' } as const;

const MARGIN_X = 48;
const BAND_HEIGHT = 84;
const FOOTER_ZONE = 58; // from the page bottom: nothing but the footer below this
const CONT_TOP = 58; // where content starts on continuation pages

// ---------------------------------------------------------------------------------------------------------

export async function renderInvoicePdf(view: InvoicePdfView, options: InvoicePdfOptions = {}): Promise<Buffer> {
  checkTotals(view);
  const title = view.number ? `Invoice ${view.number}` : 'Draft invoice';
  const doc = new PDFDocument({
    size: options.size ?? 'A4',
    margin: 0, // all layout is explicit; a zero margin keeps pdfkit from breaking pages on its own
    bufferPages: true,
    autoFirstPage: false,
    info: {
      Creator: 'Tally',
      Title: winAnsiSafe(`${title} - ${view.seller.name}`),
      Author: winAnsiSafe(view.seller.name),
      Subject: winAnsiSafe(`${title} for ${view.buyer.name}`),
      CreationDate: view.issueDate,
      ModDate: view.issueDate,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (c: Buffer) => chunks.push(c));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  new InvoiceLayout(doc, view).draw();
  doc.end();
  return done;
}

/** A document whose numbers do not add up must not reach a customer. */
function checkTotals(view: InvoicePdfView): void {
  const t = view.totals;
  const sum = (xs: readonly bigint[]): bigint => xs.reduce((a, b) => a + b, 0n);
  const problems: string[] = [];
  if (sum(view.lines.map((l) => l.amount)) !== t.subtotal) problems.push('the line amounts do not add up to the subtotal');
  if (sum(view.lines.map((l) => l.discountAmount)) !== t.discountTotal) problems.push('the line discounts do not add up to the discount');
  if (t.subtotal - t.discountTotal !== t.total) problems.push('subtotal − discount ≠ total');
  if (t.total + t.appliedBalance !== t.amountDue) problems.push('total + applied balance ≠ amount due');
  if (problems.length > 0) {
    throw new TallyError('internal', 'inconsistent_invoice', `Cannot render invoice ${view.number ?? '(draft)'}: ${problems.join('; ')}.`);
  }
}

type Align = 'left' | 'right' | 'center';

interface TextOptions {
  font?: string;
  size?: number;
  color?: string;
  width?: number;
  align?: Align;
  /** Wrap within `width` (default: one line, shrunk to fit `width` if it is too long). */
  wrap?: boolean;
  lineGap?: number;
  link?: string;
}

class InvoiceLayout {
  private readonly doc: PDFKit.PDFDocument;
  private readonly view: InvoicePdfView;
  private readonly currency: string;
  private readonly pageW: number;
  private readonly pageH: number;
  private readonly contentW: number;
  private readonly bottom: number;
  private y = 0;

  // Lines table columns (x and width), computed from the page width.
  private readonly cols: { desc: [number, number]; qty: [number, number]; unit: [number, number]; amount: [number, number] };

  constructor(doc: PDFKit.PDFDocument, view: InvoicePdfView) {
    this.doc = doc;
    this.view = view;
    this.currency = normalizeCurrency(view.currency);
    doc.addPage();
    this.pageW = doc.page.width;
    this.pageH = doc.page.height;
    this.contentW = this.pageW - 2 * MARGIN_X;
    this.bottom = this.pageH - FOOTER_ZONE;
    const gap = 8;
    const amountW = 80;
    const unitW = 84;
    const qtyW = 66;
    const right = this.pageW - MARGIN_X;
    const amountX = right - amountW;
    const unitX = amountX - gap - unitW;
    const qtyX = unitX - gap - qtyW;
    this.cols = {
      desc: [MARGIN_X, qtyX - gap - MARGIN_X],
      qty: [qtyX, qtyW],
      unit: [unitX, unitW],
      amount: [amountX, amountW],
    };
  }

  draw(): void {
    this.watermark();
    this.headerBand();
    this.y = BAND_HEIGHT + 24;
    this.detailsAndSummary();
    this.parties();
    this.memo();
    this.linesTable();
    this.totalsBlock();
    this.paymentBlock();
    this.footers();
  }

  // ---- primitives ------------------------------------------------------------------------------------------

  private money(amount: bigint): string {
    return pdfAmount(formatMoney(amount, this.currency), this.currency);
  }

  private unit(amount: Decimal): string {
    return pdfAmount(formatUnitAmount(amount, this.currency), this.currency);
  }

  /** Draws text at (x, y); returns the height it took. */
  private text(s: string, x: number, y: number, o: TextOptions = {}): number {
    const doc = this.doc;
    const str = winAnsiSafe(s);
    let size = o.size ?? 9;
    doc.font(o.font ?? F.regular).fillColor(o.color ?? COLOR.text);
    if (!o.wrap && o.width !== undefined) {
      // One line: shrink rather than wrap or overflow a numeric column.
      doc.fontSize(size);
      while (size > 5 && doc.widthOfString(str) > o.width) {
        size -= 0.5;
        doc.fontSize(size);
      }
    }
    doc.fontSize(size);
    const opts: PDFKit.Mixins.TextOptions = {
      lineBreak: o.wrap === true,
      align: o.align ?? 'left',
      lineGap: o.lineGap ?? 1.5,
    };
    if (o.width !== undefined) opts.width = o.width;
    if (o.link !== undefined) opts.link = o.link;
    const h = o.width !== undefined && o.wrap ? doc.heightOfString(str, opts) : doc.currentLineHeight(true);
    doc.text(str, x, y, opts);
    return h;
  }

  private measure(s: string, width: number, font: string, size: number, lineGap = 1.5): number {
    this.doc.font(font).fontSize(size);
    return this.doc.heightOfString(winAnsiSafe(s), { width, lineGap });
  }

  private rule(x1: number, x2: number, y: number, color: string = COLOR.rule, width = 0.75): void {
    this.doc.save().moveTo(x1, y).lineTo(x2, y).lineWidth(width).strokeColor(color).stroke().restore();
  }

  private rect(x: number, y: number, w: number, h: number, color: string, radius = 0): void {
    const d = this.doc.save();
    (radius > 0 ? d.roundedRect(x, y, w, h, radius) : d.rect(x, y, w, h)).fill(color);
    d.restore();
  }

  private newPage(): void {
    this.doc.addPage();
    this.watermark();
    this.continuationHeader();
    this.y = CONT_TOP;
  }

  /** Starts a new page unless `height` fits below the cursor. */
  private ensure(height: number): boolean {
    if (this.y + height <= this.bottom) return false;
    this.newPage();
    return true;
  }

  // ---- page furniture --------------------------------------------------------------------------------------

  private watermark(): void {
    const mark = this.view.status === 'void' ? 'VOID' : this.view.number === null || this.view.status === 'draft' ? 'DRAFT' : null;
    if (!mark) return;
    const doc = this.doc;
    const cx = this.pageW / 2;
    const cy = this.pageH / 2 + 40;
    doc.save();
    doc.rotate(-32, { origin: [cx, cy] });
    doc.fillOpacity(0.07).fillColor(COLOR.draft).font(F.bold).fontSize(130);
    const w = doc.widthOfString(mark);
    doc.text(mark, cx - w / 2, cy - 50, { lineBreak: false });
    doc.restore();
  }

  private invoiceLabel(): string {
    return this.view.number ? `Invoice ${this.view.number}` : 'Draft invoice';
  }

  private headerBand(): void {
    const v = this.view;
    const right = this.pageW - MARGIN_X;
    this.rect(0, 0, this.pageW, BAND_HEIGHT, COLOR.band);
    this.rect(0, BAND_HEIGHT, this.pageW, 3, COLOR.accent);

    const leftW = this.contentW * 0.55;
    this.text(v.seller.name, MARGIN_X, 27, { font: F.bold, size: 18, color: COLOR.bandText, width: leftW });
    const sub = [v.seller.email, v.seller.taxId ? `${v.seller.taxId.label} ${v.seller.taxId.value}` : null].filter((s): s is string => !!s);
    if (sub.length > 0) this.text(sub.join('  ·  '), MARGIN_X, 51, { size: 8.5, color: COLOR.bandMuted, width: leftW });

    const rightW = this.contentW * 0.4;
    const rx = right - rightW;
    this.text('INVOICE', rx, 22, { font: F.bold, size: 20, color: COLOR.bandText, width: rightW, align: 'right' });
    const numberText = v.number ? v.number : 'DRAFT';
    this.text(numberText, rx, 45, { font: F.bold, size: 10, color: v.number ? COLOR.bandMuted : '#ffb4b4', width: rightW, align: 'right' });

    // Status pill (a draft already says DRAFT above it).
    if (v.status === 'draft' && !v.number) return;
    const st = STATUS_STYLE[v.status];
    this.doc.font(F.bold).fontSize(7.5);
    const pillW = this.doc.widthOfString(st.label) + 14;
    this.rect(right - pillW, 59, pillW, 14, st.bg, 7);
    this.text(st.label, right - pillW, 62.5, { font: F.bold, size: 7.5, color: st.fg, width: pillW, align: 'center' });
  }

  private continuationHeader(): void {
    this.rect(0, 0, this.pageW, 6, COLOR.band);
    const label = `${this.view.seller.name}  ·  ${this.invoiceLabel()}`;
    this.text(label, MARGIN_X, 24, { font: F.bold, size: 9, color: COLOR.text, width: this.contentW * 0.7 });
    this.text('continued', this.pageW - MARGIN_X - 120, 24, { size: 8.5, color: COLOR.muted, width: 120, align: 'right' });
  }

  private footers(): void {
    const doc = this.doc;
    const range = doc.bufferedPageRange();
    const total = range.count;
    const v = this.view;
    const footerText = v.footer ?? `${v.seller.name}  ·  ${this.invoiceLabel()}`;
    for (let i = 0; i < total; i++) {
      doc.switchToPage(range.start + i);
      const y = this.pageH - 40;
      this.rule(MARGIN_X, this.pageW - MARGIN_X, y - 8);
      const pageLabel = `Page ${i + 1} of ${total}`;
      const pageLabelW = 80;
      const leftW = this.contentW - pageLabelW - 16;
      doc.font(F.regular).fontSize(7.5).fillColor(COLOR.muted);
      doc.text(winAnsiSafe(footerText), MARGIN_X, y, {
        width: leftW,
        height: 20,
        ellipsis: true,
        lineGap: 1,
        lineBreak: true,
      });
      this.text(pageLabel, this.pageW - MARGIN_X - pageLabelW, y, { size: 7.5, color: COLOR.muted, width: pageLabelW, align: 'right' });
    }
  }

  // ---- first-page blocks -----------------------------------------------------------------------------------

  private detailsAndSummary(): void {
    const v = this.view;
    const top = this.y;
    const rows: [string, string][] = [
      ['Invoice number', v.number ?? 'Draft (numbered when finalized)'],
      ['Date of issue', formatDate(v.issueDate)],
    ];
    if (v.dueDate) rows.push(['Date due', formatDate(v.dueDate)]);
    if (v.period) rows.push(['Billing period', formatPeriod(v.period)]);
    rows.push(['Currency', this.currency]);
    rows.push(['Payment', v.collectionMethod === 'send_invoice' ? 'Bank transfer (ACH) or card' : 'Automatic charge']);

    const labelW = 86;
    const valueW = this.contentW * 0.52 - labelW;
    let y = top;
    for (const [label, value] of rows) {
      this.text(label, MARGIN_X, y, { size: 8.5, color: COLOR.muted, width: labelW });
      this.text(value, MARGIN_X + labelW, y, { font: F.bold, size: 8.5, width: valueW });
      y += 14;
    }

    // Amount card on the right.
    const cardW = this.contentW * 0.42;
    const cardX = this.pageW - MARGIN_X - cardW;
    const pad = 14;
    const paidInFull = v.status === 'paid';
    const heading = v.status === 'void' ? 'Voided' : paidInFull ? 'Amount paid' : 'Amount due';
    const big = paidInFull ? this.money(v.amountPaid) : this.money(v.totals.amountDue);
    let note: string;
    if (v.status === 'void') note = 'This invoice has been voided and is not payable.';
    else if (paidInFull) note = v.paidAt ? `Paid on ${formatDate(v.paidAt)} - thank you.` : 'Paid in full - thank you.';
    else if (v.collectionMethod === 'charge_automatically') note = 'Charged automatically to the payment method on file';
    else note = v.dueDate ? `Due ${formatDate(v.dueDate)}` : 'Due on receipt';
    const noteH = this.measure(note, cardW - 2 * pad, F.regular, 8.5);
    const cardH = Math.max(y - top + 4, pad + 12 + 28 + noteH + pad);
    this.rect(cardX, top - 6, cardW, cardH, COLOR.card, 6);
    this.rect(cardX, top - 6, 4, cardH, COLOR.accent);
    this.text(heading.toUpperCase(), cardX + pad, top + pad - 6, { font: F.bold, size: 7.5, color: COLOR.muted, width: cardW - 2 * pad });
    this.text(big, cardX + pad, top + pad + 8, { font: F.bold, size: 22, color: COLOR.text, width: cardW - 2 * pad });
    this.text(note, cardX + pad, top + pad + 38, { size: 8.5, color: COLOR.muted, width: cardW - 2 * pad, wrap: true });

    this.y = Math.max(y, top - 6 + cardH) + 18;
  }

  private parties(): void {
    const v = this.view;
    const colW = (this.contentW - 24) / 2;
    const seller: string[] = [...v.seller.addressLines];
    if (v.seller.email) seller.push(v.seller.email);
    if (v.seller.taxId) seller.push(`${v.seller.taxId.label}: ${v.seller.taxId.value}`);
    const buyer: string[] = [...v.buyer.addressLines];
    if (v.buyer.billingEmail) buyer.push(v.buyer.billingEmail);
    for (const t of v.buyer.taxIds) buyer.push(`${t.label}: ${t.value}`);
    if (v.buyer.externalId) buyer.push(`Account ID: ${v.buyer.externalId}`);

    const block = (x: number, heading: string, name: string, lines: string[]): number => {
      let y = this.y;
      this.text(heading.toUpperCase(), x, y, { font: F.bold, size: 7.5, color: COLOR.accent, width: colW });
      y += 13;
      y += this.text(name, x, y, { font: F.bold, size: 10.5, width: colW, wrap: true });
      y += 2;
      for (const line of lines) y += this.text(line, x, y, { size: 9, color: COLOR.text, width: colW, wrap: true, lineGap: 2 });
      return y;
    };
    const y1 = block(MARGIN_X, 'From', v.seller.name, seller);
    const y2 = block(MARGIN_X + colW + 24, 'Bill to', v.buyer.name, buyer);
    this.y = Math.max(y1, y2) + 16;
  }

  private memo(): void {
    const memo = this.view.memo?.trim();
    if (!memo) return;
    const w = this.contentW - 24;
    const h = this.measure(memo, w, F.regular, 9.5, 2) + 18;
    this.ensure(h + 10);
    this.rect(MARGIN_X, this.y, this.contentW, h, COLOR.card, 4);
    this.rect(MARGIN_X, this.y, 3, h, COLOR.accent);
    this.text(memo, MARGIN_X + 14, this.y + 9, { size: 9.5, width: w, wrap: true, lineGap: 2 });
    this.y += h + 16;
  }

  // ---- lines -----------------------------------------------------------------------------------------------

  private tableHeader(): void {
    const y = this.y;
    const h = 20;
    this.rect(MARGIN_X, y, this.contentW, h, COLOR.headBg);
    const o = { font: F.bold, size: 7.5, color: COLOR.muted } as const;
    const [dx, dw] = this.cols.desc;
    const [qx, qw] = this.cols.qty;
    const [ux, uw] = this.cols.unit;
    const [ax, aw] = this.cols.amount;
    this.text('DESCRIPTION', dx + 8, y + 7, { ...o, width: dw - 8 });
    this.text('QTY', qx, y + 7, { ...o, width: qw, align: 'right' });
    this.text('UNIT PRICE', ux, y + 7, { ...o, width: uw, align: 'right' });
    this.text('AMOUNT', ax, y + 7, { ...o, width: aw - 8, align: 'right' });
    this.y = y + h;
  }

  private lineDetails(line: InvoicePdfLine): string[] {
    const details: string[] = [];
    if (line.period) details.push(formatPeriod(line.period));
    if (line.tier !== null && !/\btier\b/i.test(line.description)) {
      const from = line.tierFrom ? formatQuantity(line.tierFrom) : '0';
      details.push(line.tierUpTo ? `Tier ${line.tier + 1}: above ${from} up to ${formatQuantity(line.tierUpTo)}` : `Tier ${line.tier + 1}: above ${from}`);
    }
    if (line.flatAmount && !line.flatAmount.isZero() && line.unitAmount !== null) {
      details.push(`Includes a flat fee of ${this.unit(line.flatAmount)}`);
    }
    return details;
  }

  private linesTable(): void {
    const v = this.view;
    const [dx, dw] = this.cols.desc;
    const [qx, qw] = this.cols.qty;
    const [ux, uw] = this.cols.unit;
    const [ax, aw] = this.cols.amount;
    const descW = dw - 8;
    const padY = 6;

    this.ensure(20 + 40);
    this.tableHeader();
    if (v.lines.length === 0) {
      this.text('No line items.', dx + 8, this.y + padY, { size: 9, color: COLOR.muted });
      this.y += 26;
    }
    v.lines.forEach((line, i) => {
      const details = this.lineDetails(line);
      const detailText = details.join('  ·  ');
      const descH = this.measure(line.description, descW, F.regular, 9.5);
      const detailH = detailText ? this.measure(detailText, descW, F.regular, 7.5) + 2 : 0;
      const discountH = line.discountAmount !== 0n ? 12 : 0;
      const rowH = padY + descH + detailH + discountH + padY;
      if (this.ensure(rowH)) this.tableHeader();

      let y = this.y + padY;
      this.text(line.description, dx + 8, y, { size: 9.5, width: descW, wrap: true });
      this.text(formatQuantity(line.quantity), qx, y, { size: 9.5, width: qw, align: 'right' });
      const unitText = line.unitAmount !== null ? this.unit(line.unitAmount) : line.flatAmount !== null ? this.unit(line.flatAmount) : '–';
      this.text(unitText, ux, y, { size: 9.5, width: uw, align: 'right' });
      this.text(this.money(line.amount), ax, y, { size: 9.5, width: aw - 8, align: 'right' });
      y += descH;
      if (detailText) {
        this.text(detailText, dx + 8, y + 1, { size: 7.5, color: COLOR.muted, width: descW, wrap: true });
        y += detailH;
      }
      if (line.discountAmount !== 0n) {
        const label = v.discountName ? `Discount (${v.discountName})` : 'Discount';
        this.text(label, dx + 8, y + 1, { size: 7.5, color: COLOR.discount, width: descW });
        this.text(this.money(-line.discountAmount), ax, y + 1, { size: 7.5, color: COLOR.discount, width: aw - 8, align: 'right' });
      }
      this.y += rowH;
      if (i < v.lines.length - 1) this.rule(MARGIN_X, this.pageW - MARGIN_X, this.y);
    });
    this.rule(MARGIN_X, this.pageW - MARGIN_X, this.y, '#c5ccd8', 1);
    this.y += 14;
  }

  // ---- totals and payment ----------------------------------------------------------------------------------

  private totalsBlock(): void {
    const v = this.view;
    const t = v.totals;
    type Row = { label: string; value: string; strong?: 'total' | 'due'; color?: string };
    const rows: Row[] = [{ label: 'Subtotal', value: this.money(t.subtotal) }];
    if (t.discountTotal !== 0n) {
      rows.push({ label: v.discountName ? `Discount (${v.discountName})` : 'Discount', value: this.money(-t.discountTotal), color: COLOR.discount });
    }
    rows.push({ label: 'Total', value: this.money(t.total), strong: 'total' });
    if (t.appliedBalance < 0n) rows.push({ label: 'Credit applied (customer balance)', value: this.money(t.appliedBalance), color: COLOR.discount });
    if (t.appliedBalance > 0n) rows.push({ label: 'Balance from earlier invoices', value: this.money(t.appliedBalance) });
    rows.push({ label: 'Amount due', value: this.money(t.amountDue), strong: 'due' });
    if (v.status === 'paid' || v.amountPaid !== 0n) {
      rows.push({ label: v.paidAt ? `Amount paid (${formatDate(v.paidAt)})` : 'Amount paid', value: this.money(v.amountPaid) });
      rows.push({ label: 'Amount remaining', value: this.money(t.amountDue - v.amountPaid), strong: 'total' });
    }

    const blockW = Math.min(300, this.contentW * 0.6);
    const x = this.pageW - MARGIN_X - blockW;
    const valueW = 110;
    const labelW = blockW - valueW - 8;
    const height = rows.reduce((h, r) => h + (r.strong === 'due' ? 30 : 18), 0) + 8;
    this.ensure(height);
    let y = this.y;
    for (const r of rows) {
      if (r.strong === 'due') {
        this.rect(x - 8, y + 2, blockW + 8, 26, COLOR.headBg, 3);
        this.text(r.label, x, y + 10, { font: F.bold, size: 10.5, width: labelW });
        this.text(r.value, x + labelW + 8, y + 9, { font: F.bold, size: 12, width: valueW - 8, align: 'right' });
        y += 30;
        continue;
      }
      if (r.strong === 'total') this.rule(x, x + blockW, y, '#c5ccd8', 0.75);
      const font = r.strong ? F.bold : F.regular;
      this.text(r.label, x, y + 5, { font, size: 9, color: r.color ?? COLOR.text, width: labelW });
      this.text(r.value, x + labelW + 8, y + 5, { font, size: 9, color: r.color ?? COLOR.text, width: valueW - 8, align: 'right' });
      y += 18;
    }
    this.y = y + 20;
  }

  private paymentBlock(): void {
    const v = this.view;
    if (v.collectionMethod !== 'send_invoice' || v.status === 'paid' || v.status === 'void' || v.totals.amountDue <= 0n) return;
    const pi = v.paymentInstructions;
    const bank = pi?.bankTransfer ?? null;
    const reference = v.number ?? 'the invoice number (assigned when the invoice is finalized)';

    const bankRows: [string, string][] = bank
      ? [
          ['Bank', bank.bankName],
          ['Account holder', bank.accountHolder],
          ['Routing number (ABA)', bank.routingNumber],
          ['Account number', bank.accountNumber],
          ...(bank.accountType ? ([['Account type', bank.accountType]] as [string, string][]) : []),
          ...(bank.swift ? ([['SWIFT / BIC', bank.swift]] as [string, string][]) : []),
          ['Reference', reference],
        ]
      : [];
    const colGap = 24;
    const leftW = (this.contentW - colGap) * 0.56;
    const rightW = this.contentW - colGap - leftW;
    const rowH = 13.5;
    const bankNote = bank ? null : `Bank transfer details are available from ${v.seller.email ?? v.seller.name}. Please quote ${reference} as the reference.`;
    const leftH = bank ? bankRows.length * rowH : this.measure(bankNote ?? '', leftW, F.regular, 8.5);
    const cardText = pi?.cardPaymentUrl
      ? 'Pay securely online by credit or debit card:'
      : 'Pay by credit or debit card using the secure payment link in the email that came with this invoice.';
    const rightH = this.measure(cardText, rightW, F.regular, 8.5) + (pi?.cardPaymentUrl ? 14 : 0);
    const height = 22 + 16 + Math.max(leftH, rightH) + 10;
    this.ensure(height);

    let y = this.y;
    this.text('How to pay', MARGIN_X, y, { font: F.bold, size: 11 });
    const due = v.dueDate ? `${this.money(v.totals.amountDue)} due by ${formatDate(v.dueDate)}` : `${this.money(v.totals.amountDue)} due on receipt`;
    this.text(due, MARGIN_X + 90, y + 2, { size: 8.5, color: COLOR.muted, width: this.contentW - 90, align: 'right' });
    y += 18;
    this.rule(MARGIN_X, this.pageW - MARGIN_X, y);
    y += 10;

    const rx = MARGIN_X + leftW + colGap;
    this.text('Bank transfer (ACH)', MARGIN_X, y, { font: F.bold, size: 9, color: COLOR.accent, width: leftW });
    this.text('Card', rx, y, { font: F.bold, size: 9, color: COLOR.accent, width: rightW });
    y += 15;
    if (bank) {
      let by = y;
      for (const [label, value] of bankRows) {
        this.text(label, MARGIN_X, by, { size: 8.5, color: COLOR.muted, width: 104 });
        this.text(value, MARGIN_X + 108, by, { font: F.bold, size: 8.5, width: leftW - 108 });
        by += rowH;
      }
    } else {
      this.text(bankNote ?? '', MARGIN_X, y, { size: 8.5, width: leftW, wrap: true });
    }
    const cardH = this.text(cardText, rx, y, { size: 8.5, width: rightW, wrap: true });
    if (pi?.cardPaymentUrl) {
      this.text(pi.cardPaymentUrl, rx, y + cardH + 2, { size: 8.5, color: COLOR.accent, width: rightW, link: pi.cardPaymentUrl });
    }
    this.y = y + Math.max(leftH, rightH) + 16;
  }
}
