import { allocate, sumMinor } from '../money/money.js';
import { discountAmount, type Discount } from '../pricing/discount.js';
import { invalid } from '../../shared/errors.js';
import type { DraftLine } from './invoice-lines.js';

export interface InvoiceDiscountInput {
  readonly couponId: string;
  readonly discount: Discount;
  /** Only lines of these products are discounted; null = every discountable line. */
  readonly productKeys: readonly string[] | null;
}

export interface TotaledLine extends DraftLine {
  readonly discountAmount: bigint;
  readonly amountAfterDiscount: bigint;
}

export interface InvoiceTotals {
  readonly lines: readonly TotaledLine[];
  /** Sum of line amounts at list price. */
  readonly subtotal: bigint;
  readonly discountTotal: bigint;
  /** subtotal − discounts: what the invoice is worth. Credit balance does not reduce it. */
  readonly total: bigint;
  /** Customer balance before this invoice: negative = credit in the customer's favour. */
  readonly startingBalance: bigint;
  /** How much of the balance this invoice consumed (negative = credit used, positive = debit added). */
  readonly appliedBalance: bigint;
  readonly endingBalance: bigint;
  /** total + appliedBalance: what is left to collect. */
  readonly amountDue: bigint;
}

/**
 * Totals an invoice the way the provider does:
 * 1. subtotal = Σ line amounts (each already rounded once, half-up).
 * 2. The coupon is computed once on the eligible lines' sum — a percentage rounded half-up once, a fixed
 *    amount capped at that sum — and spread over the eligible lines in proportion to their amounts
 *    (largest remainder), so the line discounts add up exactly and no line goes below zero.
 * 3. The customer balance is applied last: a credit (negative balance) lowers `amountDue` but not
 *    `total`, up to the total, and the rest stays for later; a debit (positive balance) is added to it.
 */
export function totalInvoice(args: {
  lines: readonly DraftLine[];
  discount: InvoiceDiscountInput | null;
  customerBalance: bigint;
}): InvoiceTotals {
  const { lines, discount, customerBalance } = args;
  lines.forEach((l, i) => {
    if (l.amount < 0n) throw invalid('negative_line', `Line ${i + 1} (${l.description}) has a negative amount; use the credit balance instead.`, `lines.${i}.amount`);
  });
  const subtotal = sumMinor(lines.map((l) => l.amount));

  const eligible = lines.map((l) => l.discountable && (discount?.productKeys == null || (l.productKey !== null && discount.productKeys.includes(l.productKey))));
  const eligibleAmounts = lines.map((l, i) => (eligible[i] ? l.amount : 0n));
  const eligibleSum = sumMinor(eligibleAmounts);
  const discountTotal = discount && eligibleSum > 0n ? discountAmount(eligibleSum, discount.discount) : 0n;
  const shares = discountTotal > 0n ? allocate(discountTotal, eligibleAmounts) : lines.map(() => 0n);

  const totaled = lines.map((l, i) => {
    const off = shares[i] ?? 0n;
    return { ...l, discountAmount: off, amountAfterDiscount: l.amount - off };
  });
  const total = subtotal - discountTotal;

  let applied = 0n;
  if (customerBalance < 0n) applied = total > 0n ? (-customerBalance > total ? -total : customerBalance) : 0n;
  else if (customerBalance > 0n) applied = customerBalance;
  return {
    lines: totaled,
    subtotal,
    discountTotal,
    total,
    startingBalance: customerBalance,
    appliedBalance: applied,
    endingBalance: customerBalance - applied,
    amountDue: total + applied,
  };
}

/**
 * The totals a draft shows, from totals already computed with a balance: the balance is applied last and
 * touches nothing before it, so this equals totalInvoice with a zero balance without computing it again.
 */
export function withoutBalance(totals: InvoiceTotals): InvoiceTotals {
  return { ...totals, startingBalance: 0n, appliedBalance: 0n, endingBalance: 0n, amountDue: totals.total };
}
