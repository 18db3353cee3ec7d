import { and, count, eq, gte, lt, sql } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { Aggregation } from '../../core/catalog/model.js';
import { Decimal } from '../../core/money/index.js';
import { invalid } from '../../shared/errors.js';
import { usageDaily, usageEvents, usageUniqueKeys } from '../../store/schema.js';
import type { ServiceContext } from '../context.js';
import { utcDay } from './usage-event.js';

function checkDayAligned(d: Date, param: string): void {
  if (d.getTime() % 86_400_000 !== 0) {
    throw invalid('period_not_day_aligned', `${param} must be at 00:00 UTC: usage is kept per UTC day.`, param);
  }
}

/**
 * A customer's usage of `metric` over [start, end), aggregated as the price says. Reads only the daily
 * aggregates (≤ 31 rows for a month), never the raw events. Periods start and end at 00:00 UTC.
 */
export async function usageForPeriod(ctx: ServiceContext, customerId: string, metric: string, aggregation: Aggregation, start: Date, end: Date): Promise<Decimal> {
  const need: UsageNeed = { customerId, metric, aggregation, start, end };
  return (await usageForPeriods(ctx, [need])).get(usageNeedKey(need)) ?? Decimal.ZERO;
}

type DailyRow = Pick<typeof usageDaily.$inferSelect, 'sum' | 'count' | 'max' | 'lastValue' | 'lastAt'>;

/** A period's usage from its daily rows (any order, shards included), aggregated as the price says. */
function foldDaily(rows: readonly DailyRow[], aggregation: Exclude<Aggregation, 'unique'>): Decimal {
  let total = Decimal.ZERO;
  let n = 0;
  let mx: Decimal | null = null;
  let last: { v: Decimal; at: Date } | null = null;
  for (const r of rows) {
    total = total.add(Decimal.parse(r.sum));
    n += Number(r.count);
    const m = Decimal.parse(r.max);
    mx = mx === null ? m : Decimal.max(mx, m);
    if (!last || r.lastAt >= last.at) last = { v: Decimal.parse(r.lastValue), at: r.lastAt };
  }
  switch (aggregation) {
    case 'sum':
      return total;
    case 'count':
      return Decimal.fromBigInt(BigInt(n));
    case 'max':
      return mx ?? Decimal.ZERO;
    case 'last':
      return last?.v ?? Decimal.ZERO;
  }
}

export interface UsageNeed {
  readonly customerId: string;
  readonly metric: string;
  readonly aggregation: Aggregation;
  readonly start: Date;
  readonly end: Date;
}

export const usageNeedKey = (n: UsageNeed): string => `${n.customerId}\u0000${n.metric}\u0000${n.aggregation}\u0000${n.start.getTime()}\u0000${n.end.getTime()}`;

/**
 * usageForPeriod for many (customer, metric, range) at once — a period close reads a batch of customers
 * with one query per distinct range instead of one per item. Keyed by usageNeedKey.
 */
export async function usageForPeriods(ctx: ServiceContext, needs: readonly UsageNeed[]): Promise<Map<string, Decimal>> {
  const out = new Map<string, Decimal>();
  const byRange = new Map<string, UsageNeed[]>();
  for (const n of needs) {
    checkDayAligned(n.start, 'start');
    checkDayAligned(n.end, 'end');
    const k = `${n.start.getTime()}/${n.end.getTime()}/${n.aggregation === 'unique' ? 'u' : 'd'}`;
    const group = byRange.get(k);
    if (group) group.push(n);
    else byRange.set(k, [n]);
  }
  for (const group of byRange.values()) {
    const { start, end, aggregation } = group[0] as UsageNeed;
    const customerIds = [...new Set(group.map((n) => n.customerId))];
    const metrics = [...new Set(group.map((n) => n.metric))];
    const pairKey = (c: string, m: string) => `${c}\u0000${m}`;
    if (aggregation === 'unique') {
      const rows = await ctx.db
        .select({ customerId: usageUniqueKeys.customerId, metric: usageUniqueKeys.metric, n: sql<string>`count(distinct ${usageUniqueKeys.uniqueKey})` })
        .from(usageUniqueKeys)
        .where(and(anyOf(usageUniqueKeys.customerId, customerIds), anyOf(usageUniqueKeys.metric, metrics), gte(usageUniqueKeys.day, utcDay(start)), lt(usageUniqueKeys.day, utcDay(end))))
        .groupBy(usageUniqueKeys.customerId, usageUniqueKeys.metric);
      const counts = new Map(rows.map((r) => [pairKey(r.customerId, r.metric), r.n]));
      for (const n of group) out.set(usageNeedKey(n), Decimal.from(String(counts.get(pairKey(n.customerId, n.metric)) ?? 0)));
      continue;
    }
    const rows = await ctx.db
      .select({ customerId: usageDaily.customerId, metric: usageDaily.metric, sum: usageDaily.sum, count: usageDaily.count, max: usageDaily.max, lastValue: usageDaily.lastValue, lastAt: usageDaily.lastAt })
      .from(usageDaily)
      .where(and(anyOf(usageDaily.customerId, customerIds), anyOf(usageDaily.metric, metrics), gte(usageDaily.day, utcDay(start)), lt(usageDaily.day, utcDay(end))));
    const daily = new Map<string, DailyRow[]>();
    for (const r of rows) {
      const k = pairKey(r.customerId, r.metric);
      const list = daily.get(k);
      if (list) list.push(r);
      else daily.set(k, [r]);
    }
    for (const n of group) out.set(usageNeedKey(n), foldDaily(daily.get(pairKey(n.customerId, n.metric)) ?? [], n.aggregation as Exclude<Aggregation, 'unique'>));
  }
  return out;
}

export interface DailyPoint {
  day: string;
  sum: Decimal;
  count: number;
  max: Decimal;
}

/** Daily time series of a metric for charts, for any range of days. */
export async function dailyUsage(ctx: ServiceContext, customerId: string, metric: string, from: Date, to: Date): Promise<DailyPoint[]> {
  // Shards of one day are combined here, so callers see one point per day.
  const rows = await ctx.db
    .select({
      day: usageDaily.day,
      sum: sql<string>`sum(${usageDaily.sum})::text`,
      count: sql<string>`sum(${usageDaily.count})::text`,
      max: sql<string>`max(${usageDaily.max})::text`,
    })
    .from(usageDaily)
    .where(and(eq(usageDaily.customerId, customerId), eq(usageDaily.metric, metric), gte(usageDaily.day, utcDay(from)), lt(usageDaily.day, utcDay(to))))
    .groupBy(usageDaily.day)
    .orderBy(usageDaily.day);
  return rows.map((r) => ({ day: r.day, sum: Decimal.parse(r.sum), count: Number(r.count), max: Decimal.parse(r.max) }));
}

/** How many raw events a customer has for a metric (audits and re-counting checks). */
export async function rawEventCount(ctx: ServiceContext, customerId: string, metric: string): Promise<number> {
  const [r] = await ctx.db.select({ n: count() }).from(usageEvents).where(and(eq(usageEvents.customerId, customerId), eq(usageEvents.metric, metric)));
  return Number(r?.n ?? 0);
}
