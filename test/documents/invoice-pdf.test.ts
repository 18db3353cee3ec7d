import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../src/core/money/decimal.js';
import { formatMoney } from '../../src/core/money/money.js';
import { formatQuantity, formatUnitAmount, winAnsiSafe } from '../../src/documents/format.js';
import { renderInvoicePdf, type InvoicePdfView } from '../../src/documents/invoice-pdf.js';
import { pdfText } from '../support/pdf-text.js';
import { annualUsdLines, line, makeView, MONTH, utc } from './invoice-fixtures.js';

/** All pages' text with every whitespace run made one space. */
const flat = (pages: string[]): string => pages.join('\n').replace(/\s+/g, ' ');
/** All pages' text without whitespace: wrapped descriptions and row cells read as one string. */
const compact = (pages: string[]): string => pages.join('').replace(/\s+/g, '');
const squash = (s: string): string => s.replace(/\s+/g, '');

async function textOf(view: InvoicePdfView, size?: 'A4' | 'LETTER'): Promise<string[]> {
  return pdfText(await renderInvoicePdf(view, size ? { size } : {}));
}

describe('renderInvoicePdf — the annual USD invoice (R18)', () => {
  const view = makeView();

  it('is a PDF', async () => {
    const pdf = await renderInvoicePdf(view);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.subarray(-6).toString('latin1')).toContain('%%EOF');
  });

  it('prints seller and buyer details, the number, dates and the memo', async () => {
    const text = flat(await textOf(view));
    for (const s of [
      'Northwind Analytics, Inc.',
      '548 Market Street, Suite 12345',
      'San Francisco, CA 94104',
      'billing@northwind.example',
      'US EIN: 12-3456789',
      'Acme Robotics GmbH',
      'Lindenstraße 12',
      '10969 Berlin',
      'accounts-payable@acme-robotics.example',
      'EU VAT: DE123456789',
      'Account ID: org_7f3k2p9q',
      'INVOICE',
      'Invoice number NW-2026-0042',
      'Date of issue 22 Nov 2026',
      'Date due 22 Dec 2026',
      'Billing period 22 Nov 2026 – 22 Nov 2027',
      'Currency USD',
      'Due 22 Dec 2026',
      'Accepted quote Q-2026-014',
      'Questions about this invoice? Write to billing@northwind.example.',
      'OPEN',
    ]) {
      expect(text).toContain(s);
    }
    expect(text).not.toContain('DRAFT');
  });

  it('prints every line in one row: description, quantity, unit price, amount', async () => {
    const text = compact(await textOf(view));
    for (const l of view.lines) {
      const unit = l.unitAmount ? formatUnitAmount(l.unitAmount, 'USD') : '';
      const row = `${winAnsiSafe(l.description)}${formatQuantity(l.quantity)}${unit}${formatMoney(l.amount, 'USD')}`;
      expect(text).toContain(squash(row));
    }
    // Hand-checked rows.
    expect(text).toContain(squash('Product analytics — 2,500,000 events (tier 2: 1,000,001+) 2,500,000 $0.00005 $125.00'));
    expect(text).toContain(squash('Data pipelines — 12,345,678 rows 12,345,678 $0.0000125 $204.32'));
    expect(text).toContain(squash('Onboarding and implementation services (40 hours) 40 $250.00 $10,000.00'));
    // A $0 tier still shows its quantity (R4).
    expect(text).toContain(squash('1,000,000 $0.00 $0.00'));
  });

  it('prints line periods, flat fees and per-line discounts', async () => {
    const text = flat(await textOf(view));
    expect(text).toContain('22 Oct – 22 Nov 2026');
    expect(text).toContain('Includes a flat fee of $50.00');
    // 20% of the product-analytics lines, spread over them: $2,400.00 + $25.00.
    expect(text).toContain('Discount (LAUNCH20, 20% off) -$2,400.00');
    expect(text).toContain('Discount (LAUNCH20, 20% off) -$25.00');
  });

  it('prints subtotal, discount, total, credit applied and amount due (hand-checked)', async () => {
    const text = flat(await textOf(view));
    expect(text).toContain('Subtotal $22,404.32');
    expect(text).toContain('Discount (LAUNCH20, 20% off) -$2,425.00');
    expect(text).toContain('Total $19,979.32');
    expect(text).toContain('Credit applied (customer balance) -$50.00');
    expect(text).toContain('Amount due $19,929.32');
    expect(text).toContain('AMOUNT DUE $19,929.32');
  });

  it('prints payment instructions for send_invoice: ACH details and the card link', async () => {
    const text = flat(await textOf(view));
    for (const s of [
      'How to pay',
      '$19,929.32 due by 22 Dec 2026',
      'Bank transfer (ACH)',
      'Bank First Republic Example Bank',
      'Routing number (ABA) 021000021',
      'Account number 000123456789',
      'SWIFT / BIC FREXUS33',
      'Reference NW-2026-0042',
      'Pay securely online by credit or debit card:',
      'https://pay.northwind.example/i/NW-2026-0042',
    ]) {
      expect(text).toContain(s);
    }
  });

  it('prints placeholder text where payment details are missing', async () => {
    const text = flat(await textOf(makeView({ paymentInstructions: null })));
    expect(text).toContain('Bank transfer details are available from billing@northwind.example');
    expect(text).toContain('Pay by credit or debit card using the secure payment link in the email that came with this invoice.');
    expect(text).not.toContain('Routing number');
  });

  it('prints no payment instructions for charge_automatically', async () => {
    const text = flat(await textOf(makeView({ collectionMethod: 'charge_automatically', dueDate: null })));
    expect(text).toContain('Charged automatically to the payment method on file');
    expect(text).toContain('Payment Automatic charge');
    for (const s of ['How to pay', 'Routing number', 'Bank transfer (ACH)', 'https://pay.northwind.example', 'Date due']) {
      expect(text).not.toContain(s);
    }
  });
});

describe('renderInvoicePdf — currencies', () => {
  it('EUR: euro amounts with two decimals and a fixed coupon', async () => {
    const view = makeView({
      currency: 'eur',
      draftLines: [
        line({ description: 'Team plan — 12 seats', quantity: '12', unit: '4999', period: MONTH }),
        line({ description: 'Storage — 1,234.5 GB', quantity: '1234.5', unit: '2.5', period: MONTH }),
      ],
      discount: { couponId: 'co_x', discount: { type: 'fixed', amount: 10000n }, productKeys: null },
      discountName: 'WELCOME100',
      balance: -2000n,
    });
    const pages = await textOf(view);
    const text = flat(pages);
    expect(compact(pages)).toContain(squash('Team plan — 12 seats 12 €49.99 €599.88'));
    expect(compact(pages)).toContain(squash('Storage — 1,234.5 GB 1,234.5 €0.025 €30.86'));
    expect(text).toContain('Subtotal €630.74');
    expect(text).toContain('Discount (WELCOME100) -€100.00');
    expect(text).toContain('Total €530.74');
    expect(text).toContain('Credit applied (customer balance) -€20.00');
    expect(text).toContain('Amount due €510.74');
    expect(text).toContain('Currency EUR');
    expect(text).not.toContain('$');
  });

  it('JPY: zero-decimal amounts (¥1,000, never ¥10.00), fractional yen unit prices', async () => {
    const view = makeView({
      currency: 'JPY',
      draftLines: [
        line({ description: 'Starter plan — monthly fee', quantity: '1', unit: '1000', period: MONTH }),
        line({ description: 'API calls — 123,456 calls', quantity: '123456', unit: '0.05', period: MONTH }),
      ],
      discount: { couponId: 'co_y', discount: { type: 'percent', percent: Decimal.parse('10') }, productKeys: null },
      discountName: 'TEN',
      balance: -500n,
    });
    const pages = await textOf(view);
    const text = flat(pages);
    expect(compact(pages)).toContain(squash('Starter plan — monthly fee 1 ¥1,000 ¥1,000'));
    expect(compact(pages)).toContain(squash('API calls — 123,456 calls 123,456 ¥0.05 ¥6,173'));
    expect(text).toContain('Subtotal ¥7,173');
    expect(text).toContain('Discount (TEN) -¥717');
    expect(text).toContain('Total ¥6,456');
    expect(text).toContain('Credit applied (customer balance) -¥500');
    expect(text).toContain('Amount due ¥5,956');
    expect(text).not.toContain('¥10.00');
    expect(text).not.toMatch(/¥[1-9][\d,]*\.\d\d\b/); // no whole-yen amount with decimals
  });

  it('a currency whose symbol Helvetica cannot draw is written with its code', async () => {
    const view = makeView({
      currency: 'INR',
      draftLines: [line({ description: 'Seats', quantity: '3', unit: '99900', period: MONTH })],
      discount: null,
      balance: 0n,
    });
    const text = flat(await textOf(view));
    expect(text).toContain('Amount due INR 2,997.00');
    expect(text).not.toContain('₹');
  });
});

describe('renderInvoicePdf — states', () => {
  it('says DRAFT where the number would be when there is none', async () => {
    const pages = await textOf(makeView({ number: null, status: 'draft' }));
    const text = flat(pages);
    expect(text).toContain('INVOICE DRAFT');
    expect(text).toContain('Invoice number Draft (numbered when finalized)');
    expect(text).toContain('Reference the invoice number (assigned when the invoice is finalized)');
    expect(text).not.toContain('Invoice number NW-2026-0042');
    expect(text).not.toContain('Reference NW-2026-0042');
    // The watermark is on every page.
    for (const page of pages) expect(page).toContain('DRAFT');
  });

  it('a paid invoice shows the amount paid and what remains, without payment instructions', async () => {
    const base = makeView();
    const view = makeView({ status: 'paid', amountPaid: base.totals.amountDue, paidAt: utc('2026-12-01') });
    const text = flat(await textOf(view));
    expect(text).toContain('PAID');
    expect(text).toContain('AMOUNT PAID $19,929.32');
    expect(text).toContain('Paid on 1 Dec 2026');
    expect(text).toContain('Amount paid (1 Dec 2026) $19,929.32');
    expect(text).toContain('Amount remaining $0.00');
    expect(text).not.toContain('How to pay');
  });

  it('a partly paid open invoice shows paid and remaining amounts', async () => {
    const text = flat(await textOf(makeView({ amountPaid: 929_32n })));
    expect(text).toContain('Amount paid $929.32');
    expect(text).toContain('Amount remaining $19,000.00');
  });

  it('a void invoice says so', async () => {
    const text = flat(await textOf(makeView({ status: 'void' })));
    expect(text).toContain('VOIDED');
    expect(text).toContain('This invoice has been voided and is not payable.');
    expect(text).not.toContain('How to pay');
  });

  it('a debit balance is added to the amount due', async () => {
    const text = flat(await textOf(makeView({ balance: 1500n, discount: null })));
    expect(text).toContain('Total $22,404.32');
    expect(text).toContain('Balance from earlier invoices $15.00');
    expect(text).toContain('Amount due $22,419.32');
    expect(text).not.toContain('Credit applied');
  });

  it('tier ranges are printed when the description does not already name the tier', async () => {
    const view = makeView({
      draftLines: [
        line({ description: 'Events', quantity: '500000', unit: '0.01', period: MONTH, tier: { index: 1, from: '1000000', upTo: '2000000' } }),
        line({ description: 'Events beyond', quantity: '10', unit: '0.01', period: MONTH, tier: { index: 2, from: '2000000', upTo: null } }),
      ],
      discount: null,
    });
    const text = flat(await textOf(view));
    expect(text).toContain('Tier 2: above 1,000,000 up to 2,000,000');
    expect(text).toContain('Tier 3: above 2,000,000');
  });

  it('refuses totals that do not add up', async () => {
    const view = makeView();
    await expect(renderInvoicePdf({ ...view, totals: { ...view.totals, amountDue: view.totals.amountDue + 1n } })).rejects.toThrow(
      /total \+ applied balance ≠ amount due/,
    );
    await expect(renderInvoicePdf({ ...view, lines: view.lines.slice(1) })).rejects.toThrow(/do not add up to the subtotal/);
  });
});

describe('renderInvoicePdf — long invoices', () => {
  const many = Array.from({ length: 120 }, (_, i) =>
    line({ description: `Compute hours — cluster ${String(i + 1).padStart(3, '0')}`, quantity: String(1000 + i), unit: '12.5', period: MONTH }),
  );

  it.each(['A4', 'LETTER'] as const)('a 120-line invoice spans several %s pages, each numbered, with the table header repeated', async (size) => {
    const pages = await textOf(makeView({ draftLines: many, discount: null }), size);
    const n = pages.length;
    expect(n).toBeGreaterThan(2);
    expect(pages[0]).toContain(`Page 1 of ${n}`);
    pages.forEach((page, i) => expect(page).toContain(`Page ${i + 1} of ${n}`));
    // Every page with lines on it starts them under the column headings.
    for (const page of pages.filter((p) => p.includes('Compute hours'))) {
      expect(flat([page])).toContain('DESCRIPTION QTY UNIT PRICE AMOUNT');
    }
    pages.slice(1).forEach((page) => expect(flat([page])).toContain('Northwind Analytics, Inc. · Invoice NW-2026-0042'));
    // Every line exactly once, in order.
    const all = pages.join('\n');
    let last = -1;
    for (let i = 1; i <= 120; i++) {
      const label = `cluster ${String(i).padStart(3, '0')}`;
      const at = all.indexOf(label);
      expect(at, label).toBeGreaterThan(last);
      expect(all.indexOf(label, at + 1), label).toBe(-1);
      last = at;
    }
    // Totals and payment instructions come after the last line.
    expect(all.indexOf('Subtotal')).toBeGreaterThan(last);
    expect(pages[n - 1]).toContain('How to pay');
  });
});

describe('renderInvoicePdf — determinism', () => {
  it('renders the same view to the same bytes', async () => {
    const a = await renderInvoicePdf(makeView());
    await new Promise((r) => setTimeout(r, 1100)); // a second later: a wall-clock date would differ now
    const b = await renderInvoicePdf(makeView());
    expect(a.equals(b)).toBe(true);
  });

  it('dates the document by its issue date', async () => {
    const pdf = await renderInvoicePdf(makeView({ issueDate: new Date('2026-11-22T09:30:00Z') }));
    expect(pdf.toString('latin1')).toContain('(D:20261122093000Z)');
    const other = await renderInvoicePdf(makeView({ issueDate: new Date('2026-11-23T09:30:00Z') }));
    expect(other.equals(pdf)).toBe(false);
  });

  it('prints A4 by default and US Letter on request', async () => {
    const a4 = (await renderInvoicePdf(makeView())).toString('latin1');
    const letter = (await renderInvoicePdf(makeView(), { size: 'LETTER' })).toString('latin1');
    expect(a4).toMatch(/\/MediaBox \[0 0 595\.28 841\.89\]/);
    expect(letter).toMatch(/\/MediaBox \[0 0 612 792\]/);
  });
});

describe('sample', () => {
  it('renders the sample invoice to test-artifacts/ for a human to look at', async () => {
    const dir = join(process.cwd(), 'test-artifacts');
    mkdirSync(dir, { recursive: true });
    const pdf = await renderInvoicePdf(makeView({ draftLines: annualUsdLines() }));
    writeFileSync(join(dir, 'sample-invoice.pdf'), pdf);
    expect(pdf.length).toBeGreaterThan(1000);
  });
});
