import { z } from 'zod';
import type { AvailableFeatures, Entitlement } from '../billing/entitlements/index.js';
import type { Subscription, SubscriptionSchedule } from '../billing/subscriptions/index.js';

const Timestamp = z.string().describe('ISO 8601 UTC timestamp');
const ts = (d: Date): string => d.toISOString();
const tsOrNull = (d: Date | null): string | null => (d ? d.toISOString() : null);

export const SubscriptionItemJson = z
  .object({
    id: z.string(),
    object: z.literal('subscription_item'),
    product: z.string(),
    plan: z.string(),
    price: z.string(),
    catalog_version: z.string().describe('The config version this price was read from; later config edits do not reprice it'),
    started: Timestamp,
    valid_until: Timestamp.nullable().describe('Startup price expiry (R6), if any'),
  })
  .meta({ id: 'SubscriptionItem' });

export const SubscriptionJson = z
  .object({
    id: z.string(),
    object: z.literal('subscription'),
    customer: z.string(),
    status: z.enum(['trialing', 'active', 'past_due', 'canceled']),
    currency: z.string(),
    interval: z.enum(['month', 'year']),
    billing_anchor: Timestamp,
    current_period_start: Timestamp,
    current_period_end: Timestamp,
    cancel_at_period_end: z.boolean(),
    canceled_at: Timestamp.nullable(),
    startup_expires_at: Timestamp.nullable(),
    schedule: z.string().nullable(),
    items: z.array(SubscriptionItemJson),
    created: Timestamp,
  })
  .meta({ id: 'Subscription' });

export function subscriptionJson(s: Subscription): z.infer<typeof SubscriptionJson> {
  return {
    id: s.id,
    object: 'subscription',
    customer: s.customerId,
    status: s.status,
    currency: s.currency.toLowerCase(),
    interval: s.interval,
    billing_anchor: ts(s.billingAnchor),
    current_period_start: ts(s.currentPeriodStart),
    current_period_end: ts(s.currentPeriodEnd),
    cancel_at_period_end: s.cancelAtPeriodEnd,
    canceled_at: tsOrNull(s.canceledAt),
    startup_expires_at: tsOrNull(s.startupExpiresAt),
    schedule: s.scheduleId,
    items: s.items.map((i) => ({
      id: i.id,
      object: 'subscription_item' as const,
      product: i.productKey,
      plan: i.planKey,
      price: i.priceKey,
      catalog_version: i.catalogVersionId,
      started: ts(i.startedAt),
      valid_until: tsOrNull(i.validUntil),
    })),
    created: ts(s.createdAt),
  };
}

export const FeaturesJson = z
  .object({
    object: z.literal('available_features'),
    customer: z.string(),
    data: z.array(
      z.object({
        key: z.string(),
        name: z.string(),
        limit: z.number().nullable().describe('null = no limit'),
        source: z.enum(['plan', 'trial', 'override']),
        product: z.string(),
      }),
    ),
    valid_until: Timestamp.nullable().describe('When a time-driven change (trial end, startup expiry) next alters these'),
  })
  .meta({ id: 'AvailableFeatures' });

export function featuresJson(f: AvailableFeatures): z.infer<typeof FeaturesJson> {
  return {
    object: 'available_features',
    customer: f.customerId,
    data: f.features.map((x) => ({ key: x.key, name: x.name, limit: x.limit, source: x.source, product: x.product })),
    valid_until: tsOrNull(f.validUntil),
  };
}

export const EntitlementJson = z
  .object({
    object: z.literal('entitlement'),
    feature: z.string(),
    enabled: z.boolean(),
    limit: z.number().nullable(),
    source: z.enum(['plan', 'trial', 'override']).nullable(),
  })
  .meta({ id: 'Entitlement' });

export function entitlementJson(feature: string, e: Entitlement): z.infer<typeof EntitlementJson> {
  return { object: 'entitlement', feature, enabled: e.enabled, limit: e.limit, source: e.source };
}

export const ScheduleJson = z
  .object({
    id: z.string(),
    object: z.literal('subscription_schedule'),
    customer: z.string(),
    status: z.enum(['not_started', 'active', 'completed', 'released', 'canceled']),
    end_behavior: z.enum(['release', 'cancel']),
    phases: z.array(z.object({ start: Timestamp, end: Timestamp, interval: z.enum(['month', 'year']), items: z.array(z.object({ product: z.string(), plan: z.string(), price: z.string() })) })),
    current_phase: z.number().int().nullable(),
    subscription: z.string().nullable(),
    created: Timestamp,
  })
  .meta({ id: 'SubscriptionSchedule' });

export function scheduleJson(s: SubscriptionSchedule): z.infer<typeof ScheduleJson> {
  return {
    id: s.id,
    object: 'subscription_schedule',
    customer: s.customerId,
    status: s.status,
    end_behavior: s.endBehavior,
    phases: s.phases.map((p) => ({ start: p.start, end: p.end, interval: p.interval, items: p.items.map((i) => ({ product: i.product_key, plan: i.plan_key, price: i.price_key })) })),
    current_phase: s.currentPhase,
    subscription: s.subscriptionId,
    created: ts(s.createdAt),
  };
}
