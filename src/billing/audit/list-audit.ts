import { and, desc, eq, gte, lt } from 'drizzle-orm';
import { auditLog } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';

export type AuditEntry = typeof auditLog.$inferSelect;

export interface AuditFilter {
  customerId?: string | undefined;
  /** A staff, instance or system actor ID. */
  actorId?: string | undefined;
  action?: string | undefined;
  /** The changed object's ID (a coupon, a credit request, an approval request…). */
  targetId?: string | undefined;
  /** Inclusive. */
  from?: Date | undefined;
  /** Exclusive. */
  to?: Date | undefined;
}

/** Audit rows matching every given filter, newest first. */
export async function listAuditEntries(ctx: ServiceContext, filter: AuditFilter, page: PageRequest): Promise<Page<AuditEntry>> {
  const limit = clampLimit(page.limit);
  const rows = await ctx.db
    .select()
    .from(auditLog)
    .where(
      and(
        filter.customerId ? eq(auditLog.customerId, filter.customerId) : undefined,
        filter.actorId ? eq(auditLog.actorId, filter.actorId) : undefined,
        filter.action ? eq(auditLog.action, filter.action) : undefined,
        filter.targetId ? eq(auditLog.targetId, filter.targetId) : undefined,
        filter.from ? gte(auditLog.at, filter.from) : undefined,
        filter.to ? lt(auditLog.at, filter.to) : undefined,
        page.startingAfter ? lt(auditLog.id, page.startingAfter) : undefined,
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(limit + 1);
  return toPage(rows, limit);
}
