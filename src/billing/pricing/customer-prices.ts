/**
 * Per-customer prices (R7 bespoke prices; R19 custom overage rates): a customer's own graduated, metered
 * tiers for one product, in force over [validFrom, validUntil). Period close rates the product's usage
 * with the customer price in force at the period's start instead of the item's catalog price; the
 * subscription item keeps its catalog price for everything else (plan, features, interval).
 */
import { eq } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { Catalog, Price, Tier } from '../../core/catalog/model.js';
import { Decimal, normalizeCurrency } from '../../core/money/index.js';
import { invalid } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { customerPrices } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';

export interface StoredTier {
  up_to: string | null;
  unit_amount: string;
  flat_amount: string;
}

export interface CustomerPrice {
  id: string;
  customerId: string;
  productKey: string;
  currency: string;
  tiers: Tier[];
  aggregation: 'max' | 'sum';
  description: string;
  contractId: string | null;
  validFrom: Date;
  validUntil: Date | null;
  createdAt: Date;
}

type Row = typeof customerPrices.$inferSelect;

const toTiers = (stored: StoredTier[]): Tier[] =>
  stored.map((t) => ({ upTo: t.up_to === null ? null : Decimal.parse(t.up_to), unitAmount: Decimal.parse(t.unit_amount), flatAmount: Decimal.parse(t.flat_amount) }));

const toStored = (tiers: readonly Tier[]): StoredTier[] => tiers.map((t) => ({ up_to: t.upTo?.toString() ?? null, unit_amount: t.unitAmount.toString(), flat_amount: t.flatAmount.toString() }));

function toCustomerPrice(r: Row): CustomerPrice {
  return { ...r, tiers: toTiers(r.tiers as StoredTier[]) };
}

export interface NewCustomerPrice {
  customerId: string;
  productKey: string;
  currency: string;
  tiers: readonly Tier[];
  /** R7: bespoke prices aggregate by maximum during the period. */
  aggregation?: 'max' | 'sum';
  validFrom: Date;
  validUntil: Date | null;
  contractId?: string | null;
}

/** `Custom - 2026-01-01`: how bespoke prices are labelled (R7). */
export const customDescription = (from: Date): string => `Custom - ${from.toISOString().slice(0, 10)}`;

/** Tier boundaries as strings, for comparing two prices' tiers (R7). */
export const tierBounds = (tiers: readonly Tier[]): (string | null)[] => tiers.map((t) => t.upTo?.toString() ?? null);

/** The first tier index whose upper bound differs, or -1 when the boundaries are identical (R7). */
export function firstTierMismatch(a: readonly Tier[], b: readonly Tier[]): number {
  const x = tierBounds(a);
  const y = tierBounds(b);
  for (let i = 0; i < Math.max(x.length, y.length); i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** The metered tiered price a product bills usage with under `planKey` in `currency` (month preferred). */
export function meteredTieredPrice(catalog: Catalog, productKey: string, planKey: string, currency: string): Price | null {
  const prices = [...catalog.prices.values()].filter((p) => p.productKey === productKey && p.planKey === planKey && p.currency === currency && p.metered && p.scheme.type === 'tiered');
  return prices.find((p) => p.interval === 'month') ?? prices[0] ?? null;
}

/** Records a customer price, in the caller's transaction. */
export async function createCustomerPrice(ctx: ServiceContext, input: NewCustomerPrice): Promise<CustomerPrice> {
  if (input.tiers.length === 0 || input.tiers[input.tiers.length - 1]!.upTo !== null) throw invalid('invalid_tiers', 'A customer price needs tiers ending in an open tier.', 'tiers');
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(customerPrices)
    .values({
      id: newId('price', now),
      customerId: input.customerId,
      productKey: input.productKey,
      currency: normalizeCurrency(input.currency), // as the catalog spells it, so ratingPriceFrom matches
      tiers: toStored(input.tiers),
      aggregation: input.aggregation ?? 'max',
      description: customDescription(input.validFrom),
      contractId: input.contractId ?? null,
      validFrom: input.validFrom,
      validUntil: input.validUntil,
      createdAt: now,
    })
    .returning();
  return toCustomerPrice(row!);
}

export async function listCustomerPrices(db: Db, customerId: string): Promise<CustomerPrice[]> {
  const rows = await db.select().from(customerPrices).where(eq(customerPrices.customerId, customerId)).orderBy(customerPrices.validFrom, customerPrices.id);
  return rows.map(toCustomerPrice);
}

/**
 * The customer prices in force at each asked instant, for a batch of customers at once (period close):
 * key `${customerId}/${at ms}`; absent = none.
 */
export async function customerPricesInForce(db: Db, asks: readonly { customerId: string; at: Date }[]): Promise<Map<string, CustomerPrice[]>> {
  const out = new Map<string, CustomerPrice[]>();
  if (asks.length === 0) return out;
  const rows = (await db.select().from(customerPrices).where(anyOf(customerPrices.customerId, [...new Set(asks.map((a) => a.customerId))]))).map(toCustomerPrice);
  for (const a of asks) {
    const t = a.at.getTime();
    const inForce = rows.filter((r) => r.customerId === a.customerId && r.validFrom.getTime() <= t && (r.validUntil === null || r.validUntil.getTime() > t));
    if (inForce.length > 0) out.set(`${a.customerId}/${t}`, inForce);
  }
  return out;
}

/**
 * The price to rate an item's usage with, from the prices customerPricesInForce read: the customer's own
 * price for the item's product and currency (the latest-starting one), shaped as a catalog price (same
 * product, metric and interval as the item's); else the item's price unchanged.
 */
export function ratingPriceFrom(itemPrice: Price, inForce: readonly CustomerPrice[]): Price {
  if (!itemPrice.metered) return itemPrice;
  // Normalized again here for prices stored before createCustomerPrice normalized them (`usd` never matched).
  const cp = inForce
    .filter((c) => c.productKey === itemPrice.productKey && normalizeCurrency(c.currency) === itemPrice.currency)
    .sort((a, b) => b.validFrom.getTime() - a.validFrom.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))[0];
  return cp ? asRatingPrice(itemPrice, cp) : itemPrice;
}

/** A customer price shaped as a catalog price: same product, metric and interval as the item's. */
function asRatingPrice(itemPrice: Price, cp: CustomerPrice): Price {
  if (!itemPrice.metered) return itemPrice;
  return {
    ...itemPrice,
    key: `${itemPrice.productKey}.custom.${cp.id}`,
    scheme: { type: 'tiered', mode: 'graduated', tiers: cp.tiers },
    metered: { metric: itemPrice.metered.metric, aggregation: cp.aggregation },
    startup: null,
    description: cp.description,
    metadata: { customer_price: cp.id },
  };
}
