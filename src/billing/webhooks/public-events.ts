/**
 * Which recorded events an instance may receive by webhook, and what of them it sees. Internal events
 * (API keys, approvals, period closes, schedules, staff overrides) are never sent, and a public event
 * carries only listed fields: no actor (which staff member or key did it), no catalog version ids.
 */
import type { events } from '../../store/schema.js';

export const PUBLIC_EVENT_TYPES = [
  'invoice.created',
  'invoice.updated',
  'invoice.finalized',
  'invoice.paid',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'invoice.sent',
  'subscription.created',
  'subscription.plan_changed',
  'subscription.item_added',
  'subscription.item_removed',
  'subscription.cancel_scheduled',
  'subscription.canceled',
  'subscription.status_changed',
  'subscription.startup_expired',
  'customer.created',
  'customer.updated',
  'customer.trial_started',
  'customer.trial_canceled',
  'customer.trial_ended',
  'customer.entitlements_updated',
  'customer.quota_limited',
  'customer.quota_restored',
  'customer.billing_limit_updated',
  'customer.discount.created',
  'customer.discount.used',
  'customer.discount.deleted',
  'customer.balance_transaction.created',
] as const;

export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

const PUBLIC = new Set<string>(PUBLIC_EVENT_TYPES);

export function isPublicEventType(type: string): type is PublicEventType {
  return PUBLIC.has(type);
}

/**
 * Events after which what a customer may use can have changed: the fan-out recomputes the customer's
 * features after each and sends `customer.entitlements_updated` when they differ from the last ones sent.
 */
export const ENTITLEMENT_TRIGGERS: ReadonlySet<string> = new Set([
  'subscription.created',
  'subscription.plan_changed',
  'subscription.item_added',
  'subscription.item_removed',
  'subscription.canceled',
  'subscription.startup_expired',
  'subscription_schedule.phase_started',
  'customer.trial_started',
  'customer.trial_canceled',
  'customer.trial_ended',
  'customer.plan_overrides_updated',
]);

/** Whether an event is of interest to webhooks at all (sent itself, or may lead to an entitlements event). */
export function concernsWebhooks(type: string): boolean {
  return PUBLIC.has(type) || ENTITLEMENT_TRIGGERS.has(type);
}

type EventRow = typeof events.$inferSelect;

interface Shape {
  /** The `object` named in `data`. */
  object: string;
  /** Where `data.id` comes from: the event's object, or the customer. */
  id: 'object' | 'customer';
  /** The fields of the recorded data passed on. */
  fields: readonly string[];
}

const INVOICE_FIELDS = ['number', 'status', 'currency', 'collection_method', 'total', 'applied_balance', 'amount_due', 'amount_paid', 'due_date', 'payment_reference'];
const invoice = (...extra: string[]): Shape => ({ object: 'invoice', id: 'object', fields: [...INVOICE_FIELDS, ...extra] });
const subscription = (...fields: string[]): Shape => ({ object: 'subscription', id: 'object', fields });
const customer = (...fields: string[]): Shape => ({ object: 'customer', id: 'customer', fields });
const QUOTA_FIELDS = ['product', 'metric', 'usage', 'unit_limit', 'billing_limit', 'currency', 'period_start', 'period_end', 'reason'];
const DISCOUNT_FIELDS = ['coupon', 'ends_at', 'invoice', 'invoices_applied', 'reason', 'stacked_into'];

const SHAPES: Record<PublicEventType, Shape> = {
  'invoice.created': invoice(),
  'invoice.updated': invoice('changed'),
  'invoice.finalized': invoice(),
  'invoice.paid': invoice('paid_out_of_band'),
  'invoice.voided': invoice(),
  'invoice.marked_uncollectible': invoice(),
  'invoice.sent': invoice('to'),
  'subscription.created': subscription('interval', 'anchor', 'current_period_end', 'items'),
  'subscription.plan_changed': subscription('product', 'from', 'to'),
  'subscription.item_added': subscription('product', 'from', 'to'),
  'subscription.item_removed': subscription('product', 'from', 'to'),
  'subscription.cancel_scheduled': subscription('cancels_at'),
  'subscription.canceled': subscription('canceled_at', 'immediate', 'ended_items'),
  'subscription.status_changed': subscription('from', 'to'),
  'subscription.startup_expired': subscription('expired_at', 'applied_at', 'changes'),
  'customer.created': customer('external_id'),
  'customer.updated': customer('changed'),
  'customer.trial_started': customer('free_trial_until', 'previous'),
  'customer.trial_canceled': customer('free_trial_until'),
  'customer.trial_ended': customer('free_trial_until'),
  'customer.entitlements_updated': customer('features', 'previous_features'),
  'customer.quota_limited': customer(...QUOTA_FIELDS),
  'customer.quota_restored': customer(...QUOTA_FIELDS),
  'customer.billing_limit_updated': customer('product', 'effective', 'amount', 'next_amount', 'next_from', 'currency', 'previous'),
  'customer.discount.created': { object: 'discount', id: 'object', fields: DISCOUNT_FIELDS },
  'customer.discount.used': { object: 'discount', id: 'object', fields: DISCOUNT_FIELDS },
  'customer.discount.deleted': { object: 'discount', id: 'object', fields: DISCOUNT_FIELDS },
  'customer.balance_transaction.created': { object: 'customer_balance_transaction', id: 'object', fields: ['type', 'amount', 'currency', 'ending_balance', 'invoice'] },
};

/** Keys dropped at any depth: internal references a receiver cannot use. */
const INTERNAL_KEYS = new Set(['actor', 'catalog_version']);

function scrub(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrub);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([k]) => !INTERNAL_KEYS.has(k))
      .map(([k, v]) => [k, scrub(v)]),
  );
}

export interface PublicEvent {
  id: string;
  type: PublicEventType;
  created: string;
  instance: string;
  data: Record<string, unknown>;
}

/**
 * The body sent for a recorded event: `{id, type, created, instance, data}` where `data` is
 * `{object, id, customer, customer_external_id, …the type's fields}`. Null for an internal event or one
 * without an instance.
 */
export function toPublicEvent(row: EventRow, customerExternalId: string | null): PublicEvent | null {
  if (!isPublicEventType(row.type) || row.instanceId === null) return null;
  const shape = SHAPES[row.type];
  const recorded = (row.data ?? {}) as Record<string, unknown>;
  const data: Record<string, unknown> = {
    object: shape.object,
    id: shape.id === 'customer' ? row.customerId : row.objectId,
    customer: row.customerId,
    customer_external_id: customerExternalId,
  };
  for (const f of shape.fields) if (f in recorded) data[f] = scrub(recorded[f]);
  return { id: row.id, type: row.type, created: row.createdAt.toISOString(), instance: row.instanceId, data };
}
