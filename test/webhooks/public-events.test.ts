import { describe, expect, it } from 'vitest';
import { concernsWebhooks, isPublicEventType, toPublicEvent } from '../../src/billing/webhooks/public-events.js';
import { nextAttemptAt, nominalRetryDelayMs, retryDelayMs, RETRY_WINDOW_MS } from '../../src/billing/webhooks/retry-schedule.js';

const row = (type: string, data: Record<string, unknown>, over: Partial<{ instanceId: string | null; customerId: string | null; objectId: string | null }> = {}) => ({
  id: 'evt_01',
  type,
  instanceId: 'ins_1',
  customerId: 'cus_1',
  objectId: 'inv_1',
  data,
  createdAt: new Date('2026-03-01T10:00:00Z'),
  ...over,
});

describe('public event shape', () => {
  it('passes on the listed invoice fields, not the actor or anything unlisted', () => {
    const e = toPublicEvent(
      row('invoice.paid', {
        number: 'US-0001',
        status: 'paid',
        currency: 'usd',
        collection_method: 'send_invoice',
        total: 4900,
        applied_balance: 0,
        amount_due: 4900,
        amount_paid: 4900,
        due_date: null,
        payment_reference: 'wire 42',
        paid_out_of_band: true,
        actor: { type: 'staff', id: 'stf_1' },
        internal_note: 'x',
      }),
      'team-7',
    );
    expect(e).toEqual({
      id: 'evt_01',
      type: 'invoice.paid',
      created: '2026-03-01T10:00:00.000Z',
      instance: 'ins_1',
      data: {
        object: 'invoice',
        id: 'inv_1',
        customer: 'cus_1',
        customer_external_id: 'team-7',
        number: 'US-0001',
        status: 'paid',
        currency: 'usd',
        collection_method: 'send_invoice',
        total: 4900,
        applied_balance: 0,
        amount_due: 4900,
        amount_paid: 4900,
        due_date: null,
        payment_reference: 'wire 42',
        paid_out_of_band: true,
      },
    });
  });

  it('drops catalog version ids at any depth, and uses the customer as the id of customer events', () => {
    const sub = toPublicEvent(
      row('subscription.plan_changed', { product: 'pa', from: { plan: 'free', prices: [], catalog_version: 'cv_1' }, to: { plan: 'paid', prices: ['p'], catalog_version: 'cv_2' } }, { objectId: 'sub_1' }),
      null,
    );
    expect(sub!.data).toEqual({ object: 'subscription', id: 'sub_1', customer: 'cus_1', customer_external_id: null, product: 'pa', from: { plan: 'free', prices: [] }, to: { plan: 'paid', prices: ['p'] } });
    const ent = toPublicEvent(row('customer.entitlements_updated', { features: [], previous_features: null, caused_by: 'evt_0' }, { objectId: 'cus_1' }), 'team-7');
    expect(ent!.data).toEqual({ object: 'customer', id: 'cus_1', customer: 'cus_1', customer_external_id: 'team-7', features: [], previous_features: null });
  });

  it('internal events and events without an instance are never sent', () => {
    for (const t of ['api_key.created', 'approval_request.created', 'subscription.period_closed', 'customer.plan_overrides_updated', 'instance.created']) {
      expect(isPublicEventType(t), t).toBe(false);
      expect(toPublicEvent(row(t, {}), null)).toBeNull();
    }
    expect(toPublicEvent(row('invoice.paid', {}, { instanceId: null }), null)).toBeNull();
    // A staff override is not sent itself but may change entitlements, so the fan-out looks at it.
    expect(concernsWebhooks('customer.plan_overrides_updated')).toBe(true);
    expect(concernsWebhooks('api_key.created')).toBe(false);
  });
});

describe('retry schedule', () => {
  it('doubles from one minute up to 12 hours; jitter takes off at most 20 %, the same for the same delivery', () => {
    expect([1, 2, 3, 10, 11, 12, 30].map(nominalRetryDelayMs)).toEqual([60_000, 120_000, 240_000, 512 * 60_000, 12 * 3_600_000, 12 * 3_600_000, 12 * 3_600_000]);
    const delays = Array.from({ length: 50 }, (_, i) => retryDelayMs(`whd_${i}`, 3));
    for (const d of delays) {
      expect(d).toBeLessThanOrEqual(240_000);
      expect(d).toBeGreaterThanOrEqual(192_000);
    }
    expect(new Set(delays).size).toBeGreaterThan(40);
    expect(retryDelayMs('whd_x', 4)).toBe(retryDelayMs('whd_x', 4));
  });

  it('stops once the next attempt would be more than three days after the first', () => {
    const from = new Date('2026-03-01T00:00:00Z');
    const late = new Date(from.getTime() + RETRY_WINDOW_MS - 60_000);
    expect(nextAttemptAt('whd_a', 14, from, late)).toBeNull();
    const early = new Date(from.getTime() + 60_000);
    expect(nextAttemptAt('whd_a', 1, from, early)!.getTime()).toBe(early.getTime() + retryDelayMs('whd_a', 1));
  });
});
