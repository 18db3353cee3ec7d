import { and, eq, inArray, max, ne, or, sql } from 'drizzle-orm';
import { Decimal } from '../../core/money/index.js';
import { invalid } from '../../shared/errors.js';
import { customers, invoices, usageDaily, usageEvents, usageUniqueKeys } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import type { ServiceContext } from '../context.js';
import { checkEvent } from './check-events.js';
import { MAX_BATCH, utcDay, type CheckedEvent, type IngestResult, type UsageEventInput } from './usage-event.js';

export interface IngestSummary {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: IngestResult[];
  /** Customers whose usage changed: billing limits are re-checked for them. */
  touched: { customerId: string; metric: string }[];
}

interface DayAgg {
  customerId: string;
  metric: string;
  day: string;
  sum: Decimal;
  count: number;
  max: Decimal;
  lastValue: Decimal;
  lastAt: Date;
}

async function resolveCustomers(ctx: ServiceContext, instanceId: string, refs: string[]): Promise<Map<string, string>> {
  const ids = refs.filter((r) => r.startsWith('cus_'));
  const ext = refs.filter((r) => !r.startsWith('cus_'));
  const conds = [];
  if (ids.length) conds.push(inArray(customers.id, ids));
  if (ext.length) conds.push(inArray(customers.externalId, ext));
  const map = new Map<string, string>();
  if (!conds.length) return map;
  const rows = await ctx.db
    .select({ id: customers.id, externalId: customers.externalId })
    .from(customers)
    .where(and(eq(customers.instanceId, instanceId), conds.length === 1 ? conds[0] : or(...conds)));
  for (const r of rows) {
    map.set(r.id, r.id);
    map.set(r.externalId, r.id);
  }
  return map;
}

/** The end of each customer's last finalized period: usage before it can no longer be counted. */
async function closedUntil(ctx: ServiceContext, customerIds: string[]): Promise<Map<string, Date>> {
  if (!customerIds.length) return new Map();
  const rows = await ctx.db
    .select({ customerId: invoices.customerId, end: max(invoices.periodEnd) })
    .from(invoices)
    .where(and(inArray(invoices.customerId, customerIds), ne(invoices.status, 'draft')))
    .groupBy(invoices.customerId);
  return new Map(rows.filter((r) => r.end).map((r) => [r.customerId, r.end as Date]));
}

function aggregateByDay(events: CheckedEvent[]): DayAgg[] {
  const byKey = new Map<string, DayAgg>();
  for (const e of events) {
    const day = utcDay(e.timestamp);
    const key = `${e.customerId}\u0000${e.metric}\u0000${day}`;
    const a = byKey.get(key);
    if (!a) {
      byKey.set(key, { customerId: e.customerId, metric: e.metric, day, sum: e.value, count: 1, max: e.value, lastValue: e.value, lastAt: e.timestamp });
    } else {
      a.sum = a.sum.add(e.value);
      a.count += 1;
      a.max = Decimal.max(a.max, e.value);
      if (e.timestamp >= a.lastAt) {
        a.lastValue = e.value;
        a.lastAt = e.timestamp;
      }
    }
  }
  // A fixed order: concurrent batches on PostgreSQL then take row locks in the same order (no deadlocks).
  return [...byKey.values()].sort((x, y) => (x.customerId + x.metric + x.day < y.customerId + y.metric + y.day ? -1 : 1));
}

/**
 * Ingests a batch of up to 1,000 usage events for one instance, in one transaction: each event is
 * accepted, a duplicate (its id was seen before for that customer, ever), or rejected with a reason.
 * Raw events and the daily aggregates are written together, so reads never see one without the other.
 */
export async function ingestUsage(ctx: ServiceContext, instanceId: string, batch: UsageEventInput[]): Promise<IngestSummary> {
  if (!Array.isArray(batch)) throw invalid('batch_invalid', 'events must be an array.', 'events');
  if (batch.length === 0) throw invalid('batch_empty', 'events must contain at least one event.', 'events');
  if (batch.length > MAX_BATCH) throw invalid('batch_too_large', `At most ${MAX_BATCH} events per request (got ${batch.length}).`, 'events');
  const now = ctx.clock.now();
  const catalog = (await currentCatalogVersion(ctx.db)).catalog;
  const refs = [...new Set(batch.map((e) => (typeof e?.customer === 'string' ? e.customer : '')).filter(Boolean))];

  return inTransaction(ctx.db, async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const customerOf = await resolveCustomers(txCtx, instanceId, refs);
    const closed = await closedUntil(txCtx, [...new Set(customerOf.values())]);
    const results: IngestResult[] = new Array(batch.length);
    const good: CheckedEvent[] = [];
    const seen = new Set<string>();
    batch.forEach((raw, i) => {
      const r = checkEvent(raw, i, {
        now,
        metrics: catalog.metrics,
        customerIdOf: (ref) => customerOf.get(ref) ?? null,
        isClosed: (cid, at) => {
          const until = closed.get(cid);
          return until !== undefined && at < until;
        },
      });
      if (!r.ok) {
        results[i] = r.result;
        return;
      }
      const k = `${r.event.customerId}\u0000${r.event.eventId}`;
      if (seen.has(k)) {
        results[i] = { id: r.event.eventId, status: 'duplicate' };
        return;
      }
      seen.add(k);
      good.push(r.event);
    });

    let inserted: CheckedEvent[] = [];
    if (good.length) {
      const rows = await tx
        .insert(usageEvents)
        .values(
          good.map((e) => ({
            customerId: e.customerId,
            eventId: e.eventId,
            metric: e.metric,
            value: e.value.toString(),
            timestamp: e.timestamp,
            properties: e.properties,
            receivedAt: now,
          })),
        )
        .onConflictDoNothing()
        .returning({ customerId: usageEvents.customerId, eventId: usageEvents.eventId });
      const fresh = new Set(rows.map((r) => `${r.customerId}\u0000${r.eventId}`));
      inserted = good.filter((e) => fresh.has(`${e.customerId}\u0000${e.eventId}`));
      for (const e of good) results[e.index] = { id: e.eventId, status: fresh.has(`${e.customerId}\u0000${e.eventId}`) ? 'accepted' : 'duplicate' };
    }

    const days = aggregateByDay(inserted);
    if (days.length) {
      await tx
        .insert(usageDaily)
        .values(
          days.map((d) => ({
            customerId: d.customerId,
            metric: d.metric,
            day: d.day,
            sum: d.sum.toString(),
            count: d.count,
            max: d.max.toString(),
            lastValue: d.lastValue.toString(),
            lastAt: d.lastAt,
          })),
        )
        .onConflictDoUpdate({
          target: [usageDaily.customerId, usageDaily.metric, usageDaily.day],
          set: {
            sum: sql`${usageDaily.sum} + excluded.sum`,
            count: sql`${usageDaily.count} + excluded.count`,
            max: sql`greatest(${usageDaily.max}, excluded.max)`,
            lastValue: sql`case when excluded.last_at >= ${usageDaily.lastAt} then excluded.last_value else ${usageDaily.lastValue} end`,
            lastAt: sql`greatest(${usageDaily.lastAt}, excluded.last_at)`,
          },
        });
      const uniques = new Map<string, { customerId: string; metric: string; day: string; uniqueKey: string }>();
      for (const e of inserted) {
        const u = { customerId: e.customerId, metric: e.metric, day: utcDay(e.timestamp), uniqueKey: e.uniqueKey };
        uniques.set(`${u.customerId}\u0000${u.metric}\u0000${u.day}\u0000${u.uniqueKey}`, u);
      }
      const sorted = [...uniques.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, v]) => v);
      await tx.insert(usageUniqueKeys).values(sorted).onConflictDoNothing();
    }

    const touched = new Map<string, { customerId: string; metric: string }>();
    for (const e of inserted) touched.set(`${e.customerId}\u0000${e.metric}`, { customerId: e.customerId, metric: e.metric });
    const accepted = inserted.length;
    const rejected = results.filter((r) => r.status === 'rejected').length;
    return { accepted, duplicates: batch.length - accepted - rejected, rejected, results, touched: [...touched.values()] };
  });
}
