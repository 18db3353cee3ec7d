import type { ServiceContext } from '../context.js';
import { getCreditRequest, type CreditRequest, type EarlierCredit } from '../credits/credits.js';
import type { Page, PageRequest } from '../pagination.js';
import { getApproval, listApprovals, type ApprovalFilter, type ApprovalRequest } from './approvals.js';

/** One entry of the approval screen: the request, and for credits the credit and the customer's earlier credits (R13). */
export interface ApprovalItem {
  readonly approval: ApprovalRequest;
  readonly creditRequest: CreditRequest | null;
  /** Credits only: the customer's approved credits, newest first. */
  readonly earlierCredits: readonly EarlierCredit[] | null;
}

async function withContext(ctx: ServiceContext, approval: ApprovalRequest): Promise<ApprovalItem> {
  const creditId = approval.kind === 'credit' ? approval.payload.credit_request : undefined;
  if (typeof creditId !== 'string') return { approval, creditRequest: null, earlierCredits: null };
  const view = await getCreditRequest(ctx, creditId);
  return { approval, creditRequest: view.request, earlierCredits: view.earlierCredits };
}

/** The approval queue (pending, oldest first; pass another status to see decided ones, newest first), each credit with the customer's earlier credits. */
export async function listPendingApprovals(ctx: ServiceContext, filter: ApprovalFilter, page: PageRequest): Promise<Page<ApprovalItem>> {
  const p = await listApprovals(ctx, { status: 'pending', ...filter }, page);
  return { data: await Promise.all(p.data.map((a) => withContext(ctx, a))), hasMore: p.hasMore };
}

export async function getApprovalItem(ctx: ServiceContext, id: string): Promise<ApprovalItem> {
  return withContext(ctx, await getApproval(ctx, id));
}
