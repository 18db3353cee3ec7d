import { invalid } from '../../shared/errors.js';
import type { ServiceContext } from '../context.js';
import type { JobRow } from '../../jobs/types.js';
import { closePeriods, openSubscriptionPeriod, type PeriodToClose } from './close-period.js';

function field(payload: Record<string, unknown>, key: string): string {
  const v = payload[key];
  if (typeof v !== 'string' || !v) throw invalid('job_payload_invalid', `Job payload lacks '${key}'.`, key);
  return v;
}

function periodOf(payload: unknown): PeriodToClose {
  const p = (payload ?? {}) as Record<string, unknown>;
  const reason = field(p, 'reason') as PeriodToClose['reason'];
  return { subscription_id: field(p, 'subscription_id'), period_start: field(p, 'period_start'), period_end: field(p, 'period_end'), reason };
}

export async function closePeriodJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  await closePeriods(ctx, [periodOf(payload)]);
}

/** Many `invoice.close_period` jobs in one transaction (a month end's worth; see closePeriods). */
export async function closePeriodsBatch(ctx: ServiceContext, list: readonly JobRow[]): Promise<void> {
  await closePeriods(ctx, list.map((j) => periodOf(j.payload)));
}

export async function openPeriodJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  const p = (payload ?? {}) as Record<string, unknown>;
  await openSubscriptionPeriod(ctx, {
    subscription_id: field(p, 'subscription_id'),
    period_start: field(p, 'period_start'),
    period_end: field(p, 'period_end'),
    items_at: field(p, 'items_at'),
  });
}
