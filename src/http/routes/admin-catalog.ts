import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { catalogInForce, listCatalogVersions } from '../../billing/catalog/catalog-versions.js';
import type { Catalog, Price, PricingScheme } from '../../core/catalog/model.js';
import type { RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';

const staff = [{ staff: [] }];
const Dec = z.string().describe('Decimal, minor units (amounts) or product units (quantities)');

const PriceJson = z
  .object({
    key: z.string(),
    currency: z.string().describe('Lower-case ISO 4217'),
    interval: z.enum(['month', 'year']),
    type: z.enum(['flat', 'per_unit', 'package', 'tiered', 'up_front']),
    amount: Dec.nullable().describe('flat, up_front and package: the amount in minor units'),
    unit_amount: Dec.nullable().describe('per_unit: minor units per unit'),
    package_size: Dec.nullable(),
    package_round: z.enum(['up', 'down']).nullable(),
    tiers_mode: z.enum(['graduated', 'volume']).nullable(),
    tiers: z.array(z.object({ up_to: Dec.nullable(), unit_amount: Dec, flat_amount: Dec })).nullable(),
    metric: z.string().nullable(),
    aggregation: z.string().nullable(),
    valid_days: z.number().int().nullable().describe('Startup prices: days valid from the item start (R6)'),
    move_to_price: z.string().nullable(),
    description: z.string().nullable(),
  })
  .meta({ id: 'CatalogPrice' });

const CatalogJson = z
  .object({
    object: z.literal('catalog'),
    version: z.object({ id: z.string(), hash: z.string(), source_name: z.string(), created: z.string(), activated: z.string().describe('When this version came into force') }),
    versions: z.array(z.object({ id: z.string(), hash: z.string(), source_name: z.string(), created: z.string() })).describe('Every config version loaded, oldest first'),
    products: z.array(
      z.object({
        key: z.string(),
        name: z.string(),
        metric: z.string().nullable(),
        unit: z.string().nullable(),
        addon_of: z.string().nullable(),
        default_plan: z.string(),
        default_paid_plan: z.string().nullable(),
        plans: z.array(
          z.object({
            key: z.string(),
            name: z.string(),
            premium: z.boolean(),
            features: z.array(z.object({ key: z.string(), name: z.string(), limit: z.number().nullable() })),
            prices: z.array(PriceJson),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'Catalog' });

function schemeFields(s: PricingScheme) {
  const none = { amount: null, unit_amount: null, package_size: null, package_round: null, tiers_mode: null, tiers: null };
  switch (s.type) {
    case 'flat':
    case 'up_front':
      return { ...none, amount: s.amount.toString() };
    case 'per_unit':
      return { ...none, unit_amount: s.unitAmount.toString() };
    case 'package':
      return { ...none, amount: s.amount.toString(), package_size: s.size.toString(), package_round: s.round };
    case 'tiered':
      return { ...none, tiers_mode: s.mode, tiers: s.tiers.map((t) => ({ up_to: t.upTo?.toString() ?? null, unit_amount: t.unitAmount.toString(), flat_amount: t.flatAmount.toString() })) };
  }
}

function priceJson(p: Price): z.infer<typeof PriceJson> {
  return {
    key: p.key,
    currency: p.currency.toLowerCase(),
    interval: p.interval,
    type: p.scheme.type,
    ...schemeFields(p.scheme),
    metric: p.metered?.metric ?? null,
    aggregation: p.metered?.aggregation ?? null,
    valid_days: p.startup?.validDays ?? null,
    move_to_price: p.startup?.moveToPrice ?? null,
    description: p.description,
  };
}

function productsJson(catalog: Catalog): z.infer<typeof CatalogJson>['products'] {
  return [...catalog.products.values()].map((product) => ({
    key: product.key,
    name: product.name,
    metric: product.metric,
    unit: product.unit,
    addon_of: product.addonOf,
    default_plan: product.defaultPlan,
    default_paid_plan: product.defaultPaidPlan,
    plans: product.planKeys.flatMap((planKey) => {
      const plan = catalog.plans.get(`${product.key}/${planKey}`);
      if (!plan) return [];
      const prices = plan.priceKeys.flatMap((k) => {
        const p = catalog.prices.get(k);
        return p ? [priceJson(p)] : [];
      });
      return [{ key: plan.key, name: plan.name, premium: plan.premium, features: plan.features.map((f) => ({ key: f.key, name: f.name, limit: f.limit })), prices }];
    }),
  }));
}

/** A read-only view of the catalog in force (the billing config), for staff: products, plans, prices with tiers. */
export const adminCatalogRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/catalog',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'The catalog in force: products, plans, features and prices (with tiers), and the config version', tags: ['admin: catalog'], security: staff, response: { 200: CatalogJson, ...authedErrorResponses } },
    },
    async () => {
      const { version, activatedAt } = await catalogInForce(deps.db);
      const versions = await listCatalogVersions(deps.db);
      return {
        object: 'catalog' as const,
        version: { id: version.id, hash: version.hash, source_name: version.sourceName, created: version.createdAt.toISOString(), activated: activatedAt.toISOString() },
        versions: versions.map((v) => ({ id: v.id, hash: v.hash, source_name: v.sourceName, created: v.createdAt.toISOString() })),
        products: productsJson(version.catalog),
      };
    },
  );
};
