/**
 * Goodwill credits (R13): a staff member requests one with a reason (and ticket); an approver who is not
 * the requester decides, seeing the customer's earlier credits first; an approved credit enters the balance
 * ledger and reduces the next finalized invoice. Every credit goes through an approval request of kind
 * `credit` (credits always need approval, R14), whose executor is `creditExecutor` below.
 */
import { and, asc, desc, eq, gt, lt, ne } from 'drizzle-orm';
import { currencyExponent, normalizeCurrency } from '../../core/money/currency.js';
import { conflict, invalid, notFound, TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { creditRequests } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { approveRequest, registerApprovalExecutor, rejectRequest, requestApproval, type ApprovalExecutor, type ApprovalRequest } from '../approvals/approvals.js';
import { recordAudit } from '../audit/record-audit.js';
import { addBalanceTransaction } from '../balance/balance.js';
import { withDb, type ServiceContext } from '../context.js';
import { lockCustomer } from '../customers/customers.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';

export type CreditStatus = 'pending' | 'approved' | 'rejected';

export interface CreditRequest {
  readonly id: string;
  readonly customerId: string;
  /** Minor units, positive: the credit in the customer's favour. */
  readonly amount: bigint;
  readonly currency: string;
  readonly reason: string;
  readonly ticket: string | null;
  readonly requestedBy: string;
  readonly status: CreditStatus;
  readonly approvalId: string | null;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly decisionNote: string | null;
  /** The ledger row once approved. */
  readonly balanceTransactionId: string | null;
  readonly createdAt: Date;
}

/** An approved credit, as the approver sees it beside a new request. */
export interface EarlierCredit {
  readonly creditRequestId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly reason: string;
  readonly ticket: string | null;
  readonly requestedBy: string;
  readonly requestedAt: Date;
  readonly approvedBy: string | null;
  readonly approvedAt: Date | null;
}

/** A credit request with the customer's earlier credits — listed first, because the approver reads them first (R13). */
export interface CreditRequestView {
  readonly earlierCredits: readonly EarlierCredit[];
  readonly request: CreditRequest;
}

type Row = typeof creditRequests.$inferSelect;

const toCreditRequest = (r: Row): CreditRequest => ({
  id: r.id,
  customerId: r.customerId,
  amount: r.amount,
  currency: r.currency,
  reason: r.reason,
  ticket: r.ticket,
  requestedBy: r.requestedBy,
  status: r.status,
  approvalId: r.approvalId,
  decidedBy: r.decidedBy,
  decidedAt: r.decidedAt,
  decisionNote: r.decisionNote,
  balanceTransactionId: r.balanceTransactionId,
  createdAt: r.createdAt,
});

const snapshot = (r: CreditRequest) => ({
  id: r.id,
  amount: r.amount.toString(),
  currency: r.currency,
  reason: r.reason,
  ticket: r.ticket,
  status: r.status,
  requested_by: r.requestedBy,
  decided_by: r.decidedBy,
  balance_transaction: r.balanceTransactionId,
});

const MAX_AMOUNT = 10n ** 15n;

export interface RequestCreditInput {
  readonly customerId: string;
  /** Minor units, positive. */
  readonly amount: bigint;
  /** Default: the customer's currency, which it must match (the next invoice is in that currency). */
  readonly currency?: string | null;
  readonly reason: string;
  readonly ticket?: string | null;
}

/** Files a pending credit request and its approval request. Staff (or the system) only; a reason is required. */
export async function requestCredit(ctx: ServiceContext, input: RequestCreditInput): Promise<CreditRequest> {
  if (ctx.actor.type === 'instance') throw new TallyError('permission', 'staff_only', 'Credits are requested by staff.');
  const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
  if (!reason) throw invalid('reason_required', 'A credit request needs a reason (what happened to the customer).', 'reason');
  if (typeof input.amount !== 'bigint' || input.amount <= 0n || input.amount > MAX_AMOUNT) {
    throw invalid('amount_invalid', 'amount must be a positive whole number of minor units.', 'amount');
  }
  if (input.currency) currencyExponent(input.currency, 'currency');
  const ticket = input.ticket?.trim() || null;
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomer(c, input.customerId);
    const currency = input.currency ? normalizeCurrency(input.currency) : customer.currency;
    if (currency !== customer.currency) {
      throw invalid('currency_mismatch', `Customer ${customer.id} is billed in ${customer.currency}; a ${currency} credit would never reach an invoice.`, 'currency');
    }
    const now = c.clock.now();
    const id = newId('creditRequest', now);
    await tx.insert(creditRequests).values({ id, customerId: customer.id, amount: input.amount, currency, reason, ticket, requestedBy: c.actor.id, status: 'pending', createdAt: now });
    const approval = await requestApproval(c, 'credit', { credit_request: id, amount: input.amount.toString(), currency }, { reason, ticket }, { customerId: customer.id });
    const [row] = await tx.update(creditRequests).set({ approvalId: approval.id }).where(eq(creditRequests.id, id)).returning();
    if (!row) throw new Error('credit request update returned no row');
    const request = toCreditRequest(row);
    await recordAudit(c, { action: 'credit.request', targetType: 'credit_request', targetId: id, customerId: customer.id, after: snapshot(request), reason, ticket });
    return request;
  });
}

async function creditRow(ctx: ServiceContext, id: string, forUpdate = false): Promise<CreditRequest> {
  const q = ctx.db.select().from(creditRequests).where(eq(creditRequests.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  if (!row) throw notFound('credit request', id, 'credit_request');
  return toCreditRequest(row);
}

/** The customer's approved credits, newest first (optionally leaving one request out). */
export async function earlierCreditsFor(ctx: ServiceContext, customerId: string, exceptId?: string): Promise<EarlierCredit[]> {
  const rows = await ctx.db
    .select()
    .from(creditRequests)
    .where(and(eq(creditRequests.customerId, customerId), eq(creditRequests.status, 'approved'), exceptId ? ne(creditRequests.id, exceptId) : undefined))
    .orderBy(desc(creditRequests.decidedAt), desc(creditRequests.id));
  return rows.map((r) => ({
    creditRequestId: r.id,
    amount: r.amount,
    currency: r.currency,
    reason: r.reason,
    ticket: r.ticket,
    requestedBy: r.requestedBy,
    requestedAt: r.createdAt,
    approvedBy: r.decidedBy,
    approvedAt: r.decidedAt,
  }));
}

/** A credit request with the customer's other approved credits first. */
export async function getCreditRequest(ctx: ServiceContext, id: string): Promise<CreditRequestView> {
  const request = await creditRow(ctx, id);
  return { earlierCredits: await earlierCreditsFor(ctx, request.customerId, request.id), request };
}

export interface CreditFilter {
  readonly status?: CreditStatus | undefined;
  readonly customerId?: string | undefined;
}

/** Credit requests, newest first; pending ones oldest first (a queue). */
export async function listCreditRequests(ctx: ServiceContext, filter: CreditFilter, page: PageRequest): Promise<Page<CreditRequest>> {
  const limit = clampLimit(page.limit);
  const queue = filter.status === 'pending';
  const rows = await ctx.db
    .select()
    .from(creditRequests)
    .where(
      and(
        filter.status ? eq(creditRequests.status, filter.status) : undefined,
        filter.customerId ? eq(creditRequests.customerId, filter.customerId) : undefined,
        page.startingAfter ? (queue ? gt(creditRequests.id, page.startingAfter) : lt(creditRequests.id, page.startingAfter)) : undefined,
      ),
    )
    .orderBy(queue ? asc(creditRequests.id) : desc(creditRequests.id))
    .limit(limit + 1);
  return toPage(rows.map(toCreditRequest), limit);
}

async function approvalOf(ctx: ServiceContext, id: string): Promise<string> {
  const request = await creditRow(ctx, id);
  if (!request.approvalId) throw conflict('credit_without_approval', `Credit request ${id} has no approval request.`, 'credit_request');
  return request.approvalId;
}

/**
 * Approves a credit: the actor needs the approver capability and must not be the requester (403); the
 * decision is final (a second approval is 409 `approval_decided`); the credit enters the ledger once (its
 * creditRequestId is unique there). Returns the request with the earlier credits.
 */
export async function approveCredit(ctx: ServiceContext, id: string, note: string | null = null): Promise<CreditRequestView> {
  await approveRequest(ctx, await approvalOf(ctx, id), note);
  return getCreditRequest(ctx, id);
}

/** Rejects a credit: final, nothing enters the ledger. Approver capability required; audited. */
export async function rejectCredit(ctx: ServiceContext, id: string, note: string | null = null): Promise<CreditRequestView> {
  await rejectRequest(ctx, await approvalOf(ctx, id), note);
  return getCreditRequest(ctx, id);
}

function creditIdOf(request: ApprovalRequest): string {
  const id = request.payload.credit_request;
  if (typeof id !== 'string') throw invalid('payload_invalid', `Approval request ${request.id} names no credit request.`, 'payload.credit_request');
  return id;
}

/** The `credit` approval kind: approving writes the ledger row, rejecting closes the request. */
export const creditExecutor: ApprovalExecutor = {
  async validate(ctx, payload) {
    if (typeof payload.credit_request !== 'string') throw invalid('payload_invalid', 'A credit approval names its credit request.', 'payload.credit_request');
    // One approval per credit: a second request for the same credit would leave one of them forever pending.
    const credit = await creditRow(ctx, payload.credit_request);
    if (credit.approvalId || credit.status !== 'pending') throw conflict('credit_has_approval', `Credit request ${credit.id} already has its approval request.`, 'payload.credit_request');
  },
  async execute(ctx, approval, note) {
    const before = await creditRow(ctx, creditIdOf(approval), true);
    if (before.status !== 'pending') throw conflict('credit_decided', `Credit request ${before.id} is already ${before.status}.`, 'credit_request');
    const txn = await addBalanceTransaction(ctx, {
      customerId: before.customerId,
      amount: -before.amount,
      currency: before.currency,
      type: 'credit',
      description: `Credit: ${before.reason}`,
      creditRequestId: before.id,
    });
    const now = ctx.clock.now();
    const [row] = await ctx.db
      .update(creditRequests)
      .set({ status: 'approved', decidedBy: ctx.actor.id, decidedAt: now, decisionNote: note, balanceTransactionId: txn.id })
      .where(eq(creditRequests.id, before.id))
      .returning();
    if (!row) throw new Error('credit request update returned no row');
    const after = toCreditRequest(row);
    await recordAudit(ctx, {
      action: 'credit.approve',
      targetType: 'credit_request',
      targetId: after.id,
      customerId: after.customerId,
      before: snapshot(before),
      after: snapshot(after),
      reason: note ?? `approved credit requested by ${before.requestedBy}: ${before.reason}`,
      ticket: before.ticket,
    });
    return { credit_request: after.id, balance_transaction: txn.id, amount: after.amount.toString(), currency: after.currency };
  },
  async onReject(ctx, approval, note) {
    const before = await creditRow(ctx, creditIdOf(approval), true);
    if (before.status !== 'pending') throw conflict('credit_decided', `Credit request ${before.id} is already ${before.status}.`, 'credit_request');
    const [row] = await ctx.db
      .update(creditRequests)
      .set({ status: 'rejected', decidedBy: ctx.actor.id, decidedAt: ctx.clock.now(), decisionNote: note })
      .where(eq(creditRequests.id, before.id))
      .returning();
    if (!row) throw new Error('credit request update returned no row');
    const after = toCreditRequest(row);
    await recordAudit(ctx, {
      action: 'credit.reject',
      targetType: 'credit_request',
      targetId: after.id,
      customerId: after.customerId,
      before: snapshot(before),
      after: snapshot(after),
      reason: note ?? `rejected credit requested by ${before.requestedBy}: ${before.reason}`,
      ticket: before.ticket,
    });
  },
};

registerApprovalExecutor('credit', creditExecutor);
