import { and, eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { contractAmortization, createContract, getContract, goLiveContract, importContract, revenueEntries, updateContract } from '../../src/billing/contracts/contracts.js';
import { findCustomerByExternalId } from '../../src/billing/customers/customers.js';
import { getInvoice, listInvoices } from '../../src/billing/invoices/read.js';
import { listCustomerPrices } from '../../src/billing/pricing/customer-prices.js';
import { createSchedule, getSchedule, getSubscription } from '../../src/billing/subscriptions/index.js';
import { ingestUsage } from '../../src/billing/usage/ingest-usage.js';
import { revenueByMonth, revenueCsv } from '../../src/core/contracts/amortization.js';
import { contracts, customerPrices, invoices, revenueSchedules, subscriptionSchedules } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { acmeYaml, contractWorld } from './helpers.js';

const why = { reason: 'signed order form', ticket: 'OPS-42' };

describeDb('contracts from order forms', (database) => {
  it('import → review (a fix) → create → go live: invoice, custom prices, amortization and schedule as agreed', async () => {
    const w = await contractWorld(database().db, '2026-01-10T09:00:00Z');
    const imported = await importContract(w.staff, { text: acmeYaml(w), format: 'yaml' }, why);
    expect(imported.status).toBe('review');
    expect(imported.problems.map((p) => [p.path, p.code])).toEqual([['customer.contact_email', 'contact_email_ambiguous']]);
    await expect(createContract(w.staff, imported.id, why)).rejects.toMatchObject({ code: 'contract_has_problems', param: 'customer.contact_email' });

    // Review: staff pick the customer's billing contact among the signers.
    await expect(updateContract(w.staff, imported.id, { 'customer.contact_email': 'ap@acme.example' })).rejects.toMatchObject({ code: 'reason_required' });
    await expect(updateContract(w.staff, imported.id, { '__proto__.x': 1 }, why)).rejects.toMatchObject({ code: 'invalid_field_path', param: 'set.__proto__.x' });
    const fixed = await updateContract(w.staff, imported.id, { 'customer.contact_email': 'ap@acme.example' }, { reason: 'AP handles invoices', ticket: 'OPS-42' });
    expect(fixed.problems).toEqual([]);
    expect(fixed.form).toMatchObject({ customer: { contact_email: 'ap@acme.example' } });

    const created = await createContract(w.staff, imported.id, why);
    expect(created.status).toBe('created');
    const customer = (await findCustomerByExternalId(w.system, w.instanceId, w.org))!;
    expect(customer).toMatchObject({ name: 'Acme Corp', billingEmail: 'ap@acme.example', currency: 'USD', taxIds: [{ type: 'us_ein', value: '12-3456789' }], address: { line1: '1 Market Street', city: 'San Francisco', country: 'US' } });
    expect(created.customerId).toBe(customer.id);

    // The up-front invoice: a draft until the start, one line per product, net 30 from the start, ACH + card.
    const invoice = await getInvoice(w.system, created.invoiceId!);
    expect(invoice).toMatchObject({ status: 'draft', collectionMethod: 'send_invoice', currency: 'USD', subtotal: 6_000_000n, total: 6_000_000n, amountDue: 6_000_000n, number: null });
    expect([...invoice.paymentMethodTypes].sort()).toEqual(['card', 'us_bank_account']);
    expect(invoice.dueDate?.toISOString()).toBe('2026-03-03T00:00:00.000Z'); // 2026-02-01 + 30 days
    expect(invoice.memo).toBe('Annual contract per accepted quote Q-2026-0042 (2026-02-01 to 2027-02-01).');
    expect(invoice.lines.map((l) => [l.productKey, l.source, l.amount, l.quantity.toString(), l.discountable])).toEqual([
      ['product_analytics', 'up_front', 4_800_000n, '1', false],
      ['session_replay', 'up_front', 1_200_000n, '1', false],
    ]);
    expect(invoice.lines[0]!.description).toBe('Product analytics — up-front, 1 year (2026-02-01 to 2027-02-01)');

    // Custom overage rates → the customer's own graduated price for the term (R7 description).
    const prices = await listCustomerPrices(w.db, customer.id);
    expect(prices).toHaveLength(1);
    expect(prices[0]).toMatchObject({ productKey: 'product_analytics', currency: 'USD', aggregation: 'max', description: 'Custom - 2026-02-01', contractId: created.id });
    expect(prices[0]!.validFrom.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    expect(prices[0]!.validUntil?.toISOString()).toBe('2027-02-01T00:00:00.000Z');
    expect(prices[0]!.tiers.map((t) => [t.upTo?.toString() ?? null, t.unitAmount.toString()])).toEqual([
      ['60000000', '0'],
      ['250000000', '0.0045'],
      [null, '0.003'],
    ]);

    // Amortization: $60,000 over 12 months = 12 × $5,000; per product $4,000 and $1,000 a month.
    const am = await contractAmortization(w.system, created.id);
    expect(am.total).toBe(6_000_000n);
    expect(am.slices.map((s) => s.amount)).toEqual(Array(12).fill(500_000n));
    expect(am.slices[0]!.month).toBe('2026-02');
    expect(am.slices[11]!.month).toBe('2027-01');
    expect(am.products.map((p) => [p.productKey, p.slices[0]!.amount, p.slices.length])).toEqual([
      ['product_analytics', 400_000n, 12],
      ['session_replay', 100_000n, 12],
    ]);

    // The subscription schedule: from the start, for the term, on the plans' metered prices only.
    const schedule = await getSchedule(w.system, created.scheduleId!);
    expect(schedule).toMatchObject({ status: 'not_started', endBehavior: 'release' });
    expect(schedule.phases).toEqual([
      {
        start: '2026-02-01T00:00:00.000Z',
        end: '2027-02-01T00:00:00.000Z',
        interval: 'month',
        catalog_version_id: expect.any(String),
        items: [
          { product_key: 'product_analytics', plan_key: 'paid', price_key: 'product_analytics.paid.usd.month' },
          { product_key: 'session_replay', plan_key: 'paid', price_key: 'session_replay.paid.usd.month' },
        ],
      },
    ]);

    // Before the start nothing is issued; staff cannot go live early.
    await expect(goLiveContract(w.staff, created.id, why)).rejects.toMatchObject({ code: 'contract_not_started' });
    await w.advanceTo('2026-01-31T23:59:00Z');
    expect((await getInvoice(w.system, invoice.id)).status).toBe('draft');
    expect(await getSubscription(w.system, customer.id)).toBeNull();

    // At the start the job takes it live: subscription linked, invoice finalized and sent, due start + 30.
    await w.advanceTo('2026-02-01T00:00:00Z');
    const live = await getContract(w.system, created.id);
    const sub = await getSubscription(w.system, customer.id);
    expect(live).toMatchObject({ status: 'live', subscriptionId: sub!.id });
    expect(live.liveAt?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    const issued = await getInvoice(w.system, invoice.id);
    expect(issued).toMatchObject({ status: 'open', amountDue: 6_000_000n });
    expect(issued.number).toMatch(/\d/);
    expect(issued.dueDate?.toISOString()).toBe('2026-03-03T00:00:00.000Z');
    expect(issued.sentAt?.toISOString()).toBe('2026-02-01T00:00:00.000Z');
    const liveEvents = await w.events(customer.id, 'contract.live');
    expect(liveEvents).toHaveLength(1);
    expect(liveEvents[0]!.data).toMatchObject({ subscription: sub!.id, invoice: invoice.id, sync_customer: true });
    // Going live again is a no-op.
    expect((await goLiveContract(w.staff, created.id, why)).status).toBe('live');

    // The contract's whole history is audited.
    expect(await w.contractAudit(created.id)).toEqual(['contract.import', 'contract.update', 'contract.create', 'contract.go_live']);

    // Overage is rated at the custom price at period close: max during the period (R7) = 100M events:
    // 60M at $0, then 40M × 0.0045¢ = 180,000¢ ($1,800).
    await w.advanceTo('2026-02-25T00:00:00Z');
    const ingested = await ingestUsage(w.ctx, w.instanceId, [
      { id: 'u1', customer: w.org, metric: 'events', value: 100_000_000, timestamp: '2026-02-10T00:00:00Z' },
      { id: 'u2', customer: w.org, metric: 'events', value: 70_000_000, timestamp: '2026-02-20T00:00:00Z' },
    ]);
    expect(ingested.accepted).toBe(2);
    await w.advanceTo('2026-03-01T02:00:00Z');
    const page = await listInvoices(w.system, { customerId: customer.id, limit: 10 } as never);
    const monthly = page.data.find((i) => i.subscriptionId === sub!.id)!;
    const analytics = monthly.lines.filter((l) => l.productKey === 'product_analytics');
    expect(analytics.map((l) => [l.quantity.toString(), l.unitAmount?.toString(), l.amount])).toEqual([
      ['60000000', '0', 0n],
      ['40000000', '0.0045', 180_000n],
    ]);
    expect(analytics.map((l) => l.priceKey)).toEqual([`product_analytics.custom.${prices[0]!.id}`, `product_analytics.custom.${prices[0]!.id}`]);
  });

  it('a 3-year contract starting next quarter: schedule now, no invoice issued before the start', async () => {
    const w = await contractWorld(database().db, '2026-05-15T12:00:00Z');
    const form = {
      quote: 'Q-2026-0100',
      start_date: '2026-07-01',
      term_years: 3,
      customer: { instance: w.slug, external_id: w.org, name: 'Globex', address: { line1: '5 Main St', country: 'US' }, signer_emails: ['billing@globex.example'] },
      products: [{ product: 'product_analytics', up_front: '$100,000.01' }],
    };
    const c = await importContract(w.staff, { raw: form, format: 'json' }, why);
    expect(c.problems).toEqual([]);
    const created = await createContract(w.staff, c.id, why);
    const customerId = created.customerId!;

    const am = await contractAmortization(w.system, created.id);
    // 10,000,001¢ / 36 = 277,777¢ rest 29: 35 × $2,777.77 and the last 10,000,001 − 35 × 277,777 = 277,806¢.
    expect(am.slices).toHaveLength(36);
    expect(am.slices.slice(0, 35).every((s) => s.amount === 277_777n)).toBe(true);
    expect(am.slices[35]).toMatchObject({ month: '2029-06', amount: 277_806n });
    const schedule = await getSchedule(w.system, created.scheduleId!);
    expect([schedule.phases[0]!.start, schedule.phases[0]!.end]).toEqual(['2026-07-01T00:00:00.000Z', '2029-07-01T00:00:00.000Z']);

    const issuedBefore = async () => (await database().db.select().from(invoices).where(and(eq(invoices.customerId, customerId)))).filter((i) => i.status !== 'draft');
    await w.advanceTo('2026-06-01T00:00:00Z');
    await w.advanceTo('2026-06-30T23:59:59Z');
    expect(await issuedBefore()).toEqual([]);
    expect((await getContract(w.system, created.id)).status).toBe('created');

    await w.advanceTo('2026-07-01T00:00:00Z');
    const issued = await issuedBefore();
    expect(issued.map((i) => [i.id, i.status, i.total, i.dueDate?.toISOString()])).toEqual([[created.invoiceId, 'open', 10_000_001n, '2026-07-31T00:00:00.000Z']]);
    expect((await getContract(w.system, created.id)).status).toBe('live');
    expect((await getSubscription(w.system, customerId))?.scheduleId).toBe(created.scheduleId);

    // Finance's revenue export: recognized per month from the amortization schedules.
    const byContract = revenueByMonth(await revenueEntries(w.system, 'contract'), '2029-05', '2029-06').filter((r) => r.key === created.id);
    expect(byContract.map((r) => [r.month, r.amount])).toEqual([
      ['2029-05', 277_777n],
      ['2029-06', 277_806n],
    ]);
    const csv = revenueCsv(byContract, 'contract');
    expect(csv).toBe(`month,contract,currency,amount_minor\n2029-05,${created.id},USD,277777\n2029-06,${created.id},USD,277806\n`);
  });

  it('unknown products are reported together with the form\'s own problems', async () => {
    const w = await contractWorld(database().db, '2026-01-10T09:00:00Z');
    const c = await importContract(w.staff, { raw: { quote: 'Q-9', start_date: '2026-02-01', term_years: 1, customer: { id: 'cus_x' }, products: [{ product: 'nope', up_front: '1,5' }, { product: 'session_replay', plan: 'gold', up_front: '$1k' }] }, format: 'json' }, why);
    expect(c.problems.map((p) => [p.path, p.code])).toEqual([
      ['products.0.up_front', 'ambiguous_decimal_separator'],
      ['products.0.product', 'unknown_product'],
      ['products.1.plan', 'unknown_plan'],
    ]);
  });

  it('an add-on whose custom tiers differ from its product is a problem naming the tier (R7)', async () => {
    const w = await contractWorld(database().db, '2026-01-10T09:00:00Z');
    const customer = await w.customer();
    const form = {
      quote: 'Q-7',
      currency: 'usd',
      start_date: '2026-02-01',
      term_years: 1,
      customer: { id: customer.id, contact_email: 'ap@x.example' },
      products: [
        { product: 'product_analytics', up_front: '10k', overage: [{ up_to: '60M', unit_amount: 0 }, { up_to: 'inf', unit_amount: '0.00004' }] },
        { product: 'group_analytics', up_front: '2k', overage: [{ up_to: '50M', unit_amount: 0 }, { up_to: 'inf', unit_amount: '0.00002' }] },
        { product: 'nope', up_front: '1k' },
      ],
    };
    const c = await importContract(w.staff, { raw: form, format: 'json' }, why);
    expect(c.problems.map((p) => [p.path, p.code])).toEqual([
      ['products.1.overage.0.up_to', 'addon_tiers_mismatch'],
      ['products.2.product', 'unknown_product'],
    ]);
    expect(c.problems[0]!.message).toContain('ends at 50000000 but tier 0 of \'product_analytics\' ends at 60000000');
    const fixed = await updateContract(w.staff, c.id, { 'products.1.overage.0.up_to': '60 million', 'products.2': null }, why);
    expect(fixed.problems).toEqual([]);
    // An add-on left on catalog tiers while its product gets custom ones would break R7 as well.
    const dropped = await updateContract(w.staff, c.id, { 'products.1.overage': null }, why);
    expect(dropped.problems.map((p) => [p.path, p.code])).toEqual([['products.1.overage', 'addon_tiers_mismatch']]);
  });

  it('create is one transaction: when the schedule cannot be made, nothing is left behind', async () => {
    const w = await contractWorld(database().db, '2026-01-10T09:00:00Z');
    const customer = await w.customer();
    await createSchedule(w.staff, customer.id, { phases: [{ start: new Date('2026-03-01T00:00:00Z'), months: 1, items: [{ product: 'product_analytics', plan: 'paid' }] }], endBehavior: 'release' }, why);
    const c = await importContract(w.staff, { raw: { quote: 'Q-8', currency: 'usd', start_date: '2026-02-01', term_years: 1, customer: { id: customer.id, contact_email: 'a@b.example' }, products: [{ product: 'product_analytics', up_front: '5k', overage: [{ up_to: 'inf', unit_amount: '0.0001' }] }] }, format: 'json' }, why);
    await expect(createContract(w.staff, c.id, why)).rejects.toMatchObject({ code: 'schedule_exists' });
    const db = database().db;
    expect(await db.select().from(invoices).where(eq(invoices.customerId, customer.id))).toEqual([]);
    expect(await db.select().from(customerPrices).where(eq(customerPrices.customerId, customer.id))).toEqual([]);
    expect(await db.select().from(revenueSchedules).where(eq(revenueSchedules.customerId, customer.id))).toEqual([]);
    expect((await db.select().from(subscriptionSchedules).where(eq(subscriptionSchedules.customerId, customer.id))).length).toBe(1);
    expect((await db.select().from(contracts).where(eq(contracts.id, c.id)))[0]).toMatchObject({ status: 'review', invoiceId: null });
    // The customer's billing email was not changed either.
    expect((await findCustomerByExternalId(w.system, w.instanceId, customer.externalId))?.billingEmail).toBeNull();
  });
});
