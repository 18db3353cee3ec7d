import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { useEmulator } from './helpers.js';

const t = useEmulator();

const tiers: Stripe.PriceCreateParams.Tier[] = [
  { up_to: 5, unit_amount: 700 },
  { up_to: 10, unit_amount: 650 },
  { up_to: 'inf', unit_amount: 600 },
];

/** What Stripe would bill for `quantity` units of `price`, observed through an invoice item. */
async function billed(price: string, quantity: number): Promise<number> {
  const stripe = t.stripe;
  const customer = await stripe.customers.create({});
  const item = await stripe.invoiceItems.create({ customer: customer.id, pricing: { price }, quantity });
  return item.amount;
}

describe('products', () => {
  it('creates, updates, lists and deletes', async () => {
    const product = await t.stripe.products.create({ name: 'Analytics', metadata: { sku: 'an' }, unit_label: 'event' });
    expect(product).toMatchObject({ object: 'product', name: 'Analytics', active: true, default_price: null, metadata: { sku: 'an' } });
    expect(product.id).toMatch(/^prod_/);
    const custom = await t.stripe.products.create({ id: 'prod_custom_id', name: 'Custom' });
    expect(custom.id).toBe('prod_custom_id');
    await expect(t.stripe.products.create({ id: 'prod_custom_id', name: 'Again' })).rejects.toMatchObject({ code: 'resource_already_exists' });
    const updated = await t.stripe.products.update(product.id, { name: 'Analytics Pro', active: false });
    expect(updated).toMatchObject({ name: 'Analytics Pro', active: false });
    expect((await t.stripe.products.list({ active: true })).data.map((p) => p.id)).toEqual([custom.id]);
    expect(await t.stripe.products.del(custom.id)).toMatchObject({ deleted: true });
  });

  it('creates a default price from default_price_data', async () => {
    const product = await t.stripe.products.create({
      name: 'Seat',
      default_price_data: { currency: 'usd', unit_amount: 1500, recurring: { interval: 'month' } },
    });
    expect(product.default_price).toMatch(/^price_/);
    const price = await t.stripe.prices.retrieve(product.default_price as string);
    expect(price).toMatchObject({ product: product.id, unit_amount: 1500, type: 'recurring', recurring: { interval: 'month', interval_count: 1 } });
  });
});

describe('prices', () => {
  it('creates per-unit prices with decimal unit amounts and metadata', async () => {
    const product = await t.stripe.products.create({ name: 'API calls' });
    const price = await t.stripe.prices.create({
      currency: 'usd',
      product: product.id,
      unit_amount_decimal: Stripe.Decimal.from('0.05'),
      metadata: { tally_price_id: 'price_01' },
      nickname: 'Per call',
    });
    expect(price).toMatchObject({ billing_scheme: 'per_unit', unit_amount: null, type: 'one_time', metadata: { tally_price_id: 'price_01' } });
    expect(price.unit_amount_decimal?.toString()).toBe('0.05');
    expect(await billed(price.id, 30)).toBe(2); // 1.5 rounds half-up
    const whole = await t.stripe.prices.create({ currency: 'usd', product: product.id, unit_amount_decimal: Stripe.Decimal.from('250') });
    expect(whole.unit_amount).toBe(250);
  });

  it('bills graduated and volume tiers as Stripe does', async () => {
    const product = await t.stripe.products.create({ name: 'Tiered' });
    const graduated = await t.stripe.prices.create({ currency: 'usd', product: product.id, billing_scheme: 'tiered', tiers_mode: 'graduated', tiers });
    const volume = await t.stripe.prices.create({ currency: 'usd', product: product.id, billing_scheme: 'tiered', tiers_mode: 'volume', tiers });
    expect(await billed(graduated.id, 6)).toBe(4150);
    expect(await billed(volume.id, 6)).toBe(3900);
    expect(await billed(graduated.id, 5)).toBe(3500); // up_to is inclusive
    expect(await billed(volume.id, 11)).toBe(6600);
  });

  it('bills a first tier flat amount even at quantity zero', async () => {
    const product = await t.stripe.products.create({ name: 'Platform' });
    const price = await t.stripe.prices.create({
      currency: 'usd',
      product: product.id,
      billing_scheme: 'tiered',
      tiers_mode: 'graduated',
      tiers: [
        { up_to: 1000, flat_amount: 10_000 },
        { up_to: 'inf', unit_amount_decimal: Stripe.Decimal.from('0.5'), flat_amount: 2_000 },
      ],
    });
    expect(await billed(price.id, 0)).toBe(10_000);
    expect(await billed(price.id, 1000)).toBe(10_000);
    expect(await billed(price.id, 1001)).toBe(12_001); // 10000 + 2000 flat + 0.5 → 1
  });

  it('returns tiers only when expanded', async () => {
    const product = await t.stripe.products.create({ name: 'T' });
    const price = await t.stripe.prices.create({ currency: 'usd', product: product.id, billing_scheme: 'tiered', tiers_mode: 'volume', tiers });
    expect(price.tiers).toBeUndefined();
    expect(price.tiers_mode).toBe('volume');
    const expanded = await t.stripe.prices.retrieve(price.id, { expand: ['tiers'] });
    expect(expanded.tiers?.map((tier) => tier.up_to)).toEqual([5, 10, null]);
    expect(expanded.tiers?.[0]).toMatchObject({ unit_amount: 700, flat_amount: null });
    const listed = await t.stripe.prices.list({ product: product.id, expand: ['data.tiers'] });
    expect(listed.data[0]?.tiers).toHaveLength(3);
  });

  it('validates like Stripe: tiers, exclusivity, metered prices, lookup keys', async () => {
    const product = await t.stripe.products.create({ name: 'V' });
    const base = { currency: 'usd', product: product.id };
    await expect(
      t.stripe.prices.create({ ...base, billing_scheme: 'tiered', tiers_mode: 'graduated', tiers: [{ up_to: 5, unit_amount: 1 }] }),
    ).rejects.toMatchObject({ param: 'tiers[0][up_to]' });
    await expect(t.stripe.prices.create({ ...base, unit_amount: 1, unit_amount_decimal: Stripe.Decimal.from('1.5') })).rejects.toMatchObject({
      code: 'parameters_exclusive',
    });
    await expect(
      t.stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval: 'month', usage_type: 'metered' } }),
    ).rejects.toMatchObject({ param: 'recurring[meter]' });
    const metered = await t.stripe.prices.create({ ...base, unit_amount: 1, recurring: { interval: 'month', usage_type: 'metered', meter: 'mtr_123' } });
    expect(metered.recurring).toMatchObject({ usage_type: 'metered', meter: 'mtr_123' });
    await t.stripe.prices.create({ ...base, unit_amount: 100, lookup_key: 'pro_monthly' });
    await expect(t.stripe.prices.create({ ...base, unit_amount: 200, lookup_key: 'pro_monthly' })).rejects.toMatchObject({
      code: 'resource_already_exists',
    });
    const moved = await t.stripe.prices.create({ ...base, unit_amount: 200, lookup_key: 'pro_monthly', transfer_lookup_key: true });
    expect((await t.stripe.prices.list({ lookup_keys: ['pro_monthly'] })).data.map((p) => p.id)).toEqual([moved.id]);
    await expect(t.stripe.prices.create({ ...base, product: 'prod_nope', unit_amount: 1 })).rejects.toMatchObject({ statusCode: 404 });
  });

  it('creates the product inline from product_data and updates price metadata', async () => {
    const price = await t.stripe.prices.create({ currency: 'eur', unit_amount: 900, product_data: { name: 'Inline' }, recurring: { interval: 'year' } });
    expect(price.product).toMatch(/^prod_/);
    expect((await t.stripe.products.retrieve(price.product as string)).name).toBe('Inline');
    const updated = await t.stripe.prices.update(price.id, { metadata: { plan: 'annual' }, active: false });
    expect(updated).toMatchObject({ active: false, metadata: { plan: 'annual' } });
    expect((await t.stripe.prices.list({ active: true })).data).toHaveLength(0);
  });
});
