import { expect, it } from 'vitest';
import { addBalanceTransaction } from '../../src/billing/balance/balance.js';
import { addInvoiceLine, createDraftInvoice, removeInvoiceLine, updateDraftInvoice } from '../../src/billing/invoices/drafts.js';
import { finalizeInvoice } from '../../src/billing/invoices/transitions.js';
import { invoices } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { custom, world } from './helpers.js';

const DAY = 86_400_000;

describeDb('manual invoices (R18)', (database) => {
  it('rates catalog-price lines through the price: one line per graduated tier, with quantities and unit amounts', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const inv = await createDraftInvoice(w.staff, {
      customerId: c.id,
      collectionMethod: 'send_invoice',
      periodStart: new Date('2026-03-01T00:00:00Z'),
      periodEnd: new Date('2027-03-01T00:00:00Z'),
      memo: 'Accepted quote Q-2026-014',
      lines: [
        { price: 'product_analytics.annual.usd.year.up_front' },
        { price: 'session_replay.paid.usd.month', quantity: '20000' },
      ],
    });
    const summary = inv.lines.map((l) => [l.source, l.quantity.toString(), l.unitAmount?.toString() ?? null, l.tier, l.amount]);
    expect(summary).toEqual([
      ['up_front', '1', '1200000', null, 1_200_000n],
      ['usage', '5000', '0', 0, 0n],
      ['usage', '10000', '0.5', 1, 5000n],
      ['usage', '5000', '0.35', 2, 1750n],
    ]);
    expect(inv.lines[0]?.description).toBe('Product analytics — up-front (Annual prepayment (300M events))');
    expect(inv.lines[2]).toMatchObject({ priceKey: 'session_replay.paid.usd.month', productKey: 'session_replay', period: { start: new Date('2026-03-01T00:00:00Z') } });
    expect(inv.lines[2]?.tierFrom?.toString()).toBe('5000');
    expect(inv.lines[2]?.tierUpTo?.toString()).toBe('15000');
    expect(inv).toMatchObject({ subtotal: 1_206_750n, total: 1_206_750n, amountDue: 1_206_750n, memo: 'Accepted quote Q-2026-014' });
    expect((await w.audit(inv.id)).map((a) => [a.action, a.reason])).toEqual([['invoice.create', 'manual invoice drafted']]);
  });

  it('keeps the quantity on $0 lines (R4): a free catalog price and a zero custom amount', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const inv = await createDraftInvoice(w.system, {
      customerId: c.id,
      lines: [{ price: 'product_analytics.free.usd.month', quantity: 125000 }, custom('Onboarding (included)', '0', '3')],
    });
    expect(inv.lines.map((l) => [l.quantity.toString(), l.amount])).toEqual([
      ['125000', 0n],
      ['3', 0n],
    ]);
    expect(inv.lines[0]?.description).toContain('125,000 events');
    expect(inv.total).toBe(0n);
    const fin = await finalizeInvoice(w.system, inv.id);
    expect(fin.status).toBe('paid'); // nothing to collect
    expect(fin.lines.map((l) => l.quantity.toString())).toEqual(['125000', '3']);
  });

  it('totals a zero-decimal currency (JPY) exactly: each line rounded once, half-up, then the credit', async () => {
    const w = await world(database().db);
    const c = await w.customer({ currency: 'jpy' });
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -1000n, currency: 'jpy', type: 'credit' });
    const inv = await createDraftInvoice(w.system, {
      customerId: c.id,
      collectionMethod: 'send_invoice',
      lines: [custom('年間ライセンス', '150000', '1'), custom('API calls', '0.5', '3'), custom('Seats', '1250', '7')],
    });
    expect(inv.currency).toBe('JPY');
    expect(inv.lines.map((l) => l.amount)).toEqual([150_000n, 2n, 8750n]);
    const fin = await finalizeInvoice(w.system, inv.id);
    expect(fin).toMatchObject({ subtotal: 158_752n, total: 158_752n, appliedBalance: -1000n, amountDue: 157_752n, endingBalance: 0n });
  });

  it('is due net 30 after finalization when sent (R23), or on the date or term given; charged invoices have no due date', async () => {
    const w = await world(database().db, '2026-01-31T09:30:00Z');
    const c = await w.customer();
    const net30 = await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', lines: [custom('x', '100')] });
    expect(net30).toMatchObject({ daysUntilDue: 30, dueDate: null });
    w.clock.advance(2 * DAY); // reviewed for two days: the term runs from finalization
    expect((await finalizeInvoice(w.system, net30.id)).dueDate).toEqual(new Date('2026-03-04T09:30:00Z'));

    const net45 = await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', daysUntilDue: 45, lines: [custom('x', '100')] });
    expect((await finalizeInvoice(w.system, net45.id)).dueDate).toEqual(new Date('2026-03-19T09:30:00Z'));

    const fixed = await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', dueDate: new Date('2026-06-30T00:00:00Z'), lines: [custom('x', '100')] });
    expect(fixed.daysUntilDue).toBeNull();
    expect((await finalizeInvoice(w.system, fixed.id)).dueDate).toEqual(new Date('2026-06-30T00:00:00Z'));

    const charged = await createDraftInvoice(w.system, { customerId: c.id, lines: [custom('x', '100')] });
    expect(charged).toMatchObject({ collectionMethod: 'charge_automatically', daysUntilDue: null, paymentMethodTypes: ['card'] });
    expect((await finalizeInvoice(w.system, charged.id)).dueDate).toBeNull();
  });

  it('lets manual (sent) invoices be paid by ACH and card (R18), and keeps payment method types given', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const sent = await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', lines: [] });
    expect(sent.paymentMethodTypes).toEqual(['card', 'us_bank_account']);
    const achOnly = await createDraftInvoice(w.system, { customerId: c.id, collectionMethod: 'send_invoice', paymentMethodTypes: ['us_bank_account'], lines: [] });
    expect(achOnly.paymentMethodTypes).toEqual(['us_bank_account']);
    // Switching the method resets the types and terms to the new method's defaults.
    const switched = await updateDraftInvoice(w.system, sent.id, { collectionMethod: 'charge_automatically' });
    expect(switched).toMatchObject({ paymentMethodTypes: ['card'], daysUntilDue: null });
    const back = await updateDraftInvoice(w.system, sent.id, { collectionMethod: 'send_invoice' });
    expect(back).toMatchObject({ paymentMethodTypes: ['card', 'us_bank_account'], daysUntilDue: 30 });
  });

  it('adds and removes lines on a draft, re-totalling each time', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const d = await createDraftInvoice(w.staff, { customerId: c.id, collectionMethod: 'send_invoice', lines: [custom('Platform', '50000')] });
    const added = await addInvoiceLine(w.staff, d.id, { price: 'session_replay.paid.usd.month', quantity: '15000' }, { ticket: 'SALES-3' });
    expect(added.lines.map((l) => l.position)).toEqual([0, 1, 2]);
    expect(added).toMatchObject({ subtotal: 55_000n, total: 55_000n });
    const removed = await removeInvoiceLine(w.staff, d.id, added.lines[2]!.id, { reason: 'quote revised' });
    expect(removed.lines.map((l) => l.position)).toEqual([0, 1]);
    expect(removed).toMatchObject({ subtotal: 50_000n, amountDue: 50_000n });
    const again = await addInvoiceLine(w.staff, d.id, custom('Training day', '120000'));
    expect(again.lines.map((l) => [l.position, l.amount])).toEqual([
      [0, 50_000n],
      [1, 0n],
      [2, 120_000n],
    ]);
    await expect(removeInvoiceLine(w.staff, d.id, 'il_missing')).rejects.toMatchObject({ type: 'not_found', param: 'line' });
    expect((await w.audit(d.id)).map((a) => a.action)).toEqual(['invoice.create', 'invoice.add_line', 'invoice.remove_line', 'invoice.add_line']);
    expect(await w.events(d.id)).toEqual(['invoice.created', 'invoice.updated', 'invoice.updated', 'invoice.updated']);
  });

  it('refuses bad lines and terms naming the field, writing nothing', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const base = { customerId: c.id, collectionMethod: 'send_invoice' as const };
    const cases: [Parameters<typeof createDraftInvoice>[1], string][] = [
      [{ ...base, lines: [custom('ok', '1'), { price: 'no.such.price' }] }, 'lines.1.price'],
      [{ ...base, lines: [{ price: 'product_analytics.paid.eur.month', quantity: 1 }] }, 'lines.0.price'],
      [{ ...base, lines: [{ price: 'product_analytics.enterprise.usd.year', quantity: 2 }] }, 'lines.0.quantity'],
      [{ ...base, lines: [{ price: 'session_replay.paid.usd.month', quantity: '-5' }] }, 'lines.0.quantity'],
      [{ ...base, lines: [custom('x', 'ten')] }, 'lines.0.unit_amount'],
      [{ ...base, lines: [custom('x', '-1')] }, 'lines.0.unit_amount'],
      [{ ...base, lines: [custom('x', '0.0000000000001')] }, 'lines.0.unit_amount'],
      [{ ...base, lines: [custom('   ', '1')] }, 'lines.0.description'],
      [{ ...base, lines: [custom('x', '1', '1.5.5')] }, 'lines.0.quantity'],
      [{ ...base, lines: [custom('x', '1', '1e20')] }, 'lines.0.quantity'],
      [{ ...base, collectionMethod: 'charge_automatically', daysUntilDue: 30, lines: [] }, 'days_until_due'],
      [{ ...base, daysUntilDue: 10, dueDate: new Date('2027-01-01'), lines: [] }, 'due_date'],
      [{ ...base, dueDate: new Date('2020-01-01'), lines: [] }, 'due_date'],
      [{ ...base, paymentMethodTypes: ['card', 'cash' as never], lines: [] }, 'payment_method_types.1'],
      [{ ...base, periodStart: new Date('2026-03-01'), lines: [] }, 'period_end'],
      [{ ...base, memo: 'x'.repeat(5001), lines: [] }, 'memo'],
      [{ ...base, customerId: 'cus_nobody', lines: [] }, 'customer'],
    ];
    for (const [input, param] of cases) {
      await expect(createDraftInvoice(w.system, input), param).rejects.toMatchObject({ param });
    }
    expect(await w.db.select().from(invoices)).toSatisfy((rows: (typeof invoices.$inferSelect)[]) => rows.every((r) => r.customerId !== c.id));
  });
});
