/**
 * Approval requests (R13, R14): a staff action that waits for a second person. Each kind has an executor
 * registered here; approving runs it inside the approving transaction, under the request's row lock and an
 * `executed_at` guard, so an approved action runs exactly once however many approvers click at once.
 */
import { and, asc, desc, eq, gt, isNull, lt } from 'drizzle-orm';
import { conflict, invalid, notFound, TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { approvalRequests } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { recordEvent } from '../events/record-event.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';
import { hasRole } from '../staff/roles.js';

export type ApprovalStatus = 'pending' | 'approved' | 'rejected';

export interface ApprovalRequest {
  readonly id: string;
  readonly kind: string;
  readonly payload: Record<string, unknown>;
  readonly customerId: string | null;
  readonly requestedBy: string;
  readonly reason: string | null;
  readonly ticket: string | null;
  readonly status: ApprovalStatus;
  readonly decidedBy: string | null;
  readonly decidedAt: Date | null;
  readonly decisionNote: string | null;
  readonly executedAt: Date | null;
  readonly result: Record<string, unknown> | null;
  readonly createdAt: Date;
}

type Row = typeof approvalRequests.$inferSelect;

export function toApproval(r: Row): ApprovalRequest {
  return {
    id: r.id,
    kind: r.kind,
    payload: (r.payload as Record<string, unknown>) ?? {},
    customerId: r.customerId,
    requestedBy: r.requestedBy,
    reason: r.reason,
    ticket: r.ticket,
    status: r.status,
    decidedBy: r.decidedBy,
    decidedAt: r.decidedAt,
    decisionNote: r.decisionNote,
    executedAt: r.executedAt,
    result: (r.result as Record<string, unknown> | null) ?? null,
    createdAt: r.createdAt,
  };
}

/** What a kind of approval does. Payloads are JSON: no bigints, Decimals or Dates (use strings). */
export interface ApprovalExecutor {
  /** Checks a payload when the request is made, so a malformed one fails at once rather than at approval. */
  validate?(ctx: ServiceContext, payload: Record<string, unknown>, customerId: string | null): Promise<void>;
  /** Carries out the approved action in the approving transaction (ctx.actor is the approver); returns the result to keep. */
  execute(ctx: ServiceContext, request: ApprovalRequest, note: string | null): Promise<Record<string, unknown>>;
  /** Runs in the rejecting transaction (e.g. to mark a credit request rejected). */
  onReject?(ctx: ServiceContext, request: ApprovalRequest, note: string | null): Promise<void>;
}

const executors = new Map<string, ApprovalExecutor>();

/** Registers what approving a `kind` does; registering a kind again replaces its executor. */
export function registerApprovalExecutor(kind: string, executor: ApprovalExecutor): void {
  if (!/^[a-z][a-z0-9_]{0,49}$/.test(kind)) throw new RangeError(`approval kind '${kind}' must be snake_case`);
  executors.set(kind, executor);
}

export function approvalKinds(): string[] {
  return [...executors.keys()].sort();
}

function executorFor(kind: string): ApprovalExecutor {
  const e = executors.get(kind);
  if (!e) throw invalid('approval_kind_unknown', `No approval kind '${kind}' (known: ${approvalKinds().join(', ') || 'none'}).`, 'kind');
  return e;
}

export interface RequestApprovalOptions {
  readonly customerId?: string | null;
}

/**
 * Stores a pending action for an approver: who asked, why (reason or ticket, required), and the payload its
 * executor needs. Runs in the caller's transaction when there is one (it nests). Audited.
 */
export async function requestApproval(ctx: ServiceContext, kind: string, payload: Record<string, unknown>, why: Justification, opts: RequestApprovalOptions = {}): Promise<ApprovalRequest> {
  if (ctx.actor.type === 'instance') throw new TallyError('permission', 'staff_only', 'Approval requests are made by staff.');
  requireJustification(ctx, why);
  const executor = executorFor(kind);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    await executor.validate?.(c, payload, opts.customerId ?? null);
    const now = c.clock.now();
    const [row] = await tx
      .insert(approvalRequests)
      .values({
        id: newId('approval', now),
        kind,
        payload,
        customerId: opts.customerId ?? null,
        requestedBy: c.actor.id,
        reason: why.reason?.trim() || null,
        ticket: why.ticket?.trim() || null,
        status: 'pending',
        createdAt: now,
      })
      .returning();
    if (!row) throw new Error('approval insert returned no row');
    const request = toApproval(row);
    await recordEvent(c, { type: 'approval_request.created', customerId: request.customerId, objectId: request.id, data: { kind, requested_by: request.requestedBy } });
    await recordAudit(c, { action: 'approval.request', targetType: 'approval_request', targetId: request.id, customerId: request.customerId, after: { kind, payload }, ...why });
    return request;
  });
}

/** Approving and rejecting need the approver capability (approver or owner) and a second person. */
function requireApprover(ctx: ServiceContext, request: { requestedBy: string }): void {
  if (ctx.actor.type !== 'staff' || !hasRole(ctx.actor.role, 'approver')) {
    throw new TallyError('permission', 'approver_required', "Deciding an approval request needs the 'approver' role (or 'owner').");
  }
  if (request.requestedBy === ctx.actor.id) {
    throw new TallyError('permission', 'self_approval', 'You requested this yourself: another approver must decide it.');
  }
}

async function lockPending(ctx: ServiceContext, id: string): Promise<ApprovalRequest> {
  const [row] = await ctx.db.select().from(approvalRequests).where(eq(approvalRequests.id, id)).for('update');
  if (!row) throw notFound('approval request', id, 'approval_request');
  const request = toApproval(row);
  requireApprover(ctx, request);
  if (request.status !== 'pending' || request.executedAt) {
    const when = request.decidedAt ? ` on ${request.decidedAt.toISOString()}` : '';
    throw conflict('approval_decided', `Approval request ${id} was already ${request.status} by ${request.decidedBy ?? 'someone'}${when}; decisions are final.`, 'approval_request');
  }
  return request;
}

/**
 * Approves a pending request and carries it out, in one transaction: the request row is locked, the
 * executor runs, and the row is marked approved with `executed_at` — only while `executed_at` is still
 * empty. A second approval (even a concurrent one) finds it decided and gets 409 `approval_decided`. The
 * requester cannot approve their own request (403 `self_approval`). When the executor fails, nothing is
 * kept and the request stays pending.
 */
export async function approveRequest(ctx: ServiceContext, id: string, note: string | null = null): Promise<ApprovalRequest> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const request = await lockPending(c, id);
    const result = await executorFor(request.kind).execute(c, request, note?.trim() || null);
    const now = c.clock.now();
    const [row] = await tx
      .update(approvalRequests)
      .set({ status: 'approved', decidedBy: c.actor.id, decidedAt: now, decisionNote: note?.trim() || null, executedAt: now, result })
      .where(and(eq(approvalRequests.id, id), isNull(approvalRequests.executedAt)))
      .returning();
    if (!row) throw conflict('approval_decided', `Approval request ${id} was executed meanwhile.`, 'approval_request');
    const approved = toApproval(row);
    await recordEvent(c, { type: 'approval_request.approved', customerId: approved.customerId, objectId: id, data: { kind: approved.kind, result } });
    await recordAudit(c, {
      action: 'approval.approve',
      targetType: 'approval_request',
      targetId: id,
      customerId: approved.customerId,
      before: { status: 'pending', requested_by: request.requestedBy },
      after: { status: 'approved', result },
      reason: note?.trim() || `approved ${request.kind} requested by ${request.requestedBy}${request.reason ? `: ${request.reason}` : ''}`,
      ticket: request.ticket,
    });
    return approved;
  });
}

/** Rejects a pending request: final, nothing is executed. Needs the approver capability; audited. */
export async function rejectRequest(ctx: ServiceContext, id: string, note: string | null = null): Promise<ApprovalRequest> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const request = await lockPending(c, id);
    await executors.get(request.kind)?.onReject?.(c, request, note?.trim() || null);
    const now = c.clock.now();
    const [row] = await tx
      .update(approvalRequests)
      .set({ status: 'rejected', decidedBy: c.actor.id, decidedAt: now, decisionNote: note?.trim() || null })
      .where(eq(approvalRequests.id, id))
      .returning();
    if (!row) throw new Error('approval update returned no row');
    const rejected = toApproval(row);
    await recordEvent(c, { type: 'approval_request.rejected', customerId: rejected.customerId, objectId: id, data: { kind: rejected.kind } });
    await recordAudit(c, {
      action: 'approval.reject',
      targetType: 'approval_request',
      targetId: id,
      customerId: rejected.customerId,
      before: { status: 'pending', requested_by: request.requestedBy },
      after: { status: 'rejected' },
      reason: note?.trim() || `rejected ${request.kind} requested by ${request.requestedBy}`,
      ticket: request.ticket,
    });
    return rejected;
  });
}

export async function getApproval(ctx: ServiceContext, id: string): Promise<ApprovalRequest> {
  const [row] = await ctx.db.select().from(approvalRequests).where(eq(approvalRequests.id, id));
  if (!row) throw notFound('approval request', id, 'approval_request');
  return toApproval(row);
}

export interface ApprovalFilter {
  readonly status?: ApprovalStatus | undefined;
  readonly kind?: string | undefined;
  readonly customerId?: string | undefined;
}

/** Approval requests matching the filter; pending ones oldest first (a queue), decided ones newest first. */
export async function listApprovals(ctx: ServiceContext, filter: ApprovalFilter, page: PageRequest): Promise<Page<ApprovalRequest>> {
  const limit = clampLimit(page.limit);
  const queue = filter.status === 'pending';
  const rows = await ctx.db
    .select()
    .from(approvalRequests)
    .where(
      and(
        filter.status ? eq(approvalRequests.status, filter.status) : undefined,
        filter.kind ? eq(approvalRequests.kind, filter.kind) : undefined,
        filter.customerId ? eq(approvalRequests.customerId, filter.customerId) : undefined,
        page.startingAfter ? (queue ? gt(approvalRequests.id, page.startingAfter) : lt(approvalRequests.id, page.startingAfter)) : undefined,
      ),
    )
    .orderBy(queue ? asc(approvalRequests.id) : desc(approvalRequests.id))
    .limit(limit + 1);
  return toPage(rows.map(toApproval), limit);
}
