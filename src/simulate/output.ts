/**
 * The simulation's result as JSON: invoices and each customer's state at the end. Deterministic — the same
 * scenario prints the same bytes — so no generated ID appears: customers go by their aliases, invoices by
 * their numbers, lines by their descriptions. Amounts are integers of minor units.
 */
import { customerBalance } from '../billing/balance/index.js';
import type { ServiceContext } from '../billing/context.js';
import { getAvailableFeatures } from '../billing/entitlements/index.js';
import { listInvoices, type Invoice, type InvoiceLine } from '../billing/invoices/index.js';
import { getSubscription } from '../billing/subscriptions/index.js';
import { billingLimitsState, couponState, type CouponState, type LimitState } from './coupons-and-limits.js';
import { int, quantity } from './json.js';

export interface LineOutput {
  description: string;
  quantity: number | string;
  /** Minor units per unit, exact (a decimal string: `"0.00343"`); null for lines without one. */
  unit_amount: string | null;
  /** A tier's flat amount, when the line has one (a flat first tier). */
  flat_amount: string | null;
  amount: number;
  discount_amount: number;
}

export interface InvoiceOutput {
  number: string | null;
  customer: string;
  currency: string;
  billing_reason: string | null;
  period_start: string | null;
  period_end: string | null;
  status: string;
  lines: LineOutput[];
  subtotal: number;
  discount: number;
  coupon: string | null;
  total: number;
  /** Credit balance used (positive), or a debit balance added (negative). */
  credit_applied: number;
  amount_due: number;
}

export interface CustomerOutput {
  features: { key: string; limit: number | null; source: string }[];
  /** The balance in the customer's currency: negative = credit left for later invoices. */
  balance: number;
  subscription: {
    status: string;
    interval: string;
    current_period_start: string;
    current_period_end: string;
    cancel_at_period_end: boolean;
    items: { product: string; plan: string; price: string }[];
  } | null;
  coupon?: CouponState | null;
  billing_limits?: LimitState[];
}

export interface SimulationOutput {
  invoices: InvoiceOutput[];
  customers: Record<string, CustomerOutput>;
}

export interface SimCustomer {
  alias: string;
  id: string;
  currency: string;
  instanceIndex: number;
  hadCoupon: boolean;
  hadLimit: boolean;
}

// Code-unit order, not the locale's: the output must not depend on the machine.
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

function line(l: InvoiceLine): LineOutput {
  return {
    description: l.description,
    quantity: quantity(l.quantity),
    unit_amount: l.unitAmount?.toString() ?? null,
    flat_amount: l.flatAmount?.toString() ?? null,
    amount: int(l.amount),
    discount_amount: int(l.discountAmount),
  };
}

/** The invoice's period, or (first-period fees billed in advance carry none) the span of its lines. */
function period(inv: Invoice): { start: Date | null; end: Date | null } {
  if (inv.periodStart && inv.periodEnd) return { start: inv.periodStart, end: inv.periodEnd };
  const spans = inv.lines.flatMap((l) => (l.period ? [l.period] : []));
  if (spans.length === 0) return { start: null, end: null };
  return { start: new Date(Math.min(...spans.map((s) => s.start.getTime()))), end: new Date(Math.max(...spans.map((s) => s.end.getTime()))) };
}

function invoice(inv: Invoice, alias: string): InvoiceOutput {
  const p = period(inv);
  return {
    number: inv.number,
    customer: alias,
    currency: inv.currency.toLowerCase(),
    billing_reason: inv.metadata.billing_reason ?? null,
    period_start: iso(p.start),
    period_end: iso(p.end),
    status: inv.status,
    lines: inv.lines.map(line),
    subtotal: int(inv.subtotal),
    discount: int(inv.discountTotal),
    coupon: inv.discount?.name ?? null,
    total: int(inv.total),
    credit_applied: int(-inv.appliedBalance),
    amount_due: int(inv.amountDue),
  };
}

async function allInvoices(ctx: ServiceContext, customerId: string): Promise<Invoice[]> {
  const out: Invoice[] = [];
  let startingAfter: string | undefined;
  for (;;) {
    const page = await listInvoices(ctx, { customerId, limit: 100, ...(startingAfter ? { startingAfter } : {}) });
    out.push(...page.data);
    if (!page.hasMore || page.data.length === 0) return out;
    startingAfter = page.data[page.data.length - 1]!.id;
  }
}

async function customerState(ctx: ServiceContext, c: SimCustomer): Promise<CustomerOutput> {
  const features = (await getAvailableFeatures(ctx, c.id)).features.map((f) => ({ key: f.key, limit: f.limit, source: f.source }));
  const sub = await getSubscription(ctx, c.id);
  const out: CustomerOutput = {
    features,
    balance: int(await customerBalance(ctx, c.id, c.currency)),
    subscription: sub && {
      status: sub.status,
      interval: sub.interval,
      current_period_start: sub.currentPeriodStart.toISOString(),
      current_period_end: sub.currentPeriodEnd.toISOString(),
      cancel_at_period_end: sub.cancelAtPeriodEnd,
      items: sub.items.map((i) => ({ product: i.productKey, plan: i.planKey, price: i.priceKey })),
    },
  };
  if (c.hadCoupon) out.coupon = await couponState(ctx, c.id);
  if (c.hadLimit) out.billing_limits = await billingLimitsState(ctx, c.id);
  return out;
}

export async function collectOutput(ctx: ServiceContext, customers: readonly SimCustomer[]): Promise<SimulationOutput> {
  const rows: { inv: Invoice; c: SimCustomer }[] = [];
  for (const c of customers) for (const inv of await allInvoices(ctx, c.id)) rows.push({ inv, c });
  // In the order they were made; numbers break ties within an instance (they are taken in order).
  rows.sort(
    (a, b) =>
      a.inv.createdAt.getTime() - b.inv.createdAt.getTime() ||
      a.c.instanceIndex - b.c.instanceIndex ||
      cmp(a.inv.number ?? '', b.inv.number ?? '') ||
      cmp(a.c.alias, b.c.alias),
  );
  const state: Record<string, CustomerOutput> = {};
  for (const c of customers) state[c.alias] = await customerState(ctx, c);
  return { invoices: rows.map(({ inv, c }) => invoice(inv, c.alias)), customers: state };
}

const isScalar = (v: unknown): boolean => v === null || typeof v !== 'object';

/** Indented JSON, except that an object or list of scalars (an invoice line, a feature) stays on one line. */
function render(v: unknown, indent: string): string {
  if (isScalar(v)) return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (v.every(isScalar)) return `[${v.map((x) => JSON.stringify(x)).join(', ')}]`;
    return `[\n${v.map((x) => inner + render(x, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) return '{}';
  if (entries.every(([, x]) => isScalar(x))) return `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(', ')} }`;
  return `{\n${entries.map(([k, x]) => `${inner}${JSON.stringify(k)}: ${render(x, inner)}`).join(',\n')}\n${indent}}`;
}

/** The printed form: JSON (lines and features one per line, for readable diffs) and a final newline. */
export function renderOutput(out: SimulationOutput): string {
  return `${render(out, '')}\n`;
}
