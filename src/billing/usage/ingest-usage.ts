import { and, eq, max, ne, or, sql } from 'drizzle-orm';
import { anyOf, arrayLiteral } from '../../store/array-params.js';
import type { Catalog } from '../../core/catalog/model.js';
import type { Db } from '../../store/database.js';
import { Decimal } from '../../core/money/index.js';
import { invalid } from '../../shared/errors.js';
import { customers, invoices } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import type { ServiceContext } from '../context.js';
import { checkEvent, uniqueKeyOf } from './check-events.js';
import { MAX_BATCH, type CheckedEvent, type IngestResult, type UsageEventInput } from './usage-event.js';

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
  if (ids.length) conds.push(anyOf(customers.id, ids));
  if (ext.length) conds.push(anyOf(customers.externalId, ext));
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
    .where(and(anyOf(invoices.customerId, customerIds), ne(invoices.status, 'draft')))
    .groupBy(invoices.customerId);
  return new Map(rows.filter((r) => r.end).map((r) => [r.customerId, r.end as Date]));
}

function aggregateByDay(events: CheckedEvent[]): DayAgg[] {
  const byKey = new Map<string, DayAgg>();
  for (const e of events) {
    const day = e.day;
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
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as DayAgg);
}

/** Binds a whole JS array as ONE parameter: an array literal the statement casts to the column's type. */
const arr = (values: readonly (string | number | null)[]) => sql.param(arrayLiteral(values.map((v) => (v === null ? null : String(v)))));

// The writes below use unnest() over one array per column: a 1,000-event batch is one short statement
// with 7 parameters instead of 7,000, which PostgreSQL parses and plans in a fraction of the time.

/** Inserts raw events, skipping ids already seen; returns the keys (customer, event id) actually inserted. */
async function insertRawEvents(tx: Db, events: CheckedEvent[], receivedAt: Date): Promise<Set<string>> {
  const props = events.map((e) => (e.properties ? JSON.stringify(e.properties) : null));
  const r = (await tx.execute(sql`
    insert into usage_events (customer_id, event_id, metric, value, timestamp, properties, received_at)
    select c, e, m, v, t, p, ${receivedAt.toISOString()}::timestamptz
    from unnest(${arr(events.map((e) => e.customerId))}::text[], ${arr(events.map((e) => e.eventId))}::text[], ${arr(events.map((e) => e.metric))}::text[],
                ${arr(events.map((e) => e.value.toString()))}::numeric[], ${arr(events.map((e) => e.timestampIso))}::timestamptz[], ${arr(props)}::jsonb[])
      as x(c, e, m, v, t, p)
    on conflict (customer_id, event_id) do nothing
    returning customer_id, event_id`)) as unknown as { rows: { customer_id: string; event_id: string }[] };
  return new Set(r.rows.map((x) => `${x.customer_id}\u0000${x.event_id}`));
}

/** Aggregate shards per (customer, metric, day); see the usage_daily table. */
export const DAILY_SHARDS = 8;
let shardCursor = Math.floor(Math.random() * DAILY_SHARDS); // processes start at different shards

async function upsertDaily(tx: Db, days: DayAgg[]): Promise<void> {
  if (!days.length) return;
  // Successive transactions of this process take successive shards, so concurrent batches rarely meet.
  const shard = (shardCursor = (shardCursor + 1) % DAILY_SHARDS);
  await tx.execute(sql`
    insert into usage_daily (customer_id, metric, day, sum, count, max, last_value, last_at, shard)
    select *, ${shard}::smallint from unnest(${arr(days.map((d) => d.customerId))}::text[], ${arr(days.map((d) => d.metric))}::text[], ${arr(days.map((d) => d.day))}::date[],
                         ${arr(days.map((d) => d.sum.toString()))}::numeric[], ${arr(days.map((d) => d.count))}::bigint[], ${arr(days.map((d) => d.max.toString()))}::numeric[],
                         ${arr(days.map((d) => d.lastValue.toString()))}::numeric[], ${arr(days.map((d) => d.lastAt.toISOString()))}::timestamptz[])
    on conflict (customer_id, metric, day, shard) do update set
      sum = usage_daily.sum + excluded.sum,
      count = usage_daily.count + excluded.count,
      max = greatest(usage_daily.max, excluded.max),
      last_value = case when excluded.last_at >= usage_daily.last_at then excluded.last_value else usage_daily.last_value end,
      last_at = greatest(usage_daily.last_at, excluded.last_at)`);
}

async function upsertUniqueKeys(tx: Db, events: CheckedEvent[]): Promise<void> {
  if (!events.length) return;
  const byKey = new Map<string, [string, string, string, string]>();
  for (const e of events) {
    const row: [string, string, string, string] = [e.customerId, e.metric, e.day, uniqueKeyOf(e)];
    byKey.set(row.join('\u0000'), row);
  }
  const rows = [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, r]) => r);
  await tx.execute(sql`
    insert into usage_unique_keys (customer_id, metric, day, unique_key)
    select * from unnest(${arr(rows.map((r) => r[0]))}::text[], ${arr(rows.map((r) => r[1]))}::text[], ${arr(rows.map((r) => r[2]))}::date[], ${arr(rows.map((r) => r[3]))}::text[])
    on conflict do nothing`);
}

/** Only metrics priced somewhere with the `unique` aggregation need their distinct keys kept. */
function metricsCountedUnique(catalog: Catalog): Set<string> {
  const out = new Set<string>();
  for (const p of catalog.prices.values()) if (p.metered?.aggregation === 'unique') out.add(p.metered.metric);
  return out;
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
    // One context for the whole batch: no closures made per event.
    const check = {
      now,
      metrics: catalog.metrics,
      customerIdOf: (ref: string) => customerOf.get(ref) ?? null,
      isClosed: (cid: string, at: Date) => {
        const until = closed.get(cid);
        return until !== undefined && at < until;
      },
    };
    batch.forEach((raw, i) => {
      const r = checkEvent(raw, i, check);
      if (!r.ok) {
        results[i] = r.result;
        return;
      }
      const k = r.event.key;
      if (seen.has(k)) {
        results[i] = { id: r.event.eventId, status: 'duplicate' };
        return;
      }
      seen.add(k);
      good.push(r.event);
    });

    const inserted: CheckedEvent[] = [];
    if (good.length) {
      const fresh = await insertRawEvents(tx, good, now);
      for (const e of good) {
        const isNew = fresh.has(e.key);
        if (isNew) inserted.push(e);
        results[e.index] = { id: e.eventId, status: isNew ? 'accepted' : 'duplicate' };
      }
    }
    if (inserted.length) {
      const uniqueMetrics = metricsCountedUnique(catalog);
      await upsertUniqueKeys(tx, inserted.filter((e) => uniqueMetrics.has(e.metric)));
      // Last: the aggregate rows are the contended ones, so their locks are held for the shortest time.
      await upsertDaily(tx, aggregateByDay(inserted));
    }

    const touched = new Map<string, { customerId: string; metric: string }>();
    for (const e of inserted) touched.set(`${e.customerId}\u0000${e.metric}`, { customerId: e.customerId, metric: e.metric });
    const accepted = inserted.length;
    const rejected = results.filter((r) => r.status === 'rejected').length;
    return { accepted, duplicates: batch.length - accepted - rejected, rejected, results, touched: [...touched.values()] };
  });
}
