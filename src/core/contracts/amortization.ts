/**
 * Amortization (R20): an up-front amount recognized in equal monthly slices over the term, in minor
 * units, with the remainder in the last slice so the slices sum to the total exactly.
 */
import { splitEvenlyRemainderLast } from '../money/money.js';
import { monthlySlices } from '../periods/calendar.js';

export interface AmortizationSlice {
  /** `YYYY-MM` of the slice's start: the month finance books it in. */
  readonly month: string;
  readonly start: Date;
  readonly end: Date;
  readonly amount: bigint;
}

export function amortize(total: bigint, start: Date, termMonths: number): AmortizationSlice[] {
  if (total < 0n) throw new RangeError('amortize: total must not be negative');
  const ranges = monthlySlices(start, termMonths);
  const amounts = splitEvenlyRemainderLast(total, termMonths);
  return ranges.map((r, i) => ({ month: r.start.toISOString().slice(0, 7), start: r.start, end: r.end, amount: amounts[i]! }));
}

export interface RevenueEntry {
  /** What the row is grouped by: a contract, customer or product key. */
  readonly key: string;
  readonly currency: string;
  readonly slices: readonly { readonly month: string; readonly amount: bigint }[];
}

export interface RevenueRow {
  readonly month: string;
  readonly key: string;
  readonly currency: string;
  readonly amount: bigint;
}

/**
 * Recognized revenue per month and key, summed over entries, keeping months in `[from, to]` (`YYYY-MM`,
 * inclusive, either open). Sorted by month then key.
 */
export function revenueByMonth(entries: readonly RevenueEntry[], from: string | null, to: string | null): RevenueRow[] {
  const sums = new Map<string, RevenueRow>();
  for (const e of entries) {
    for (const s of e.slices) {
      if ((from !== null && s.month < from) || (to !== null && s.month > to)) continue;
      const id = `${s.month}\u0000${e.key}\u0000${e.currency}`;
      const prev = sums.get(id);
      sums.set(id, { month: s.month, key: e.key, currency: e.currency, amount: (prev?.amount ?? 0n) + s.amount });
    }
  }
  return [...sums.values()].sort((a, b) => (a.month === b.month ? (a.key < b.key ? -1 : a.key > b.key ? 1 : a.currency < b.currency ? -1 : 1) : a.month < b.month ? -1 : 1));
}

/** `month,<by>,currency,amount` CSV; amounts in minor units (exact integers). */
export function revenueCsv(rows: readonly RevenueRow[], by: string): string {
  const esc = (v: string) => (/[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
  return [`month,${by},currency,amount_minor`, ...rows.map((r) => `${r.month},${esc(r.key)},${r.currency},${r.amount.toString()}`)].join('\n') + '\n';
}
