import { invalid } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { auditLog } from '../../store/schema.js';
import type { Justification, ServiceContext } from '../context.js';

export interface AuditInput extends Justification {
  action: string; // `customer.update`, `subscription.change_plan`, `credit.approve`, …
  targetType: string;
  targetId: string;
  customerId?: string | null;
  before?: unknown;
  after?: unknown;
}

/** Throws when a staff actor gives neither a reason nor a ticket; call before changing anything. */
export function requireJustification(ctx: ServiceContext, j: Justification): void {
  if (ctx.actor.type !== 'staff') return;
  if (!j.reason?.trim() && !j.ticket?.trim()) {
    throw invalid('reason_required', 'Staff actions need a reason or a ticket reference for the audit log.', 'reason');
  }
}

/** Appends who did what, when and why (R15), in the caller's transaction. */
export async function recordAudit(ctx: ServiceContext, input: AuditInput): Promise<string> {
  requireJustification(ctx, input);
  const now = ctx.clock.now();
  const id = newId('audit', now);
  await ctx.db.insert(auditLog).values({
    id,
    at: now,
    actorType: ctx.actor.type,
    actorId: ctx.actor.id,
    action: input.action,
    targetType: input.targetType,
    targetId: input.targetId,
    customerId: input.customerId ?? null,
    reason: input.reason?.trim() || null,
    ticket: input.ticket?.trim() || null,
    before: (input.before ?? null) as never,
    after: (input.after ?? null) as never,
  });
  return id;
}
