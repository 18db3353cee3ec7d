import { eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/balance.js';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { createCustomer, type Customer } from '../../src/billing/customers/customers.js';
import { ManualClock } from '../../src/shared/clock.js';
import { auditLog, balanceTransactions, events, invoiceLines, invoices } from '../../src/store/schema.js';
import { seedInstance, seedStaff, systemCtx, type SeededInstance, type SeededStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';
import { pdfText } from '../support/pdf-text.js';
import { example } from './helpers.js';

describeDb('invoice HTTP API', (database) => {
  const clock = new ManualClock('2026-04-01T15:00:00Z');
  let app: FastifyInstance;
  let us: SeededInstance;
  let eu: SeededInstance;
  let viewer: SeededStaff;
  let support: SeededStaff;
  let admin: SeededStaff;
  let acme: Customer;
  let globex: Customer;

  beforeAll(async () => {
    app = await testApp(database(), clock);
    await activateCatalogConfig(database().db, clock, example, 'billing.yaml');
    us = await seedInstance(database(), clock, 'us');
    eu = await seedInstance(database(), clock, 'eu');
    viewer = await seedStaff(database(), clock, 'viewer');
    support = await seedStaff(database(), clock, 'support');
    admin = await seedStaff(database(), clock, 'billing_admin');
    const ctx = systemCtx(database(), clock);
    acme = await createCustomer(ctx, {
      instanceId: us.instance.id,
      externalId: 'team_1001',
      name: 'Acme Rockets',
      billingEmail: 'ap@acme.test',
      currency: 'usd',
      address: { line1: '1 Launch Pad', city: 'Houston', state: 'TX', postal_code: '77058', country: 'US' },
      taxIds: [{ type: 'us_ein', value: '12-3456789' }],
    });
    globex = await createCustomer(ctx, { instanceId: eu.instance.id, externalId: 'org_77', name: 'Globex', billingEmail: 'ap@globex.test', currency: 'eur' });
  });
  afterAll(async () => app.close());

  const post = (url: string, who: SeededStaff, payload?: object, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, headers: { ...who.headers, ...headers }, ...(payload ? { payload } : {}) });

  const annualDraft = (extra: object = {}) =>
    post('/admin/v1/invoices', admin, {
      customer: acme.id,
      memo: 'Accepted quote Q-2026-014',
      period_start: '2026-04-01',
      period_end: '2027-04-01',
      lines: [
        { price: 'product_analytics.annual.usd.year.up_front' },
        { description: 'Premium support (annual)', unit_amount: '250000', quantity: 1 },
        { description: 'Included seats', unit_amount: 0, quantity: '25' },
      ],
      ...extra,
    });

  it('drafts a manual invoice (R18): catalog and custom lines, memo, send_invoice, net 30, card and ACH', async () => {
    const res = await annualDraft();
    expect(res.statusCode).toBe(201);
    const inv = res.json();
    expect(inv).toMatchObject({
      object: 'invoice',
      customer: acme.id,
      instance: us.instance.id,
      number: null,
      status: 'draft',
      collection_method: 'send_invoice',
      payment_settings: { payment_method_types: ['card', 'us_bank_account'] },
      currency: 'usd',
      days_until_due: 30,
      due_date: null,
      memo: 'Accepted quote Q-2026-014',
      period_start: '2026-04-01T00:00:00.000Z',
      subtotal: 1_450_000,
      total: 1_450_000,
      starting_balance: 0,
      ending_balance: null,
      amount_due: 1_450_000,
      amount_paid: 0,
      amount_remaining: 1_450_000,
      total_discount_amounts: [],
      lines: { object: 'list', has_more: false, total_count: 3 },
    });
    expect(inv.lines.data[0]).toMatchObject({ object: 'line_item', source: 'up_front', price: 'product_analytics.annual.usd.year.up_front', quantity: '1', unit_amount_decimal: '1200000', amount: 1_200_000, discount_amount: 0 });
    expect(inv.lines.data[2]).toMatchObject({ source: 'manual', description: 'Included seats', quantity: '25', unit_amount_decimal: '0', amount: 0, period: { start: '2026-04-01T00:00:00.000Z', end: '2027-04-01T00:00:00.000Z' } });
    const [audit] = await database().db.select().from(auditLog).where(eq(auditLog.targetId, inv.id));
    expect(audit).toMatchObject({ action: 'invoice.create', actorId: admin.staff.id });
  });

  it('edits a draft: adds a tiered catalog line, removes a line, changes terms', async () => {
    const inv = (await annualDraft()).json();
    const added = await post(`/admin/v1/invoices/${inv.id}/lines`, admin, { price: 'session_replay.paid.usd.month', quantity: '20000', reason: 'quote amended' });
    expect(added.statusCode).toBe(200);
    expect(added.json().lines.data.slice(3).map((l: { quantity: string; amount: number; tier: unknown }) => [l.quantity, l.amount, l.tier])).toEqual([
      ['5000', 0, { index: 0, from: '0', up_to: '5000' }],
      ['10000', 5000, { index: 1, from: '5000', up_to: '15000' }],
      ['5000', 1750, { index: 2, from: '15000', up_to: '50000' }],
    ]);
    expect(added.json().subtotal).toBe(1_456_750);
    const removed = await post(`/admin/v1/invoices/${inv.id}/lines/${inv.lines.data[1].id}/remove`, admin);
    expect(removed.statusCode).toBe(200);
    expect(removed.json()).toMatchObject({ subtotal: 1_206_750, lines: { total_count: 5 } });
    const terms = await post(`/admin/v1/invoices/${inv.id}`, admin, { days_until_due: 14, memo: 'Accepted quote Q-2026-014 (rev. 2)', payment_method_types: ['us_bank_account'] });
    expect(terms.json()).toMatchObject({ days_until_due: 14, memo: 'Accepted quote Q-2026-014 (rev. 2)', payment_settings: { payment_method_types: ['us_bank_account'] } });
  });

  it('refuses bad input with 400 naming the field and writes nothing', async () => {
    const count = async () => (await database().db.select({ id: invoices.id }).from(invoices)).length;
    const lineCount = async () => (await database().db.select({ id: invoiceLines.id }).from(invoiceLines)).length;
    const before = [await count(), await lineCount()];
    const cases: [object, string][] = [
      [{ customer: acme.id, lines: [{ price: 'product_analytics.annual.usd.year.up_front' }, { description: 'x', unit_amount: 'abc' }] }, 'lines.1.unit_amount'],
      [{ customer: acme.id, lines: [{ description: 'x', unit_amount: '1', quantity: '-2' }] }, 'lines.0.quantity'],
      [{ customer: acme.id, lines: [{ price: 'product_analytics.annual.usd.year.up_front', unit_amount: 5 }] }, 'lines.0.unit_amount'],
      [{ customer: acme.id, lines: [{ description: 'no amount' }] }, 'lines.0.unit_amount'],
      [{ customer: acme.id, lines: [{}] }, 'lines.0.price'],
      [{ customer: acme.id, lines: [{ price: 'nope' }] }, 'lines.0.price'],
      [{ customer: acme.id, lines: [{ description: 'x', unit_amount: 1, colour: 'red' }] }, 'lines.0.colour'],
      [{ customer: acme.id, memoo: 'typo', lines: [] }, 'memoo'],
      [{ customer: acme.id, collection_method: 'charge_automatically', days_until_due: 30, lines: [] }, 'days_until_due'],
      [{ customer: acme.id, collection_method: 'wire', lines: [] }, 'collection_method'],
      [{ customer: acme.id, due_date: '2026-02-30', lines: [] }, 'due_date'],
      [{ customer: acme.id, due_date: 'next week', lines: [] }, 'due_date'],
      [{ customer: acme.id, payment_method_types: ['card', 'cash'], lines: [] }, 'payment_method_types.1'],
      [{ customer: acme.id, period_start: '2026-05-01', period_end: '2026-04-01', lines: [] }, 'period_end'],
      [{ lines: [] }, 'customer'],
    ];
    for (const [payload, param] of cases) {
      const res = await post('/admin/v1/invoices', admin, payload);
      expect(res.statusCode, `${param}: ${res.body}`).toBe(400);
      expect(res.json().error.param).toBe(param);
    }
    expect([await count(), await lineCount()]).toEqual(before);
  });

  it('enforces roles: viewers read, billing admins change', async () => {
    const inv = (await annualDraft()).json();
    expect((await app.inject({ url: `/admin/v1/invoices/${inv.id}`, headers: viewer.headers })).statusCode).toBe(200);
    for (const who of [viewer, support]) {
      const res = await post(`/admin/v1/invoices/${inv.id}/finalize`, who);
      expect(res.statusCode).toBe(403);
      expect(res.json().error.message).toContain("'billing_admin'");
      expect((await post('/admin/v1/invoices', who, { customer: acme.id, lines: [] })).statusCode).toBe(403);
    }
    expect((await app.inject({ url: `/admin/v1/invoices/${inv.id}`, headers: us.headers })).statusCode).toBe(403);
  });

  it('finalizes once with an Idempotency-Key: the replay returns the same number without taking another', async () => {
    const a = (await annualDraft()).json();
    const b = (await annualDraft()).json();
    const key = { 'idempotency-key': `fin-${a.id}` };
    const first = await post(`/admin/v1/invoices/${a.id}/finalize`, admin, undefined, key);
    expect(first.statusCode).toBe(200);
    const number: string = first.json().number;
    expect(number).toMatch(/^US-\d{6}$/);
    const replay = await post(`/admin/v1/invoices/${a.id}/finalize`, admin, undefined, key);
    expect(replay.statusCode).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.json().number).toBe(number);
    // Without the key a second finalize is refused, naming the status.
    const again = await post(`/admin/v1/invoices/${a.id}/finalize`, admin);
    expect(again.statusCode).toBe(409);
    expect(again.json().error).toMatchObject({ code: 'invoice_status_invalid', param: 'status' });
    expect(again.json().error.message).toContain('is open');
    const next = await post(`/admin/v1/invoices/${b.id}/finalize`, admin);
    expect(next.json().number).toBe(`US-${String(Number(number.slice(3)) + 1).padStart(6, '0')}`);
    expect(first.json()).toMatchObject({ status: 'open', due_date: '2026-05-01T15:00:00.000Z', status_transitions: { finalized_at: '2026-04-01T15:00:00.000Z' } });
  });

  it('runs the lifecycle over HTTP: credit applied at finalization, send, record a payment, void returns credit', async () => {
    await addBalanceTransaction(systemCtx(database(), clock), { customerId: acme.id, amount: -50_000n, currency: 'usd', type: 'credit', description: 'goodwill' });
    const inv = (await annualDraft()).json();
    const fin = (await post(`/admin/v1/invoices/${inv.id}/finalize`, admin, { reason: 'reviewed with sales' })).json();
    expect(fin).toMatchObject({ status: 'open', total: 1_450_000, starting_balance: -50_000, ending_balance: 0, amount_due: 1_400_000 });
    expect((await post(`/admin/v1/invoices/${fin.id}/send`, admin)).json().last_sent_at).toBe(clock.now().toISOString());
    const noRef = await post(`/admin/v1/invoices/${fin.id}/pay`, admin, {});
    expect(noRef.statusCode).toBe(400);
    expect(noRef.json().error.param).toBe('reference');
    const paid = await post(`/admin/v1/invoices/${fin.id}/pay`, admin, { reference: 'ACH 0401-9921', paid_at: '2026-04-01T09:00:00Z' });
    expect(paid.json()).toMatchObject({ status: 'paid', amount_paid: 1_400_000, amount_remaining: 0, payment_reference: 'ACH 0401-9921', status_transitions: { paid_at: '2026-04-01T09:00:00.000Z' } });
    const voidPaid = await post(`/admin/v1/invoices/${fin.id}/void`, admin, { reason: 'try' });
    expect(voidPaid.statusCode).toBe(409);
    expect(voidPaid.json().error.message).toContain('is paid');

    // A second invoice consumes nothing (the credit is spent); voiding one with credit gives it back.
    await addBalanceTransaction(systemCtx(database(), clock), { customerId: acme.id, amount: -1000n, currency: 'usd', type: 'credit' });
    const second = (await post(`/admin/v1/invoices/${(await annualDraft()).json().id}/finalize`, admin)).json();
    expect(second.amount_due).toBe(1_449_000);
    const noReason = await post(`/admin/v1/invoices/${second.id}/void`, admin);
    expect(noReason.statusCode).toBe(400);
    expect(noReason.json().error.param).toBe('reason');
    const voided = await post(`/admin/v1/invoices/${second.id}/void`, admin, { reason: 'customer switched to monthly', ticket: 'SALES-12' });
    expect(voided.json().status).toBe('void');
    const ledger = await database().db.select().from(balanceTransactions).where(eq(balanceTransactions.invoiceId, second.id));
    expect(ledger.map((r) => [r.type, r.amount])).toEqual([
      ['applied_to_invoice', 1000n],
      ['invoice_voided', -1000n],
    ]);
    const types = (await database().db.select({ type: events.type }).from(events).where(eq(events.objectId, second.id))).map((e) => e.type);
    expect(types).toEqual(['invoice.created', 'invoice.finalized', 'invoice.voided']);
  });

  it('lists invoices by customer and status, newest first, with cursor pages', async () => {
    const list = (q: string, who: { headers: { authorization: string } } = viewer) => app.inject({ url: `/admin/v1/invoices?${q}`, headers: who.headers });
    const open = (await list(`customer=${acme.id}&status=open`)).json();
    expect(open.object).toBe('list');
    expect(open.data.length).toBeGreaterThan(0);
    expect(open.data.every((i: { status: string; customer: string }) => i.status === 'open' && i.customer === acme.id)).toBe(true);
    const all: string[] = [];
    let after = '';
    for (;;) {
      const page = (await list(`customer=${acme.id}&limit=2${after ? `&starting_after=${after}` : ''}`)).json();
      all.push(...page.data.map((i: { id: string }) => i.id));
      if (!page.has_more) break;
      after = page.data.at(-1).id;
    }
    expect(all).toEqual([...all].sort().reverse());
    expect(new Set(all).size).toBe(all.length);
    expect((await list('status=paid&instance=eu')).json().data).toEqual([]);
    expect((await list('status=overdue')).json().error.param).toBe('status');
  });

  it('isolates instances: an instance reads only its own customers’ invoices (R1)', async () => {
    const mine = (await post('/admin/v1/invoices', admin, { customer: acme.id, lines: [{ description: 'x', unit_amount: 100 }] })).json();
    const theirs = (await post('/admin/v1/invoices', admin, { customer: globex.id, lines: [{ description: 'y', unit_amount: 100 }] })).json();
    expect(theirs.currency).toBe('eur');
    const get = (url: string, who: SeededInstance) => app.inject({ url, headers: who.headers });
    expect((await get(`/v1/invoices/${mine.id}`, us)).json()).toMatchObject({ id: mine.id, object: 'invoice' });
    for (const url of [`/v1/invoices/${theirs.id}`, `/v1/invoices/${theirs.id}/pdf`, `/v1/customers/${globex.id}/invoices`]) {
      const res = await get(url, us);
      expect(res.statusCode, url).toBe(404);
      expect(res.json().error.type).toBe('not_found');
    }
    const listed = (await get(`/v1/customers/${acme.id}/invoices?limit=100`, us)).json();
    expect(listed.data.map((i: { id: string }) => i.id)).toContain(mine.id);
    expect(listed.data.every((i: { instance: string }) => i.instance === us.instance.id)).toBe(true);
    expect((await get(`/v1/customers/${globex.id}/invoices`, eu)).json().data.map((i: { id: string }) => i.id)).toEqual([theirs.id]);
    expect((await app.inject({ url: `/v1/invoices/${mine.id}`, headers: admin.headers })).statusCode).toBe(403);
  });

  it('serves a finalized invoice as a PDF with its number and amount due; a draft only to staff, marked DRAFT', async () => {
    // The void above gave back 1,000; with this the customer has 3,500 of credit.
    await addBalanceTransaction(systemCtx(database(), clock), { customerId: acme.id, amount: -2500n, currency: 'usd', type: 'credit' });
    const draft = (await post('/admin/v1/invoices', admin, { customer: acme.id, memo: 'Accepted quote Q-2026-020', lines: [{ description: 'Implementation workshop', unit_amount: '1250000' }] })).json();

    const draftForInstance = await app.inject({ url: `/v1/invoices/${draft.id}/pdf`, headers: us.headers });
    expect(draftForInstance.statusCode).toBe(409);
    expect(draftForInstance.json().error.code).toBe('invoice_not_finalized');
    const draftForStaff = await app.inject({ url: `/admin/v1/invoices/${draft.id}/pdf`, headers: viewer.headers });
    expect(draftForStaff.statusCode).toBe(200);
    expect((await pdfText(draftForStaff.rawPayload)).join('\n')).toContain('DRAFT');

    const fin = (await post(`/admin/v1/invoices/${draft.id}/finalize`, admin)).json();
    expect(fin).toMatchObject({ total: 1_250_000, amount_due: 1_246_500 });
    const res = await app.inject({ url: `/v1/invoices/${fin.id}/pdf`, headers: us.headers });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/pdf');
    expect(res.headers['content-disposition']).toBe(`inline; filename="${fin.number}.pdf"`);
    expect(res.rawPayload.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = (await pdfText(res.rawPayload)).join('\n').replace(/\s+/g, ' ');
    for (const s of [fin.number, '$12,465.00', '$12,500.00', '-$35.00', 'Accepted quote Q-2026-020', 'Acme Rockets', 'ap@acme.test', 'US EIN: 12-3456789', 'Implementation workshop', 'Tally Demo Company']) {
      expect(text).toContain(s);
    }
    expect(text).toContain('Amount due');
    expect(text).not.toContain('DRAFT');
    const adminPdf = await app.inject({ url: `/admin/v1/invoices/${fin.id}/pdf`, headers: viewer.headers });
    expect(adminPdf.rawPayload.equals(res.rawPayload)).toBe(true);
  });
});
