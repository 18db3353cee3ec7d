import Stripe from 'stripe';
import { describe, expect, it } from 'vitest';
import { startStripeEmulator } from '../support/stripe-emulator/index.js';
import { useEmulator } from './helpers.js';

const t = useEmulator();

describe('customers', () => {
  it('creates with details, tax ids and metadata, and retrieves the same state', async () => {
    const params: Stripe.CustomerCreateParams = {
      email: 'billing@acme.test',
      name: 'Acme Inc.',
      address: { line1: '1 Main St', city: 'Springfield', postal_code: '12345', country: 'US', state: 'IL' },
      metadata: { tally_customer_id: 'cus_01HK153X004P83E00HHHCKA36V', instance: 'eu-1', team_id: 'team_42' },
      invoice_settings: { footer: 'Thank you', custom_fields: [{ name: 'PO', value: '4711' }] },
      tax_id_data: [{ type: 'eu_vat', value: 'DE123456789' }],
      preferred_locales: ['en'],
    };
    const created = await t.stripe.customers.create(params);
    expect(created.id).toMatch(/^cus_[0-9A-Za-z]{14}$/);
    expect(created).toMatchObject({
      object: 'customer',
      livemode: false,
      email: 'billing@acme.test',
      balance: 0,
      address: { line1: '1 Main St', line2: null, country: 'US' },
      invoice_settings: { footer: 'Thank you', custom_fields: [{ name: 'PO', value: '4711' }], default_payment_method: null },
      metadata: params.metadata,
    });
    expect(created.tax_ids).toBeUndefined(); // only when expanded, as on Stripe

    const fetched = await t.stripe.customers.retrieve(created.id, { expand: ['tax_ids'] });
    if (fetched.deleted) throw new Error('unexpected deleted customer');
    expect(fetched.tax_ids?.data).toMatchObject([{ object: 'tax_id', type: 'eu_vat', value: 'DE123456789', country: 'DE' }]);
    expect(fetched.tax_ids?.data[0]?.id).toMatch(/^txi_/);
  });

  it('updates address, email, invoice settings and merges metadata (empty string deletes a key)', async () => {
    const c = await t.stripe.customers.create({ email: 'old@acme.test', metadata: { a: '1', b: '2' } });
    const updated = await t.stripe.customers.update(c.id, {
      email: 'new@acme.test',
      address: { line1: '2 Side St', country: 'DE' },
      metadata: { b: '', c: '3' },
      invoice_settings: { footer: 'Net 30' },
    });
    expect(updated.email).toBe('new@acme.test');
    expect(updated.address).toEqual({ line1: '2 Side St', line2: null, city: null, postal_code: null, state: null, country: 'DE' });
    expect(updated.metadata).toEqual({ a: '1', c: '3' });
    expect(updated.invoice_settings.footer).toBe('Net 30');
    const cleared = await t.stripe.customers.update(c.id, { metadata: '' , address: '' });
    expect(cleared.metadata).toEqual({});
    expect(cleared.address).toBeNull();
  });

  it('adds, lists and deletes tax ids', async () => {
    const c = await t.stripe.customers.create({ name: 'Tax Co' });
    const vat = await t.stripe.customers.createTaxId(c.id, { type: 'gb_vat', value: 'GB123456789' });
    await t.stripe.customers.createTaxId(c.id, { type: 'us_ein', value: '12-3456789' });
    const listed = await t.stripe.customers.listTaxIds(c.id);
    expect(listed.data.map((x) => x.type)).toEqual(['gb_vat', 'us_ein']);
    const deleted = await t.stripe.customers.deleteTaxId(c.id, vat.id);
    expect(deleted).toMatchObject({ id: vat.id, object: 'tax_id', deleted: true });
    expect((await t.stripe.customers.listTaxIds(c.id)).data).toHaveLength(1);
  });

  it('lists newest first, filters by email, and paginates with cursors', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push((await t.stripe.customers.create({ email: i % 2 ? 'odd@x.test' : 'even@x.test' })).id);
    const page1 = await t.stripe.customers.list({ limit: 2 });
    expect(page1.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
    expect(page1.has_more).toBe(true);
    const page2 = await t.stripe.customers.list({ limit: 2, starting_after: ids[3] });
    expect(page2.data.map((c) => c.id)).toEqual([ids[2], ids[1]]);
    const back = await t.stripe.customers.list({ limit: 2, ending_before: ids[2] });
    expect(back.data.map((c) => c.id)).toEqual([ids[4], ids[3]]);
    const odd = await t.stripe.customers.list({ email: 'odd@x.test' });
    expect(odd.data.map((c) => c.id)).toEqual([ids[3], ids[1]]);
    const all: string[] = [];
    for await (const c of t.stripe.customers.list({ limit: 2 })) all.push(c.id);
    expect(all).toEqual([...ids].reverse());
  });

  it('searches by metadata and email', async () => {
    const a = await t.stripe.customers.create({ email: 'a@x.test', metadata: { team_id: 'team_1' } });
    await t.stripe.customers.create({ email: 'b@x.test', metadata: { team_id: 'team_2' } });
    const found = await t.stripe.customers.search({ query: "metadata['team_id']:'team_1'" });
    expect(found.object).toBe('search_result');
    expect(found.data.map((c) => c.id)).toEqual([a.id]);
    const both = await t.stripe.customers.search({ query: "email:'a@x.test' OR email:'b@x.test'" });
    expect(both.data).toHaveLength(2);
  });

  it('deletes: retrieve returns the deleted stub, other endpoints say resource_missing', async () => {
    const c = await t.stripe.customers.create({ email: 'gone@x.test' });
    expect(await t.stripe.customers.del(c.id)).toMatchObject({ id: c.id, deleted: true });
    const again = await t.stripe.customers.retrieve(c.id);
    expect(again.deleted).toBe(true);
    await expect(t.stripe.invoices.create({ customer: c.id })).rejects.toMatchObject({ code: 'resource_missing', param: 'customer' });
    expect((await t.stripe.customers.list()).data).toHaveLength(0);
  });
});

describe('customer balance', () => {
  it('records transactions, negative = credit, and keeps customer.balance in step', async () => {
    const c = await t.stripe.customers.create({ email: 'credit@x.test' });
    const credit = await t.stripe.customers.createBalanceTransaction(c.id, { amount: -5000, currency: 'usd', description: 'Goodwill' });
    expect(credit).toMatchObject({ object: 'customer_balance_transaction', amount: -5000, ending_balance: -5000, type: 'adjustment' });
    expect(credit.id).toMatch(/^cbtxn_/);
    await t.stripe.customers.createBalanceTransaction(c.id, { amount: 1200, currency: 'usd' });
    const after = await t.stripe.customers.retrieve(c.id);
    if (after.deleted) throw new Error('deleted');
    expect(after.balance).toBe(-3800);
    expect(after.currency).toBe('usd');
    const txns = await t.stripe.customers.listBalanceTransactions(c.id);
    expect(txns.data.map((x) => x.amount)).toEqual([1200, -5000]);
    await expect(t.stripe.customers.createBalanceTransaction(c.id, { amount: 100, currency: 'eur' })).rejects.toMatchObject({
      type: 'StripeInvalidRequestError',
      param: 'currency',
    });
  });
});

describe('errors and auth', () => {
  it("answers 404 with Stripe's error shape", async () => {
    const error = await t.stripe.customers.retrieve('cus_missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
    expect(error).toMatchObject({ statusCode: 404, code: 'resource_missing', param: 'id', message: "No such customer: 'cus_missing'" });
    expect((error as Stripe.errors.StripeError).raw).toMatchObject({ type: 'invalid_request_error', request_log_url: expect.stringMatching(/req_/) });
  });

  it('rejects unknown and malformed parameters before changing anything', async () => {
    const raw = t.stripe.customers.create as unknown as (p: Record<string, unknown>) => Promise<unknown>;
    await expect(raw.call(t.stripe.customers, { emial: 'typo@x.test' })).rejects.toMatchObject({ code: 'parameter_unknown', param: 'emial' });
    await expect(raw.call(t.stripe.customers, { balance: 'lots' })).rejects.toMatchObject({ code: 'parameter_invalid_integer', param: 'balance' });
    await expect(raw.call(t.stripe.customers, { address: { line1: 'x', planet: 'Mars' } })).rejects.toMatchObject({ param: 'address[planet]' });
    expect(t.emulator.objects.customers).toHaveLength(0);
  });

  it('requires a test-mode Bearer key (401 otherwise)', async () => {
    const noKey = await fetch(`${t.emulator.url}/v1/customers`);
    expect(noKey.status).toBe(401);
    expect(await noKey.json()).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringContaining('API key') } });
    const live = t.emulator.client({ apiKey: 'sk_live_123456789012' });
    await expect(live.customers.list()).rejects.toBeInstanceOf(Stripe.errors.StripeAuthenticationError);
  });

  it('can restrict the accepted keys', async () => {
    const emulator = await startStripeEmulator({ apiKeys: ['sk_test_only_this_one'] });
    try {
      expect((await emulator.client().customers.list()).data).toEqual([]);
      await expect(emulator.client({ apiKey: 'sk_test_other' }).customers.list()).rejects.toMatchObject({ statusCode: 401 });
    } finally {
      await emulator.close();
    }
  });

  it('answers unknown endpoints with 404 and logs every request', async () => {
    const res = await fetch(`${t.emulator.url}/v1/teleport`, { headers: { Authorization: `Bearer ${t.emulator.apiKey}` } });
    expect(res.status).toBe(404);
    expect(t.emulator.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/teleport', status: 404 });
  });
});
