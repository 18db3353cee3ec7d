/**
 * What a customer may use (R8, R9): computed by the pure `availableFeatures` from the customer's plans,
 * staff overrides and trial, and cached in-process per customer.
 *
 * The cache is correct across processes without any messaging: every change that can alter entitlements
 * bumps `customers.revision` in its transaction, and an entry is used only while (a) the customer's
 * revision and (b) the catalog version in force are the ones it was computed at, and (c) the clock is
 * before the next time-driven change it knew of (trial end, startup expiry, cancel at period end). A warm
 * check therefore costs one primary-key read of the revision (with the one-row catalog pointer).
 */
import { eq, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { availableFeatures, type AvailableFeature, type Entitlement } from '../../core/entitlements/features.js';
import { invalid, notFound } from '../../shared/errors.js';
import { rawRows } from '../../store/raw-query.js';
import { catalogCurrent, customers } from '../../store/schema.js';
import { catalogOfVersion } from '../catalog/catalog-versions.js';
import type { Db } from '../../store/database.js';
import type { ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { instanceScope } from '../customers/scope.js';
import { subscribedPlansAt } from '../subscriptions/plans-at.js';

export type { AvailableFeature, Entitlement, FeatureSource } from '../../core/entitlements/features.js';

/** Shared with the cache, hence read-only. */
export interface AvailableFeatures {
  readonly customerId: string;
  readonly features: readonly AvailableFeature[];
  /** The customer revision these were computed at. */
  readonly revision: number;
  /** When a time-driven change (trial end, startup expiry, cancel at period end) next alters them; null when none is pending. */
  readonly validUntil: Date | null;
}

interface Entry {
  value: AvailableFeatures;
  catalogVersionId: string;
  byKey: ReadonlyMap<string, AvailableFeature>;
  expiresAt: number;
}

const MAX_ENTRIES = 100_000;
const cache = new Map<string, Entry>();

export interface EntitlementOptions {
  /** Scope to one instance: another instance's customer is not found (R1). An acting instance is always scoped to itself. */
  instanceId?: string;
}

function headQuery(db: Db, customerId: string) {
  return db
    .select({
      revision: customers.revision,
      instanceId: customers.instanceId,
      catalogVersionId: sql<string | null>`(select ${catalogCurrent.versionId} from ${catalogCurrent} where ${catalogCurrent.singleton} = 1)`,
    })
    .from(customers)
    .where(eq(customers.id, customerId));
}

/** The warm path's one read: the revision by primary key, with the one-row catalog pointer. */
const HEAD_SQL = 'select revision, instance_id as "instanceId", (select version_id from catalog_current where singleton = 1) as "catalogVersionId" from customers where id = $1';

/** True when `db` is a transaction, whose reads may yet roll back. */
const inTransaction = (db: Db): boolean => db instanceof PgTransaction;

async function head(ctx: ServiceContext, customerId: string, opts: EntitlementOptions): Promise<{ revision: number; catalogVersionId: string }> {
  type Head = { revision: number; instanceId: string; catalogVersionId: string | null };
  const rows = (await rawRows<Head>(ctx.db, HEAD_SQL, [customerId])) ?? (await headQuery(ctx.db, customerId));
  const row = rows[0];
  const scope = opts.instanceId ?? instanceScope(ctx);
  if (!row || (scope !== undefined && row.instanceId !== scope)) throw notFound('customer', customerId, 'customer');
  if (row.catalogVersionId === null) throw invalid('catalog_not_loaded', 'No billing config has been loaded yet.');
  return { revision: row.revision, catalogVersionId: row.catalogVersionId };
}

async function entry(ctx: ServiceContext, customerId: string, opts: EntitlementOptions): Promise<Entry> {
  const h = await head(ctx, customerId, opts);
  const now = ctx.clock.now();
  const hit = cache.get(customerId);
  if (hit && hit.value.revision === h.revision && hit.catalogVersionId === h.catalogVersionId && now.getTime() < hit.expiresAt) return hit;

  // Read after the revision: the data is at least as new as the revision the entry is labelled with, so a
  // concurrent change can only make the entry look older than it is (and be recomputed), never newer.
  const customer = await getCustomer(ctx, customerId);
  const catalog = await catalogOfVersion(ctx.db, h.catalogVersionId);
  const subscribed = await subscribedPlansAt(ctx.db, customerId, now, catalog);
  const features = availableFeatures(catalog, { at: now, freeTrialUntil: customer.freeTrialUntil, planOverrides: customer.planOverrides, subscribedPlans: subscribed.plans });
  const trialEnd = customer.freeTrialUntil && customer.freeTrialUntil.getTime() > now.getTime() ? customer.freeTrialUntil.getTime() : Number.POSITIVE_INFINITY;
  const expiresAt = Math.min(trialEnd, subscribed.nextChange?.getTime() ?? Number.POSITIVE_INFINITY);
  // Frozen: the same objects are handed to every caller while the entry lives.
  const value: AvailableFeatures = Object.freeze({
    customerId,
    features: Object.freeze(features.map((f) => Object.freeze({ ...f }))),
    revision: h.revision,
    validUntil: Number.isFinite(expiresAt) ? new Date(expiresAt) : null,
  });
  const e: Entry = { value, catalogVersionId: h.catalogVersionId, byKey: new Map(value.features.map((f) => [f.key, f])), expiresAt };
  // Inside a transaction the rows read may yet roll back: use them, but do not remember them.
  if (!inTransaction(ctx.db)) {
    cache.delete(customerId);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(customerId, e);
  }
  return e;
}

/** The customer's available features: `{key, name, limit, source, product}` each, in the config's order. */
export async function getAvailableFeatures(ctx: ServiceContext, customerId: string, opts: EntitlementOptions = {}): Promise<AvailableFeatures> {
  return (await entry(ctx, customerId, opts)).value;
}

/** Whether the customer may use one feature, with its limit (null: unlimited) and where it comes from. */
export async function checkEntitlement(ctx: ServiceContext, customerId: string, featureKey: string, opts: EntitlementOptions = {}): Promise<Entitlement> {
  const f = (await entry(ctx, customerId, opts)).byKey.get(featureKey);
  return f ? { enabled: true, limit: f.limit, source: f.source } : { enabled: false, limit: null, source: null };
}

/** Empties the in-process cache (tests, benchmarks). Never needed for correctness. */
export function clearEntitlementCache(): void {
  cache.clear();
}
