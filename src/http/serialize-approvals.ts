import { z } from 'zod';
import type { ApprovalItem, ApprovalRequest } from '../billing/approvals/index.js';
import type { CreditRequest, CreditRequestView, EarlierCredit } from '../billing/credits/index.js';
import { minorToJson } from '../core/money/index.js';

const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
const ts = (d: Date | null): string | null => (d ? d.toISOString() : null);
const int = minorToJson;
const Amount = z.number().int().describe('Minor units');
const STATUSES = ['pending', 'approved', 'rejected'] as const;

export const CreditRequestJson = z
  .object({
    id: z.string().describe('crq_…'),
    object: z.literal('credit_request'),
    customer: z.string(),
    amount: Amount.describe('The credit, positive; the ledger row is its negation'),
    currency: z.string(),
    reason: z.string(),
    ticket: z.string().nullable(),
    requested_by: z.string(),
    created: Timestamp,
    status: z.enum(STATUSES),
    approval_request: z.string().nullable(),
    decided_by: z.string().nullable(),
    decided: Timestamp.nullable(),
    decision_note: z.string().nullable(),
    balance_transaction: z.string().nullable().describe('The ledger row, once approved'),
  })
  .meta({ id: 'CreditRequest' });

export function creditRequestJson(r: CreditRequest): z.infer<typeof CreditRequestJson> {
  return {
    id: r.id,
    object: 'credit_request',
    customer: r.customerId,
    amount: int(r.amount),
    currency: r.currency.toLowerCase(),
    reason: r.reason,
    ticket: r.ticket,
    requested_by: r.requestedBy,
    created: r.createdAt.toISOString(),
    status: r.status,
    approval_request: r.approvalId,
    decided_by: r.decidedBy,
    decided: ts(r.decidedAt),
    decision_note: r.decisionNote,
    balance_transaction: r.balanceTransactionId,
  };
}

export const EarlierCreditJson = z
  .object({
    credit_request: z.string(),
    amount: Amount,
    currency: z.string(),
    reason: z.string(),
    ticket: z.string().nullable(),
    requested_by: z.string(),
    requested: Timestamp,
    approved_by: z.string().nullable(),
    approved: Timestamp.nullable(),
  })
  .meta({ id: 'EarlierCredit' });

export function earlierCreditJson(c: EarlierCredit): z.infer<typeof EarlierCreditJson> {
  return {
    credit_request: c.creditRequestId,
    amount: int(c.amount),
    currency: c.currency.toLowerCase(),
    reason: c.reason,
    ticket: c.ticket,
    requested_by: c.requestedBy,
    requested: c.requestedAt.toISOString(),
    approved_by: c.approvedBy,
    approved: ts(c.approvedAt),
  };
}

/** What an approver reads: the customer's earlier credits first, then the request (R13). */
export const CreditReviewJson = z
  .object({
    object: z.literal('credit_review'),
    earlier_credits: z.array(EarlierCreditJson).describe("The customer's approved credits, newest first"),
    credit_request: CreditRequestJson,
  })
  .meta({ id: 'CreditReview' });

export function creditReviewJson(v: CreditRequestView): z.infer<typeof CreditReviewJson> {
  return { object: 'credit_review', earlier_credits: v.earlierCredits.map(earlierCreditJson), credit_request: creditRequestJson(v.request) };
}

export const ApprovalJson = z
  .object({
    id: z.string().describe('apr_…'),
    object: z.literal('approval_request'),
    kind: z.string().describe('credit, subscription_change, coupon_create'),
    payload: z.record(z.string(), z.unknown()),
    customer: z.string().nullable(),
    requested_by: z.string(),
    reason: z.string().nullable(),
    ticket: z.string().nullable(),
    created: Timestamp,
    status: z.enum(STATUSES),
    decided_by: z.string().nullable(),
    decided: Timestamp.nullable(),
    decision_note: z.string().nullable(),
    executed: Timestamp.nullable().describe('When the approved action ran (exactly once)'),
    result: z.record(z.string(), z.unknown()).nullable(),
  })
  .meta({ id: 'ApprovalRequest' });

export function approvalJson(a: ApprovalRequest): z.infer<typeof ApprovalJson> {
  return {
    id: a.id,
    object: 'approval_request',
    kind: a.kind,
    payload: a.payload,
    customer: a.customerId,
    requested_by: a.requestedBy,
    reason: a.reason,
    ticket: a.ticket,
    created: a.createdAt.toISOString(),
    status: a.status,
    decided_by: a.decidedBy,
    decided: ts(a.decidedAt),
    decision_note: a.decisionNote,
    executed: ts(a.executedAt),
    result: a.result,
  };
}

/** An entry of the approval queue; credit requests come with the customer's earlier credits first. */
export const ApprovalItemJson = z
  .object({
    earlier_credits: z.array(EarlierCreditJson).nullable().describe('Credits only'),
    credit_request: CreditRequestJson.nullable(),
    approval_request: ApprovalJson,
  })
  .meta({ id: 'ApprovalItem' });

export function approvalItemJson(i: ApprovalItem): z.infer<typeof ApprovalItemJson> {
  return {
    earlier_credits: i.earlierCredits ? i.earlierCredits.map(earlierCreditJson) : null,
    credit_request: i.creditRequest ? creditRequestJson(i.creditRequest) : null,
    approval_request: approvalJson(i.approval),
  };
}
