import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { customerBalance, listBalanceTransactions } from '../../billing/balance/index.js';
import { catalogOfVersion, currentCatalogVersion } from '../../billing/catalog/catalog-versions.js';
import { getCustomer } from '../../billing/customers/customers.js';
import { getSubscription } from '../../billing/subscriptions/index.js';
import { dailyUsage } from '../../billing/usage/read-usage.js';
import type { Aggregation, Catalog } from '../../core/catalog/model.js';
import { minorToJson } from '../../core/money/index.js';
import { addInterval, formatDateOnly, periodAt, startOfUtcDay } from '../../core/periods/index.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { IdParams, PageQuery } from '../schemas.js';

const staff = [{ staff: [] }];
const Amount = z.number().int().describe('Minor units');

const Range = z.object({ start: z.string(), end: z.string().describe('Exclusive') });
const Point = z.object({ day: z.string().describe('YYYY-MM-DD (UTC)'), value: z.string().describe('The day’s usage as the price aggregates it') });

const DailyUsageJson = z
  .object({
    object: z.literal('daily_usage'),
    customer: z.string(),
    subscribed: z.boolean().describe('false: no live subscription, so the periods are calendar months'),
    current_period: Range,
    previous_period: Range,
    products: z.array(z.object({ product: z.string(), name: z.string(), unit: z.string().nullable(), metric: z.string(), aggregation: z.string(), current: z.array(Point), previous: z.array(Point) })),
  })
  .meta({ id: 'DailyUsage' });

const BalanceTransactionJson = z
  .object({
    id: z.string(),
    object: z.literal('balance_transaction'),
    customer: z.string(),
    amount: Amount.describe('Negative = credit to the customer'),
    currency: z.string(),
    type: z.string(),
    description: z.string().nullable(),
    invoice: z.string().nullable(),
    credit_request: z.string().nullable(),
    ending_balance: Amount,
    created: z.string(),
  })
  .meta({ id: 'BalanceTransaction' });

/** A day's point as the chart plots it: sums for sum, events for count/unique, the day's peak for max/last. */
function dayValue(agg: Aggregation, p: { sum: { toString(): string }; count: number; max: { toString(): string } }): string {
  if (agg === 'sum') return p.sum.toString();
  if (agg === 'max' || agg === 'last') return p.max.toString();
  return String(p.count);
}

/** Metered products: the subscribed item's aggregation when there is one, else the catalog's first metered price. */
function meteredProducts(catalog: Catalog, itemAggregation: Map<string, Aggregation>) {
  const out: { key: string; name: string; unit: string | null; metric: string; aggregation: Aggregation }[] = [];
  for (const p of catalog.products.values()) {
    if (!p.metric) continue;
    const fromCatalog = [...catalog.prices.values()].find((x) => x.productKey === p.key && x.metered)?.metered?.aggregation ?? 'sum';
    out.push({ key: p.key, name: p.name, unit: p.unit, metric: p.metric, aggregation: itemAggregation.get(p.key) ?? fromCatalog });
  }
  return out;
}

/** Read views the admin UI needs on a customer page: daily usage per product and the credit ledger. */
export const adminCustomerViewRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/customers/:id/usage/daily',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Daily usage per metered product for the current and previous billing periods (UTC days)',
        description: 'Without a live subscription the periods are the current and previous calendar months.',
        tags: ['admin: billing'],
        security: staff,
        params: IdParams,
        response: { 200: DailyUsageJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const customer = await getCustomer(ctx, req.params.id);
      const sub = await getSubscription(ctx, customer.id);
      const live = sub !== null && sub.status !== 'canceled';
      const now = ctx.clock.now();
      let start: Date;
      let end: Date;
      let prevStart: Date;
      if (live) {
        start = sub.currentPeriodStart;
        end = sub.currentPeriodEnd;
        // The period before, on the same anchor (month-end anchors make it shorter or longer than this one).
        prevStart = periodAt(sub.billingAnchor, sub.interval, new Date(start.getTime() - 1)).start;
      } else {
        const today = startOfUtcDay(now);
        start = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 1));
        end = addInterval(start, 'month', 1);
        prevStart = addInterval(start, 'month', -1);
      }
      const itemAgg = new Map<string, Aggregation>();
      for (const i of live ? sub.items : []) if (i.price.metered) itemAgg.set(i.productKey, i.price.metered.aggregation);
      const catalog = live && sub.items[0] ? await catalogOfVersion(deps.db, sub.items[0].catalogVersionId) : (await currentCatalogVersion(deps.db)).catalog;
      const products = [];
      for (const p of meteredProducts(catalog, itemAgg)) {
        const series = async (from: Date, to: Date) => (await dailyUsage(ctx, customer.id, p.metric, from, to)).map((d) => ({ day: d.day, value: dayValue(p.aggregation, d) }));
        products.push({ product: p.key, name: p.name, unit: p.unit, metric: p.metric, aggregation: p.aggregation, current: await series(start, end), previous: await series(prevStart, start) });
      }
      return {
        object: 'daily_usage' as const,
        customer: customer.id,
        subscribed: live,
        current_period: { start: formatDateOnly(start), end: formatDateOnly(end) },
        previous_period: { start: formatDateOnly(prevStart), end: formatDateOnly(start) },
        products,
      };
    },
  );

  app.get(
    '/admin/v1/customers/:id/balance-transactions',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: "The customer's credit ledger, newest first, with the balance now",
        tags: ['admin: credits'],
        security: staff,
        params: IdParams,
        querystring: z.object(PageQuery),
        response: {
          200: z.object({ object: z.literal('list'), data: z.array(BalanceTransactionJson), has_more: z.boolean(), balance: Amount.describe("In the customer's currency; negative = credit"), currency: z.string() }),
          ...authedErrorResponses,
        },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const customer = await getCustomer(ctx, req.params.id);
      const page = await listBalanceTransactions(ctx, { customerId: customer.id, limit: req.query.limit, startingAfter: req.query.starting_after });
      return {
        object: 'list' as const,
        has_more: page.hasMore,
        balance: minorToJson(await customerBalance(ctx, customer.id, customer.currency)),
        currency: customer.currency.toLowerCase(),
        data: page.data.map((t) => ({
          id: t.id,
          object: 'balance_transaction' as const,
          customer: t.customerId,
          amount: minorToJson(t.amount),
          currency: t.currency.toLowerCase(),
          type: t.type,
          description: t.description,
          invoice: t.invoiceId,
          credit_request: t.creditRequestId,
          ending_balance: minorToJson(t.endingBalance),
          created: t.createdAt.toISOString(),
        })),
      };
    },
  );
};
