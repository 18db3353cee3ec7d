import { and, asc, eq, gt, ilike, or, sql } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import { normalizeCurrency, currencyExponent } from '../../core/money/index.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { customers } from '../../store/schema.js';
import { isUniqueViolation } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import type { Justification, ServiceContext } from '../context.js';
import { recordEvent } from '../events/record-event.js';

export interface Address {
  line1?: string | null;
  line2?: string | null;
  city?: string | null;
  state?: string | null;
  postal_code?: string | null;
  country?: string | null;
}

export interface TaxId {
  type: string; // e.g. eu_vat, us_ein, gb_vat
  value: string;
}

export interface Customer {
  id: string;
  instanceId: string;
  externalId: string;
  name: string | null;
  billingEmail: string | null;
  address: Address | null;
  taxIds: TaxId[];
  currency: string;
  metadata: Record<string, string>;
  providerCustomerId: string | null;
  /** When a payment method was set up at the provider (null: not yet, or the manual provider). */
  billingSetupAt: Date | null;
  freeTrialUntil: Date | null;
  planOverrides: Record<string, string>;
  revision: number;
  createdAt: Date;
  updatedAt: Date;
}

export type CustomerRow = typeof customers.$inferSelect;

export function toCustomer(r: CustomerRow): Customer {
  return {
    id: r.id,
    instanceId: r.instanceId,
    externalId: r.externalId,
    name: r.name,
    billingEmail: r.billingEmail,
    address: (r.address as Address | null) ?? null,
    taxIds: (r.taxIds as TaxId[]) ?? [],
    currency: r.currency,
    metadata: (r.metadata as Record<string, string>) ?? {},
    providerCustomerId: r.providerCustomerId,
    billingSetupAt: r.billingSetupAt,
    freeTrialUntil: r.freeTrialUntil,
    planOverrides: (r.planOverrides as Record<string, string>) ?? {},
    revision: r.revision,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export interface CreateCustomerInput {
  instanceId: string;
  externalId: string;
  name?: string | null;
  billingEmail?: string | null;
  address?: Address | null;
  taxIds?: TaxId[];
  currency: string;
  metadata?: Record<string, string>;
}

const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function checkEmail(email: string | null | undefined): void {
  if (email != null && !EMAIL_RE.test(email)) throw invalid('email_invalid', `'${email}' is not an email address.`, 'billing_email');
}

/** Creates a billing account for an instance's team/org. The external ID is unique per instance. */
export async function createCustomer(ctx: ServiceContext, input: CreateCustomerInput): Promise<Customer> {
  if (!input.externalId.trim()) throw invalid('external_id_required', 'external_id must not be empty.', 'external_id');
  checkEmail(input.billingEmail);
  currencyExponent(input.currency, 'currency');
  const now = ctx.clock.now();
  const id = newId('customer', now);
  let row: CustomerRow | undefined;
  try {
    [row] = await ctx.db
      .insert(customers)
      .values({
        id,
        instanceId: input.instanceId,
        externalId: input.externalId.trim(),
        name: input.name ?? null,
        billingEmail: input.billingEmail ?? null,
        address: input.address ?? null,
        taxIds: input.taxIds ?? [],
        currency: normalizeCurrency(input.currency),
        metadata: input.metadata ?? {},
        createdAt: now,
        updatedAt: now,
      })
      .returning();
  } catch (e) {
    if (isUniqueViolation(e)) {
      throw conflict('customer_exists', `A customer with external_id '${input.externalId}' already exists in this instance.`, 'external_id');
    }
    throw e;
  }
  if (!row) throw new Error('insert returned no row');
  const customer = toCustomer(row);
  await recordEvent(ctx, { type: 'customer.created', instanceId: customer.instanceId, customerId: id, objectId: id, data: { external_id: customer.externalId } });
  if (ctx.actor.type === 'staff') {
    await recordAudit(ctx, { action: 'customer.create', targetType: 'customer', targetId: id, customerId: id, after: customer, reason: 'created by staff' });
  }
  return customer;
}

/**
 * A customer by ID. With `instanceId`, a customer of another instance is reported as not found, so an
 * instance cannot even learn that another instance's customer exists (R1).
 */
export async function getCustomer(ctx: ServiceContext, id: string, instanceId?: string): Promise<Customer> {
  const where = instanceId ? and(eq(customers.id, id), eq(customers.instanceId, instanceId)) : eq(customers.id, id);
  const [row] = await ctx.db.select().from(customers).where(where);
  if (!row) throw notFound('customer', id, 'customer');
  return toCustomer(row);
}

/** Locks the customer row for the rest of the transaction: serializes changes to one customer. */
export async function lockCustomer(ctx: ServiceContext, id: string): Promise<Customer> {
  const [row] = await ctx.db.select().from(customers).where(eq(customers.id, id)).for('update');
  if (!row) throw notFound('customer', id, 'customer');
  return toCustomer(row);
}

/**
 * Locks many customers at once, in id order (the order every batch takes them in, so two batches cannot
 * deadlock). A missing id is simply absent from the result.
 */
export async function lockCustomers(ctx: ServiceContext, ids: readonly string[]): Promise<Map<string, Customer>> {
  if (ids.length === 0) return new Map();
  const rows = await ctx.db
    .select()
    .from(customers)
    .where(anyOf(customers.id, [...new Set(ids)]))
    .orderBy(customers.id)
    .for('update');
  return new Map(rows.map((r) => [r.id, toCustomer(r)]));
}

export async function findCustomerByExternalId(ctx: ServiceContext, instanceId: string, externalId: string): Promise<Customer | null> {
  const [row] = await ctx.db
    .select()
    .from(customers)
    .where(and(eq(customers.instanceId, instanceId), eq(customers.externalId, externalId)));
  return row ? toCustomer(row) : null;
}

/** The Tally customer linked to a provider customer (R16), if any. */
export async function findCustomerByProviderId(ctx: ServiceContext, providerCustomerId: string): Promise<Customer | null> {
  const [row] = await ctx.db.select().from(customers).where(eq(customers.providerCustomerId, providerCustomerId));
  return row ? toCustomer(row) : null;
}

export interface UpdateCustomerInput {
  name?: string | null;
  billingEmail?: string | null;
  address?: Address | null;
  taxIds?: TaxId[];
  metadata?: Record<string, string>;
  providerCustomerId?: string | null;
  billingSetupAt?: Date | null;
}

/** Updates identity and billing details; audited when staff do it (with their reason). */
export async function updateCustomer(ctx: ServiceContext, id: string, patch: UpdateCustomerInput, why: Justification = {}): Promise<Customer> {
  // Refuse before touching anything: a staff change without a reason must leave no trace.
  requireJustification(ctx, why);
  checkEmail(patch.billingEmail);
  const before = await lockCustomer(ctx, id);
  const set: Partial<typeof customers.$inferInsert> = { updatedAt: ctx.clock.now() };
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.billingEmail !== undefined) set.billingEmail = patch.billingEmail;
  if (patch.address !== undefined) set.address = patch.address;
  if (patch.taxIds !== undefined) set.taxIds = patch.taxIds;
  if (patch.metadata !== undefined) set.metadata = patch.metadata;
  if (patch.providerCustomerId !== undefined) set.providerCustomerId = patch.providerCustomerId;
  if (patch.billingSetupAt !== undefined) set.billingSetupAt = patch.billingSetupAt;
  let row: CustomerRow | undefined;
  try {
    [row] = await ctx.db.update(customers).set(set).where(eq(customers.id, id)).returning();
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict('provider_customer_taken', 'That provider customer ID belongs to another customer.', 'provider_customer_id');
    throw e;
  }
  if (!row) throw notFound('customer', id, 'customer');
  const after = toCustomer(row);
  await recordEvent(ctx, { type: 'customer.updated', instanceId: after.instanceId, customerId: id, objectId: id, data: { changed: Object.keys(patch) } });
  if (ctx.actor.type === 'staff') {
    await recordAudit(ctx, { action: 'customer.update', targetType: 'customer', targetId: id, customerId: id, before, after, ...why });
  }
  return after;
}

/**
 * Bumps the customer's revision: every change that can alter what the customer may use calls this in
 * its transaction, so entitlement caches (which remember the revision) know to recompute.
 */
export async function bumpCustomerRevision(ctx: ServiceContext, id: string): Promise<number> {
  const [row] = await ctx.db
    .update(customers)
    .set({ revision: sql`${customers.revision} + 1`, updatedAt: ctx.clock.now() })
    .where(eq(customers.id, id))
    .returning({ revision: customers.revision });
  if (!row) throw notFound('customer', id, 'customer');
  return row.revision;
}

export interface CustomerSearch {
  /** Matches external (team/org) ID or provider ID exactly, billing email case-insensitively, name by substring. */
  query: string;
  instanceId?: string;
  limit?: number;
  /** Cursor: only customers after this ID (results are in ID, i.e. creation, order). */
  startingAfter?: string | null;
}

/** What support does first with a ticket: find the customer by team/org ID, billing email, provider ID or name. */
export async function searchCustomers(ctx: ServiceContext, s: CustomerSearch): Promise<Customer[]> {
  const q = s.query.trim();
  if (!q) throw invalid('query_required', 'Give a team/org ID, billing email, provider ID or name to search for.', 'query');
  const escaped = q.replace(/[\\%_]/g, (c) => `\\${c}`);
  const match = or(
    eq(customers.externalId, q),
    eq(customers.providerCustomerId, q),
    eq(customers.id, q),
    sql`lower(${customers.billingEmail}) = lower(${q})`,
    ilike(customers.name, `%${escaped}%`),
  );
  const rows = await ctx.db
    .select()
    .from(customers)
    .where(and(s.instanceId ? eq(customers.instanceId, s.instanceId) : undefined, s.startingAfter ? gt(customers.id, s.startingAfter) : undefined, match))
    .orderBy(asc(customers.id))
    .limit(Math.min(Math.max(s.limit ?? 50, 1), 200));
  return rows.map(toCustomer);
}
