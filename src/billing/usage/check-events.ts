import { Decimal } from '../../core/money/index.js';
import { isTallyError } from '../../shared/errors.js';
import { MAX_FUTURE_MS, type CheckedEvent, type IngestResult, type UsageEventInput } from './usage-event.js';

export interface CheckContext {
  now: Date;
  /** Metric → product key, from the catalog. */
  metrics: ReadonlyMap<string, string>;
  /** Resolves `customer` (ID or external ID) to a customer of this instance, or null. */
  customerIdOf: (ref: string) => string | null;
  /** True when the event's period is already invoiced (finalized) for that customer: too late to count. */
  isClosed: (customerId: string, at: Date) => boolean;
}

type Checked = { ok: true; event: CheckedEvent } | { ok: false; result: IngestResult };

const reject = (id: string, code: string, param: string, reason: string): Checked => ({ ok: false, result: { id, status: 'rejected', code, param, reason } });

/**
 * Checks one event; pure apart from the lookups in `c`. A bad event is rejected with a reason and never
 * affects the others in its batch.
 */
export function checkEvent(raw: UsageEventInput, index: number, c: CheckContext): Checked {
  const id = typeof raw?.id === 'string' ? raw.id : '';
  if (!id || id.length > 255) return reject(id, 'id_invalid', 'id', 'id must be a string of 1 to 255 characters.');
  if (typeof raw.customer !== 'string' || !raw.customer) return reject(id, 'customer_invalid', 'customer', 'customer must be a customer ID or team/org ID.');
  const customerId = c.customerIdOf(raw.customer);
  if (!customerId) return reject(id, 'customer_unknown', 'customer', `No customer '${raw.customer}' in this instance.`);
  if (typeof raw.metric !== 'string' || !c.metrics.has(raw.metric)) {
    return reject(id, 'metric_unknown', 'metric', `Unknown metric '${String(raw.metric)}'; known: ${[...c.metrics.keys()].join(', ')}.`);
  }
  let value: Decimal;
  try {
    if (typeof raw.value === 'number' && !Number.isFinite(raw.value)) throw new Error('not finite');
    if (typeof raw.value !== 'number' && typeof raw.value !== 'string') throw new Error('not a number');
    value = Decimal.from(raw.value, 'value');
  } catch (e) {
    return reject(id, 'value_invalid', 'value', isTallyError(e) ? e.message : 'value must be a finite number.');
  }
  if (value.isNegative()) return reject(id, 'value_invalid', 'value', 'value must not be negative.');
  const timestamp = raw.timestamp instanceof Date ? raw.timestamp : typeof raw.timestamp === 'string' ? new Date(raw.timestamp) : new Date(NaN);
  if (Number.isNaN(timestamp.getTime())) return reject(id, 'timestamp_invalid', 'timestamp', 'timestamp must be an ISO 8601 date-time.');
  if (timestamp.getTime() > c.now.getTime() + MAX_FUTURE_MS) {
    return reject(id, 'timestamp_in_future', 'timestamp', 'timestamp is more than 5 minutes in the future.');
  }
  if (c.isClosed(customerId, timestamp)) {
    return reject(id, 'period_closed', 'timestamp', "timestamp falls in a billing period whose invoice is already finalized; it is too late to count it.");
  }
  const props = raw.properties && typeof raw.properties === 'object' && !Array.isArray(raw.properties) ? raw.properties : null;
  const timestampIso = timestamp.toISOString();
  return { ok: true, event: { index, eventId: id, customerId, metric: raw.metric, value, timestamp, timestampIso, day: timestampIso.slice(0, 10), properties: props, key: `${customerId}\u0000${id}` } };
}

/** What the `unique` aggregation counts for an event: `properties.unique_key` when given, else the value. */
export function uniqueKeyOf(e: CheckedEvent): string {
  const uk = e.properties?.unique_key;
  return typeof uk === 'string' ? uk : e.value.toString();
}
