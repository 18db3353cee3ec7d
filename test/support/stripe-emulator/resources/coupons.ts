/** Coupons, applied to invoices as `discounts: [{coupon}]`. */
import type Stripe from 'stripe';
import { invalidParam, invalidRequest, notFound } from '../errors.js';
import { newCouponId } from '../ids.js';
import { paginate } from '../lists.js';
import { readPagination } from '../params.js';
import { route, type Route } from '../router.js';
import type { Store } from '../store.js';
import { deepClone, mergeMetadata, readCurrency, readExpand } from './common.js';

export function requireCoupon(store: Store, id: string, param = 'coupon'): Stripe.Coupon {
  const coupon = store.coupons.get(id);
  if (!coupon) throw notFound('coupon', id, param);
  return coupon;
}

export function couponUsable(coupon: Stripe.Coupon, now: number): boolean {
  if (coupon.redeem_by !== null && now > coupon.redeem_by) return false;
  if (coupon.max_redemptions !== null && coupon.times_redeemed >= coupon.max_redemptions) return false;
  return true;
}

export const couponRoutes: Route[] = [
  route<Stripe.CouponCreateParams, Stripe.Coupon>({
    method: 'POST',
    path: '/v1/coupons',
    parse: (p) => ({
      amount_off: p.integer('amount_off', { min: 1 }),
      currency: readCurrency(p, 'currency'),
      duration: p.oneOf('duration', ['forever', 'once', 'repeating'] as const),
      duration_in_months: p.integer('duration_in_months', { min: 1 }),
      expand: readExpand(p),
      id: p.nonEmptyString('id'),
      max_redemptions: p.integer('max_redemptions', { min: 1 }),
      metadata: p.metadata('metadata'),
      name: p.string('name'),
      percent_off: p.number('percent_off'),
      redeem_by: p.integer('redeem_by', { min: 0 }),
    }),
    handle: (params, ctx) => {
      if ((params.amount_off === undefined) === (params.percent_off === undefined)) {
        throw invalidParam('You must specify exactly one of amount_off or percent_off.', 'percent_off', 'parameters_exclusive');
      }
      if (params.percent_off !== undefined && (params.percent_off <= 0 || params.percent_off > 100)) {
        throw invalidParam('percent_off must be greater than 0 and at most 100.', 'percent_off');
      }
      if (params.amount_off !== undefined && params.currency === undefined) {
        throw invalidParam('You must pass currency when passing amount_off.', 'currency', 'parameter_missing');
      }
      const duration = params.duration ?? 'once';
      if (duration === 'repeating' && params.duration_in_months === undefined) {
        throw invalidParam('duration_in_months is required when duration is repeating.', 'duration_in_months', 'parameter_missing');
      }
      const id = params.id ?? newCouponId();
      if (ctx.store.coupons.has(id)) throw invalidRequest('Coupon already exists.', 'id', 'resource_already_exists');
      const coupon: Stripe.Coupon = {
        id,
        object: 'coupon',
        amount_off: params.amount_off ?? null,
        created: ctx.now(),
        currency: params.amount_off !== undefined ? (params.currency ?? null) : null,
        duration,
        duration_in_months: duration === 'repeating' ? (params.duration_in_months ?? null) : null,
        livemode: false,
        max_redemptions: params.max_redemptions ?? null,
        metadata: mergeMetadata(null, params.metadata),
        name: params.name ?? null,
        percent_off: params.percent_off ?? null,
        redeem_by: params.redeem_by ?? null,
        times_redeemed: 0,
        valid: true,
      };
      ctx.store.coupons.set(id, coupon);
      ctx.store.track(id);
      ctx.emit('coupon.created', deepClone(coupon));
      return deepClone(coupon);
    },
  }),
  route<Stripe.CouponRetrieveParams, Stripe.Coupon>({
    method: 'GET',
    path: '/v1/coupons/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => {
      const coupon = requireCoupon(ctx.store, path.id as string, 'id');
      return { ...deepClone(coupon), valid: couponUsable(coupon, ctx.now()) };
    },
  }),
  route<Stripe.CouponUpdateParams, Stripe.Coupon>({
    method: 'POST',
    path: '/v1/coupons/:id',
    parse: (p) => ({ name: p.string('name'), metadata: p.metadata('metadata'), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const coupon = requireCoupon(ctx.store, path.id as string, 'id');
      if (params.name !== undefined) coupon.name = params.name === '' ? null : params.name;
      if (params.metadata !== undefined) coupon.metadata = mergeMetadata(coupon.metadata, params.metadata);
      ctx.emit('coupon.updated', deepClone(coupon));
      return deepClone(coupon);
    },
  }),
  route<Stripe.CouponListParams, Stripe.ApiList<Stripe.Coupon>>({
    method: 'GET',
    path: '/v1/coupons',
    parse: (p) => ({ ...readPagination(p), expand: readExpand(p) }),
    handle: (params, ctx) => paginate(ctx.store.newestFirst([...ctx.store.coupons.values()]).map(deepClone), params, '/v1/coupons'),
  }),
  route<Stripe.CouponDeleteParams, Stripe.DeletedCoupon>({
    method: 'DELETE',
    path: '/v1/coupons/:id',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const coupon = requireCoupon(ctx.store, path.id as string, 'id');
      ctx.store.coupons.delete(coupon.id);
      ctx.emit('coupon.deleted', deepClone(coupon));
      return { id: coupon.id, object: 'coupon', deleted: true };
    },
  }),
];
