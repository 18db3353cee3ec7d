/** Products and prices, including tiered prices and decimal unit amounts. */
import Stripe from 'stripe';
import { invalidParam, invalidRequest, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../lists.js';
import { matchesRange, readPagination, readRange, type ParamReader } from '../params.js';
import { route, type HandlerContext, type Route } from '../router.js';
import type { Store } from '../store.js';
import { changedFields, deepClone, mergeMetadata, readCurrency, readExpand } from './common.js';

const INTERVALS = ['day', 'week', 'month', 'year'] as const;
const TAX_BEHAVIORS = ['exclusive', 'inclusive', 'unspecified'] as const;

export function requirePrice(store: Store, id: string, param = 'price'): Stripe.Price {
  const price = store.prices.get(id);
  if (!price) throw notFound('price', id, param);
  return price;
}

export function requireProduct(store: Store, id: string, param = 'product'): Stripe.Product {
  const product = store.products.get(id);
  if (!product) throw notFound('product', id, param);
  return product;
}

export function productIdOf(price: Stripe.Price): string {
  return typeof price.product === 'string' ? price.product : price.product.id;
}

/** Prices carry `tiers` only when expanded, exactly like Stripe's responses. */
export function renderPrice(price: Stripe.Price, expand: readonly string[] = []): Stripe.Price {
  const out = deepClone(price);
  if (!expand.includes('tiers')) delete out.tiers;
  return out;
}

/** The legacy Plan view of a recurring price (subscription items still carry both). */
export function planFromPrice(price: Stripe.Price): Stripe.Plan {
  const recurring = price.recurring;
  return {
    id: price.id,
    object: 'plan',
    active: price.active,
    amount: price.unit_amount,
    amount_decimal: price.unit_amount_decimal,
    billing_scheme: price.billing_scheme,
    created: price.created,
    currency: price.currency,
    interval: recurring?.interval ?? 'month',
    interval_count: recurring?.interval_count ?? 1,
    livemode: false,
    metadata: { ...price.metadata },
    meter: recurring?.meter ?? null,
    nickname: price.nickname,
    product: productIdOf(price),
    tiers_mode: price.tiers_mode,
    transform_usage: price.transform_quantity ? { ...price.transform_quantity } : null,
    trial_period_days: recurring?.trial_period_days ?? null,
    usage_type: recurring?.usage_type ?? 'licensed',
  };
}

type PriceData = {
  currency: string;
  unit_amount?: number;
  unit_amount_decimal?: Stripe.Decimal;
  billing_scheme?: Stripe.PriceCreateParams.BillingScheme;
  tiers?: Stripe.PriceCreateParams.Tier[];
  tiers_mode?: Stripe.PriceCreateParams.TiersMode;
  recurring?: Stripe.PriceCreateParams.Recurring;
  transform_quantity?: Stripe.PriceCreateParams.TransformQuantity;
  tax_behavior?: Stripe.PriceCreateParams.TaxBehavior;
  metadata?: Stripe.MetadataParam;
  nickname?: string;
  lookup_key?: string;
  active?: boolean;
  transfer_lookup_key?: boolean;
};

function readTier(t: ParamReader<Stripe.PriceCreateParams.Tier>): Stripe.PriceCreateParams.Tier {
  const upTo = t.string('up_to');
  if (upTo === undefined) throw invalidParam('Missing required param: up_to.', 'up_to', 'parameter_missing');
  return {
    up_to: upTo === 'inf' ? 'inf' : (t.integer('up_to', { min: 1 }) as number),
    unit_amount: t.integer('unit_amount'),
    unit_amount_decimal: t.decimal('unit_amount_decimal'),
    flat_amount: t.integer('flat_amount'),
    flat_amount_decimal: t.decimal('flat_amount_decimal'),
  };
}

function readRecurring(r: ParamReader<Stripe.PriceCreateParams.Recurring>): Stripe.PriceCreateParams.Recurring {
  const interval = r.oneOf('interval', INTERVALS);
  if (interval === undefined) throw invalidParam('Missing required param: recurring[interval].', 'recurring[interval]', 'parameter_missing');
  return {
    interval,
    interval_count: r.integer('interval_count', { min: 1 }),
    meter: r.nonEmptyString('meter'),
    trial_period_days: r.integer('trial_period_days', { min: 0 }),
    usage_type: r.oneOf('usage_type', ['licensed', 'metered'] as const),
  };
}

function decimalFrom(amount: number | undefined, decimal: Stripe.Decimal | undefined): Stripe.Decimal | null {
  if (decimal !== undefined) return decimal;
  if (amount !== undefined) return Stripe.Decimal.from(amount);
  return null;
}

function integralOrNull(value: Stripe.Decimal | null): number | null {
  if (value === null) return null;
  const rounded = value.round('half-up', { mode: 'decimal-places', value: 0 });
  return rounded.eq(value) ? rounded.toNumber() : null;
}

function buildTiers(tiers: Stripe.PriceCreateParams.Tier[]): Stripe.Price.Tier[] {
  let previous = 0;
  return tiers.map((tier, i) => {
    const where = `tiers[${i}]`;
    const last = i === tiers.length - 1;
    if (tier.up_to === 'inf' && !last) throw invalidParam('Only the last tier may have up_to=inf.', `${where}[up_to]`);
    if (last && tier.up_to !== 'inf') throw invalidParam('The last tier must have up_to=inf.', `${where}[up_to]`);
    if (tier.up_to !== 'inf') {
      if (tier.up_to <= previous) throw invalidParam('Tiers must be in increasing order of up_to.', `${where}[up_to]`);
      previous = tier.up_to;
    }
    if (tier.unit_amount !== undefined && tier.unit_amount_decimal !== undefined) {
      throw invalidParam('You may only specify one of unit_amount and unit_amount_decimal.', `${where}[unit_amount]`, 'parameters_exclusive');
    }
    if (tier.flat_amount !== undefined && tier.flat_amount_decimal !== undefined) {
      throw invalidParam('You may only specify one of flat_amount and flat_amount_decimal.', `${where}[flat_amount]`, 'parameters_exclusive');
    }
    const unit = decimalFrom(tier.unit_amount, tier.unit_amount_decimal);
    const flat = decimalFrom(tier.flat_amount, tier.flat_amount_decimal);
    if (unit === null && flat === null) {
      throw invalidParam('Each tier needs a unit_amount or a flat_amount.', `${where}[unit_amount]`);
    }
    return {
      flat_amount: integralOrNull(flat),
      flat_amount_decimal: flat,
      unit_amount: integralOrNull(unit),
      unit_amount_decimal: unit,
      up_to: tier.up_to === 'inf' ? null : tier.up_to,
    };
  });
}

function checkLookupKey(store: Store, key: string | undefined, transfer: boolean | undefined, self?: string): void {
  if (key === undefined) return;
  for (const other of store.prices.values()) {
    if (other.id === self || other.lookup_key !== key) continue;
    if (transfer) other.lookup_key = null;
    else throw invalidRequest(`A price (\`${other.id}\`) already uses that lookup key.`, 'lookup_key', 'resource_already_exists');
  }
}

export function createPrice(ctx: HandlerContext, productId: string, data: PriceData, param = ''): Stripe.Price {
  const p = (name: string): string => (param === '' ? name : `${param}[${name}]`);
  const scheme = data.billing_scheme ?? 'per_unit';
  let unitDecimal: Stripe.Decimal | null = null;
  let tiers: Stripe.Price.Tier[] | undefined;
  if (scheme === 'tiered') {
    if (!data.tiers || data.tiers.length === 0) throw invalidParam('Tiered prices need `tiers`.', p('tiers'), 'parameter_missing');
    if (!data.tiers_mode) throw invalidParam('Tiered prices need `tiers_mode`.', p('tiers_mode'), 'parameter_missing');
    if (data.unit_amount !== undefined || data.unit_amount_decimal !== undefined) {
      throw invalidParam('Tiered prices take their amounts from `tiers`.', p('unit_amount'));
    }
    tiers = buildTiers(data.tiers);
  } else {
    if (data.tiers !== undefined || data.tiers_mode !== undefined) {
      throw invalidParam('`tiers` require billing_scheme=tiered.', p('tiers'));
    }
    if (data.unit_amount !== undefined && data.unit_amount_decimal !== undefined) {
      throw invalidParam('You may only specify one of these parameters: unit_amount, unit_amount_decimal.', p('unit_amount'), 'parameters_exclusive');
    }
    unitDecimal = decimalFrom(data.unit_amount, data.unit_amount_decimal);
    if (unitDecimal === null) {
      throw invalidParam('Missing required param: unit_amount (or unit_amount_decimal).', p('unit_amount'), 'parameter_missing');
    }
    if (unitDecimal.isNegative()) throw invalidParam('Prices cannot be negative.', p('unit_amount'));
  }
  const recurring = data.recurring;
  if (recurring?.usage_type === 'metered' && recurring.meter === undefined) {
    throw invalidParam('Metered prices must be backed by a billing meter: pass recurring[meter].', p('recurring[meter]'), 'parameter_missing');
  }
  checkLookupKey(ctx.store, data.lookup_key, data.transfer_lookup_key);
  const price: Stripe.Price = {
    id: newId('price'),
    object: 'price',
    active: data.active ?? true,
    billing_scheme: scheme,
    created: ctx.now(),
    currency: data.currency,
    custom_unit_amount: null,
    livemode: false,
    lookup_key: data.lookup_key ?? null,
    metadata: mergeMetadata(null, data.metadata),
    nickname: data.nickname ?? null,
    product: productId,
    recurring: recurring
      ? {
          interval: recurring.interval,
          interval_count: recurring.interval_count ?? 1,
          meter: recurring.meter ?? null,
          trial_period_days: recurring.trial_period_days ?? null,
          usage_type: recurring.usage_type ?? 'licensed',
        }
      : null,
    tax_behavior: data.tax_behavior ?? 'unspecified',
    tiers_mode: scheme === 'tiered' ? (data.tiers_mode ?? null) : null,
    transform_quantity: data.transform_quantity ? { ...data.transform_quantity } : null,
    type: recurring ? 'recurring' : 'one_time',
    unit_amount: integralOrNull(unitDecimal),
    unit_amount_decimal: unitDecimal,
    ...(tiers ? { tiers } : {}),
  };
  ctx.store.prices.set(price.id, price);
  ctx.store.track(price.id);
  ctx.emit('price.created', renderPrice(price));
  return price;
}

function createProduct(ctx: HandlerContext, params: Stripe.ProductCreateParams): Stripe.Product {
  const id = params.id ?? newId('prod');
  if (ctx.store.products.has(id)) throw invalidRequest(`Product already exists: ${id}`, 'id', 'resource_already_exists');
  const now = ctx.now();
  const product: Stripe.Product = {
    id,
    object: 'product',
    active: params.active ?? true,
    created: now,
    default_price: null,
    description: params.description ?? null,
    images: params.images ?? [],
    livemode: false,
    marketing_features: (params.marketing_features ?? []).map((f) => ({ name: f.name })),
    metadata: mergeMetadata(null, params.metadata),
    name: params.name,
    package_dimensions: null,
    shippable: null,
    statement_descriptor: params.statement_descriptor ?? null,
    tax_code: params.tax_code ?? null,
    tax_details: null,
    type: params.type ?? 'service',
    unit_label: params.unit_label ?? null,
    updated: now,
    url: params.url ?? null,
  };
  ctx.store.products.set(product.id, product);
  ctx.store.track(product.id);
  ctx.emit('product.created', deepClone(product));
  const dp = params.default_price_data;
  if (dp) {
    const price = createPrice(
      ctx,
      product.id,
      {
        currency: dp.currency,
        unit_amount: dp.unit_amount,
        unit_amount_decimal: dp.unit_amount_decimal,
        recurring: dp.recurring,
        tax_behavior: dp.tax_behavior,
        metadata: dp.metadata,
      },
      'default_price_data',
    );
    product.default_price = price.id;
  }
  return product;
}

function readPriceParams(p: ParamReader<Stripe.PriceCreateParams>): Stripe.PriceCreateParams {
  const currency = readCurrency(p, 'currency');
  if (currency === undefined) throw invalidParam('Missing required param: currency.', 'currency', 'parameter_missing');
  return {
    currency,
    active: p.boolean('active'),
    billing_scheme: p.oneOf('billing_scheme', ['per_unit', 'tiered'] as const),
    expand: readExpand(p),
    lookup_key: p.nonEmptyString('lookup_key'),
    metadata: p.metadata('metadata') || undefined,
    nickname: p.string('nickname'),
    product: p.nonEmptyString('product'),
    product_data: p.object('product_data', (d) => ({
      name: d.requiredString('name'),
      active: d.boolean('active'),
      metadata: d.metadata('metadata') || undefined,
      unit_label: d.string('unit_label'),
      tax_code: d.string('tax_code'),
      statement_descriptor: d.string('statement_descriptor'),
    })),
    recurring: p.object('recurring', readRecurring),
    tax_behavior: p.oneOf('tax_behavior', TAX_BEHAVIORS),
    tiers: p.objects('tiers', readTier),
    tiers_mode: p.oneOf('tiers_mode', ['graduated', 'volume'] as const),
    transfer_lookup_key: p.boolean('transfer_lookup_key'),
    transform_quantity: p.object('transform_quantity', (t) => ({
      divide_by: t.requiredInteger('divide_by', { min: 1 }),
      round: t.oneOf('round', ['up', 'down'] as const) ?? 'down',
    })),
    unit_amount: p.integer('unit_amount', { min: 0 }),
    unit_amount_decimal: p.decimal('unit_amount_decimal'),
  };
}

export const catalogRoutes: Route[] = [
  route<Stripe.ProductCreateParams, Stripe.Product>({
    method: 'POST',
    path: '/v1/products',
    parse: (p) => ({
      name: p.requiredString('name'),
      active: p.boolean('active'),
      default_price_data: p.object('default_price_data', (d) => {
        const currency = readCurrency(d, 'currency');
        if (currency === undefined) {
          throw invalidParam('Missing required param: default_price_data[currency].', 'default_price_data[currency]', 'parameter_missing');
        }
        return {
          currency,
          unit_amount: d.integer('unit_amount', { min: 0 }),
          unit_amount_decimal: d.decimal('unit_amount_decimal'),
          recurring: d.object('recurring', (r) => {
            const interval = r.oneOf('interval', INTERVALS);
            if (interval === undefined) {
              throw invalidParam('Missing required param: interval.', 'default_price_data[recurring][interval]', 'parameter_missing');
            }
            return { interval, interval_count: r.integer('interval_count', { min: 1 }) };
          }),
          tax_behavior: d.oneOf('tax_behavior', TAX_BEHAVIORS),
          metadata: d.metadata('metadata') || undefined,
        };
      }),
      description: p.string('description'),
      expand: readExpand(p),
      id: p.nonEmptyString('id'),
      images: p.strings('images'),
      marketing_features: p.objects('marketing_features', (f) => ({ name: f.requiredString('name') })),
      metadata: p.metadata('metadata') || undefined,
      statement_descriptor: p.string('statement_descriptor'),
      tax_code: p.string('tax_code'),
      type: p.oneOf('type', ['good', 'service'] as const),
      unit_label: p.string('unit_label'),
      url: p.string('url'),
    }),
    handle: (params, ctx) => deepClone(createProduct(ctx, params)),
  }),
  route<Stripe.ProductRetrieveParams, Stripe.Product>({
    method: 'GET',
    path: '/v1/products/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => deepClone(requireProduct(ctx.store, path.id as string, 'id')),
  }),
  route<Stripe.ProductUpdateParams, Stripe.Product>({
    method: 'POST',
    path: '/v1/products/:id',
    parse: (p) => ({
      active: p.boolean('active'),
      default_price: p.nonEmptyString('default_price'),
      description: p.emptyableString('description'),
      expand: readExpand(p),
      metadata: p.metadata('metadata'),
      name: p.nonEmptyString('name'),
      unit_label: p.emptyableString('unit_label'),
      url: p.emptyableString('url'),
    }),
    handle: (params, ctx, path) => {
      const product = requireProduct(ctx.store, path.id as string, 'id');
      const before = deepClone(product);
      if (params.default_price !== undefined) {
        const price = requirePrice(ctx.store, params.default_price, 'default_price');
        if (productIdOf(price) !== product.id) {
          throw invalidParam('The default price must belong to this product.', 'default_price');
        }
        product.default_price = price.id;
      }
      if (params.active !== undefined) product.active = params.active;
      if (params.description !== undefined) product.description = params.description === '' ? null : params.description;
      if (params.name !== undefined) product.name = params.name;
      if (params.unit_label !== undefined) product.unit_label = params.unit_label === '' ? null : params.unit_label;
      if (params.url !== undefined) product.url = params.url === '' ? null : params.url;
      if (params.metadata !== undefined) product.metadata = mergeMetadata(product.metadata, params.metadata);
      product.updated = ctx.now();
      const previous = changedFields(before, product);
      if (Object.keys(previous).length > 0) ctx.emit('product.updated', deepClone(product), previous);
      return deepClone(product);
    },
  }),
  route<Stripe.ProductListParams, Stripe.ApiList<Stripe.Product>>({
    method: 'GET',
    path: '/v1/products',
    parse: (p) => ({ ...readPagination(p), active: p.boolean('active'), ids: p.strings('ids'), created: readRange(p, 'created'), expand: readExpand(p) }),
    handle: (params, ctx) => {
      const products = ctx.store
        .newestFirst([...ctx.store.products.values()])
        .filter((x) => params.active === undefined || x.active === params.active)
        .filter((x) => params.ids === undefined || params.ids.includes(x.id))
        .filter((x) => matchesRange(x.created, params.created));
      return paginate(products.map(deepClone), params, '/v1/products');
    },
  }),
  route<Stripe.ProductDeleteParams, Stripe.DeletedProduct>({
    method: 'DELETE',
    path: '/v1/products/:id',
    parse: () => ({}),
    handle: (_params, ctx, path) => {
      const product = requireProduct(ctx.store, path.id as string, 'id');
      if ([...ctx.store.prices.values()].some((price) => productIdOf(price) === product.id)) {
        throw invalidRequest('This product cannot be deleted because it has one or more user-created prices.');
      }
      ctx.store.products.delete(product.id);
      ctx.emit('product.deleted', deepClone(product));
      return { id: product.id, object: 'product', deleted: true };
    },
  }),
  route<Stripe.PriceCreateParams, Stripe.Price>({
    method: 'POST',
    path: '/v1/prices',
    parse: readPriceParams,
    handle: (params, ctx) => {
      if ((params.product === undefined) === (params.product_data === undefined)) {
        throw invalidParam('You must specify exactly one of product or product_data.', 'product', params.product === undefined ? 'parameter_missing' : 'parameters_exclusive');
      }
      // Validate the price before creating an inline product, so a rejected request changes nothing.
      const productId = params.product ?? null;
      if (productId !== null) requireProduct(ctx.store, productId);
      const data: PriceData = {
        currency: params.currency,
        unit_amount: params.unit_amount,
        unit_amount_decimal: params.unit_amount_decimal,
        billing_scheme: params.billing_scheme,
        tiers: params.tiers,
        tiers_mode: params.tiers_mode,
        recurring: params.recurring,
        transform_quantity: params.transform_quantity,
        tax_behavior: params.tax_behavior,
        metadata: params.metadata,
        nickname: params.nickname,
        lookup_key: params.lookup_key,
        active: params.active,
        transfer_lookup_key: params.transfer_lookup_key,
      };
      let owner = productId;
      if (owner === null && params.product_data) {
        dryRunPrice(ctx, data);
        const pd = params.product_data;
        owner = createProduct(ctx, {
          name: pd.name,
          active: pd.active,
          metadata: pd.metadata,
          unit_label: pd.unit_label,
          tax_code: pd.tax_code,
          statement_descriptor: pd.statement_descriptor,
        }).id;
      }
      return renderPrice(createPrice(ctx, owner as string, data), params.expand);
    },
  }),
  route<Stripe.PriceRetrieveParams, Stripe.Price>({
    method: 'GET',
    path: '/v1/prices/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (params, ctx, path) => renderPrice(requirePrice(ctx.store, path.id as string, 'id'), params.expand),
  }),
  route<Stripe.PriceUpdateParams, Stripe.Price>({
    method: 'POST',
    path: '/v1/prices/:id',
    parse: (p) => ({
      active: p.boolean('active'),
      expand: readExpand(p),
      lookup_key: p.string('lookup_key'),
      metadata: p.metadata('metadata'),
      nickname: p.string('nickname'),
      tax_behavior: p.oneOf('tax_behavior', TAX_BEHAVIORS),
      transfer_lookup_key: p.boolean('transfer_lookup_key'),
    }),
    handle: (params, ctx, path) => {
      const price = requirePrice(ctx.store, path.id as string, 'id');
      const before = deepClone(price);
      if (params.tax_behavior !== undefined && price.tax_behavior !== 'unspecified' && params.tax_behavior !== price.tax_behavior) {
        throw invalidParam('tax_behavior cannot be changed once it is specified.', 'tax_behavior');
      }
      const lookupKey = params.lookup_key === '' ? undefined : params.lookup_key;
      checkLookupKey(ctx.store, lookupKey, params.transfer_lookup_key, price.id);
      if (params.lookup_key !== undefined) price.lookup_key = params.lookup_key === '' ? null : params.lookup_key;
      if (params.active !== undefined) price.active = params.active;
      if (params.nickname !== undefined) price.nickname = params.nickname === '' ? null : params.nickname;
      if (params.tax_behavior !== undefined) price.tax_behavior = params.tax_behavior;
      if (params.metadata !== undefined) price.metadata = mergeMetadata(price.metadata, params.metadata);
      const previous = changedFields(renderPrice(before), renderPrice(price));
      if (Object.keys(previous).length > 0) ctx.emit('price.updated', renderPrice(price), previous);
      return renderPrice(price, params.expand);
    },
  }),
  route<Stripe.PriceListParams, Stripe.ApiList<Stripe.Price>>({
    method: 'GET',
    path: '/v1/prices',
    parse: (p) => ({
      ...readPagination(p),
      active: p.boolean('active'),
      created: readRange(p, 'created'),
      currency: p.string('currency'),
      expand: readExpand(p),
      lookup_keys: p.strings('lookup_keys'),
      product: p.string('product'),
      recurring: p.object('recurring', (r) => ({
        interval: r.oneOf('interval', INTERVALS),
        usage_type: r.oneOf('usage_type', ['licensed', 'metered'] as const),
      })),
      type: p.oneOf('type', ['one_time', 'recurring'] as const),
    }),
    handle: (params, ctx) => {
      const expand = (params.expand ?? []).filter((e) => e.startsWith('data.')).map((e) => e.slice(5));
      const prices = ctx.store
        .newestFirst([...ctx.store.prices.values()])
        .filter((x) => params.active === undefined || x.active === params.active)
        .filter((x) => params.currency === undefined || x.currency === params.currency)
        .filter((x) => params.product === undefined || productIdOf(x) === params.product)
        .filter((x) => params.type === undefined || x.type === params.type)
        .filter((x) => params.lookup_keys === undefined || (x.lookup_key !== null && params.lookup_keys.includes(x.lookup_key)))
        .filter((x) => params.recurring?.interval === undefined || x.recurring?.interval === params.recurring.interval)
        .filter((x) => params.recurring?.usage_type === undefined || x.recurring?.usage_type === params.recurring.usage_type)
        .filter((x) => matchesRange(x.created, params.created));
      return paginate(prices.map((x) => renderPrice(x, expand)), params, '/v1/prices');
    },
  }),
];

/** Validates price data without storing anything (used before creating an inline product). */
function dryRunPrice(ctx: HandlerContext, data: PriceData): void {
  const scheme = data.billing_scheme ?? 'per_unit';
  if (scheme === 'tiered') {
    if (!data.tiers || !data.tiers_mode) throw invalidParam('Tiered prices need `tiers` and `tiers_mode`.', 'tiers', 'parameter_missing');
    buildTiers(data.tiers);
  } else if (data.unit_amount === undefined && data.unit_amount_decimal === undefined) {
    throw invalidParam('Missing required param: unit_amount (or unit_amount_decimal).', 'unit_amount', 'parameter_missing');
  }
  checkLookupKey(ctx.store, data.lookup_key, data.transfer_lookup_key);
}
