import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { instances } from '../../store/schema.js';
import { isUniqueViolation } from '../../store/transaction.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import { recordEvent } from '../events/record-event.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';

export interface Instance {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

const SLUG_RE = /^[a-z][a-z0-9-]{0,39}$/;

/** A product deployment (`us`, `eu`): customers belong to one; the catalog is shared (R1). */
export async function createInstance(ctx: ServiceContext, input: { slug: string; name?: string }, why: Justification = {}): Promise<Instance> {
  if (!SLUG_RE.test(input.slug)) {
    throw invalid('slug_invalid', `Instance slug '${input.slug}' must be lower-case letters, digits and dashes, starting with a letter.`, 'slug');
  }
  const now = ctx.clock.now();
  const id = newId('instance', now);
  try {
    const [row] = await ctx.db.insert(instances).values({ id, slug: input.slug, name: input.name ?? input.slug.toUpperCase(), createdAt: now }).returning();
    if (!row) throw new Error('insert returned no row');
    await recordEvent(ctx, { type: 'instance.created', instanceId: id, objectId: id, data: { slug: row.slug } });
    await recordAudit(ctx, { action: 'instance.create', targetType: 'instance', targetId: id, after: row, reason: why.reason ?? 'instance created', ticket: why.ticket });
    return row;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('instance_exists', `An instance '${input.slug}' already exists.`, 'slug');
    throw e;
  }
}

export async function getInstance(ctx: ServiceContext, id: string): Promise<Instance> {
  const [row] = await ctx.db.select().from(instances).where(eq(instances.id, id));
  if (!row) throw notFound('instance', id, 'instance');
  return row;
}

export async function findInstanceBySlug(ctx: ServiceContext, slug: string): Promise<Instance | null> {
  const [row] = await ctx.db.select().from(instances).where(eq(instances.slug, slug));
  return row ?? null;
}

export async function listInstances(ctx: ServiceContext): Promise<Instance[]> {
  return ctx.db.select().from(instances).orderBy(instances.createdAt);
}

/** A page of instances in creation (ID) order. */
export async function listInstancePage(ctx: ServiceContext, page: PageRequest): Promise<Page<Instance>> {
  const limit = clampLimit(page.limit);
  const rows = await ctx.db
    .select()
    .from(instances)
    .where(and(page.startingAfter ? gt(instances.id, page.startingAfter) : undefined))
    .orderBy(asc(instances.id))
    .limit(limit + 1);
  return toPage(rows, limit);
}

/** An instance by ID (`ins_…`) or slug (`us`): the CLI and admin API accept either. */
export async function resolveInstance(ctx: ServiceContext, idOrSlug: string): Promise<Instance> {
  const found = idOrSlug.startsWith('ins_') ? await ctx.db.select().from(instances).where(eq(instances.id, idOrSlug)) : await ctx.db.select().from(instances).where(eq(instances.slug, idOrSlug));
  if (!found[0]) throw notFound('instance', idOrSlug, 'instance');
  return found[0];
}

export async function countInstances(db: Db): Promise<number> {
  const [r] = await db.select({ n: sql<number>`count(*)::int` }).from(instances);
  return Number(r?.n ?? 0);
}
