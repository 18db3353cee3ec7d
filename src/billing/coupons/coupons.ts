import { and, desc, eq, isNull, lt } from 'drizzle-orm';
import { findProduct } from '../../core/catalog/lookup.js';
import { currencyExponent, normalizeCurrency } from '../../core/money/currency.js';
import { Decimal } from '../../core/money/decimal.js';
import { conflict, invalid, notFound, TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { coupons } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';
import { codeHint, generateCouponCode, hashCouponCode } from './codes.js';
import { COUPON_DURATIONS, couponSnapshot, toCoupon, type Coupon, type CouponDuration } from './model.js';
import { MAX_COUPON_MONTHS } from './value.js';

export interface CreateCouponInput {
  /** Why it is issued ("Outage 2026-03 goodwill", "Prepaid deal Acme"). */
  readonly name: string;
  /** Exactly one of percentOff (0 < p ≤ 100) and amountOff (minor units, with currency). */
  readonly percentOff?: Decimal | string | number | null;
  readonly amountOff?: bigint | null;
  readonly currency?: string | null;
  readonly duration: CouponDuration;
  /** `repeating` only: 1–120. */
  readonly durationInMonths?: number | null;
  /** Default: 1 for customer-facing coupons (R11), unlimited otherwise. */
  readonly maxRedemptions?: number | null;
  readonly redeemBy?: Date | null;
  /** Restrict the discount to these products' lines; null/absent = every discountable line. */
  readonly productKeys?: readonly string[] | null;
  /** Generate a customer-facing code, returned once. */
  readonly customerFacingCode?: boolean;
}

export interface CreatedCoupon {
  readonly coupon: Coupon;
  /** The customer-facing code: returned here only, never stored or shown again. */
  readonly code: string | null;
}

/** A code chosen ahead of the coupon's creation (an approval request shows it before the coupon exists). */
export interface PreparedCode {
  readonly hash: string;
  readonly hint: string;
}

const MAX_AMOUNT = 10n ** 15n;
const HUNDRED = Decimal.fromBigInt(100n);

export interface ValidCouponInput {
  readonly name: string;
  readonly type: 'percent' | 'fixed';
  readonly percentOff: Decimal | null;
  readonly amountOff: bigint | null;
  readonly currency: string | null;
  readonly duration: CouponDuration;
  readonly durationInMonths: number | null;
  readonly maxRedemptions: number | null;
  readonly redeemBy: Date | null;
  readonly productKeys: string[] | null;
  readonly customerFacingCode: boolean;
}

/** Checks the input (without the catalog) and fills in defaults; every error names its field. */
export function checkCouponInput(input: CreateCouponInput, now: Date): ValidCouponInput {
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!name) throw invalid('name_required', 'A coupon needs a name saying why it is issued.', 'name');
  if (name.length > 200) throw invalid('name_too_long', 'A coupon name may have at most 200 characters.', 'name');
  const hasPercent = input.percentOff !== undefined && input.percentOff !== null;
  const hasAmount = input.amountOff !== undefined && input.amountOff !== null;
  if (hasPercent === hasAmount) throw invalid('discount_required', 'Give exactly one of percent_off and amount_off.', hasPercent ? 'amount_off' : 'percent_off');
  let percentOff: Decimal | null = null;
  let amountOff: bigint | null = null;
  let currency: string | null = null;
  if (hasPercent) {
    percentOff = Decimal.from(input.percentOff as Decimal | string | number, 'percent_off');
    if (!percentOff.gt(Decimal.fromBigInt(0n)) || percentOff.gt(HUNDRED)) throw invalid('percent_off_invalid', 'percent_off must be above 0 and at most 100.', 'percent_off');
    if (input.currency) throw invalid('currency_not_allowed', 'A percent coupon has no currency.', 'currency');
  } else {
    amountOff = input.amountOff as bigint;
    if (typeof amountOff !== 'bigint' || amountOff <= 0n || amountOff > MAX_AMOUNT) throw invalid('amount_off_invalid', 'amount_off must be a positive whole number of minor units.', 'amount_off');
    if (!input.currency) throw invalid('currency_required', 'A fixed-amount coupon needs a currency.', 'currency');
    currencyExponent(input.currency, 'currency');
    currency = normalizeCurrency(input.currency);
  }
  if (!COUPON_DURATIONS.includes(input.duration)) throw invalid('duration_invalid', `duration must be one of ${COUPON_DURATIONS.join(', ')}.`, 'duration');
  let durationInMonths: number | null = null;
  if (input.duration === 'repeating') {
    const m = input.durationInMonths;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > MAX_COUPON_MONTHS) {
      throw invalid('duration_in_months_invalid', `A repeating coupon needs duration_in_months from 1 to ${MAX_COUPON_MONTHS}.`, 'duration_in_months');
    }
    durationInMonths = m;
  } else if (input.durationInMonths !== undefined && input.durationInMonths !== null) {
    throw invalid('duration_in_months_not_allowed', `duration_in_months goes with duration 'repeating' only.`, 'duration_in_months');
  }
  const customerFacingCode = input.customerFacingCode === true;
  const maxRedemptions = input.maxRedemptions === undefined ? (customerFacingCode ? 1 : null) : input.maxRedemptions;
  if (maxRedemptions !== null && (!Number.isInteger(maxRedemptions) || maxRedemptions < 1 || maxRedemptions > 1_000_000)) {
    throw invalid('max_redemptions_invalid', 'max_redemptions must be a whole number of at least 1.', 'max_redemptions');
  }
  const redeemBy = input.redeemBy ?? null;
  if (redeemBy !== null && (Number.isNaN(redeemBy.getTime()) || redeemBy <= now)) throw invalid('redeem_by_invalid', 'redeem_by must be in the future.', 'redeem_by');
  let productKeys: string[] | null = null;
  if (input.productKeys !== undefined && input.productKeys !== null) {
    if (!Array.isArray(input.productKeys) || input.productKeys.length === 0) throw invalid('products_invalid', 'products must list at least one product key (or be omitted for all).', 'products');
    productKeys = [...new Set(input.productKeys)];
  }
  return { name, type: hasPercent ? 'percent' : 'fixed', percentOff, amountOff, currency, duration: input.duration, durationInMonths, maxRedemptions, redeemBy, productKeys, customerFacingCode };
}

/** A customer-facing code, ready to hand out once and store as a hash. */
export function prepareCode(): { code: string; prepared: PreparedCode } {
  const code = generateCouponCode();
  return { code, prepared: { hash: hashCouponCode(code), hint: codeHint(code) } };
}

function requireIssuer(ctx: ServiceContext): void {
  if (ctx.actor.type === 'instance') throw new TallyError('permission', 'staff_only', 'Coupons are created by staff, not by an instance.');
}

/**
 * Inserts a checked coupon in the caller's transaction, with the code hash given (or none), and audits it.
 * For the coupons service and the approval executor; others call createCoupon.
 */
export async function insertCoupon(
  ctx: ServiceContext,
  v: ValidCouponInput,
  code: PreparedCode | null,
  why: Justification,
  extra: { stackedFrom?: unknown; timesRedeemed?: number } = {},
): Promise<Coupon> {
  const { catalog } = await currentCatalogVersion(ctx.db);
  for (const [i, key] of (v.productKeys ?? []).entries()) {
    if (!findProduct(catalog, key)) throw invalid('unknown_product', `Unknown product '${key}'.`, `products.${i}`);
  }
  if (code) {
    const [taken] = await ctx.db.select({ id: coupons.id }).from(coupons).where(eq(coupons.codeHash, code.hash));
    if (taken) throw conflict('code_taken', 'That code is already in use; generate another.', 'code');
  }
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(coupons)
    .values({
      id: newId('coupon', now),
      name: v.name,
      type: v.type,
      percentOff: v.percentOff?.toString() ?? null,
      amountOff: v.amountOff,
      currency: v.currency,
      duration: v.duration,
      durationInMonths: v.durationInMonths,
      maxRedemptions: v.maxRedemptions,
      timesRedeemed: extra.timesRedeemed ?? 0,
      redeemBy: v.redeemBy,
      productKeys: v.productKeys,
      codeHash: code?.hash ?? null,
      codeHint: code?.hint ?? null,
      createdBy: ctx.actor.id,
      createdAt: now,
    })
    .returning();
  if (!row) throw new Error('coupon insert returned no row');
  const coupon = toCoupon(row);
  await recordAudit(ctx, {
    action: 'coupon.create',
    targetType: 'coupon',
    targetId: coupon.id,
    after: { ...couponSnapshot(coupon), ...(extra.stackedFrom ? { stacked_from: extra.stackedFrom } : {}) },
    reason: why.reason ?? (ctx.actor.type === 'staff' ? undefined : 'created by the system'),
    ticket: why.ticket,
  });
  return coupon;
}

/**
 * Creates a coupon. With `customerFacingCode`, a 12-character code is generated (CSPRNG) and returned in
 * this result only; the coupon keeps its SHA-256 and a hint. Staff must give a reason or ticket; audited.
 * Approval policy (large coupons) is applied by the caller: see approvals' createCouponUnderPolicy.
 */
export async function createCoupon(ctx: ServiceContext, input: CreateCouponInput, why: Justification = {}): Promise<CreatedCoupon> {
  requireIssuer(ctx);
  requireJustification(ctx, why);
  const v = checkCouponInput(input, ctx.clock.now());
  const generated = v.customerFacingCode ? prepareCode() : null;
  const coupon = await inTransaction(ctx.db, (tx) => insertCoupon(withDb(ctx, tx), v, generated?.prepared ?? null, why));
  return { coupon, code: generated?.code ?? null };
}

export async function getCoupon(ctx: ServiceContext, id: string): Promise<Coupon> {
  const [row] = await ctx.db.select().from(coupons).where(eq(coupons.id, id));
  if (!row) throw notFound('coupon', id, 'coupon');
  return toCoupon(row);
}

/** Coupons, newest first; retired ones only when asked. */
export async function listCoupons(ctx: ServiceContext, q: PageRequest & { includeRetired?: boolean }): Promise<Page<Coupon>> {
  const limit = clampLimit(q.limit);
  const rows = await ctx.db
    .select()
    .from(coupons)
    .where(and(q.includeRetired ? undefined : isNull(coupons.retiredAt), q.startingAfter ? lt(coupons.id, q.startingAfter) : undefined))
    .orderBy(desc(coupons.id))
    .limit(limit + 1);
  return toPage(rows.map(toCoupon), limit);
}

/**
 * Retires a coupon: it can no longer be applied or redeemed. Customers who hold it keep it until it runs
 * out (remove it from a customer with removeCustomerCoupon). Staff only, with a reason; audited.
 */
export async function retireCoupon(ctx: ServiceContext, id: string, why: Justification): Promise<Coupon> {
  requireIssuer(ctx);
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const [row] = await tx.select().from(coupons).where(eq(coupons.id, id)).for('update');
    if (!row) throw notFound('coupon', id, 'coupon');
    if (row.retiredAt) throw conflict('coupon_retired', `Coupon ${id} was already retired on ${row.retiredAt.toISOString()}.`, 'coupon');
    const before = toCoupon(row);
    const [updated] = await tx.update(coupons).set({ retiredAt: c.clock.now() }).where(eq(coupons.id, id)).returning();
    if (!updated) throw new Error('coupon update returned no row');
    const after = toCoupon(updated);
    await recordAudit(c, { action: 'coupon.retire', targetType: 'coupon', targetId: id, before: couponSnapshot(before), after: couponSnapshot(after), ...why });
    return after;
  });
}
