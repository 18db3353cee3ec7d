import { eq } from 'drizzle-orm';
import { expect, it } from 'vitest';
import { addBalanceTransaction, customerBalance } from '../../src/billing/balance/balance.js';
import { withDb } from '../../src/billing/context.js';
import { createDraftInvoice, updateDraftInvoice } from '../../src/billing/invoices/drafts.js';
import { getInvoice } from '../../src/billing/invoices/read.js';
import { finalizeInvoice, markInvoicePaid, markUncollectible, sendInvoice, voidInvoice } from '../../src/billing/invoices/transitions.js';
import { Decimal } from '../../src/core/money/decimal.js';
import { invoiceNumberSequences } from '../../src/store/schema.js';
import { inTransaction } from '../../src/store/transaction.js';
import { describeDb } from '../support/db.js';
import { custom, world, type World } from './helpers.js';

const DAY = 86_400_000;

describeDb('invoice lifecycle', (database) => {
  /** A draft of `amount` minor units (one custom line) for a customer. */
  async function draft(w: World, customerId: string, amount = 10_000n, over: Partial<Parameters<typeof createDraftInvoice>[1]> = {}) {
    return createDraftInvoice(w.system, { customerId, collectionMethod: 'send_invoice', lines: [custom('Consulting', amount.toString())], ...over });
  }

  const rejection = async (p: Promise<unknown>) => {
    const e = await p.then(
      () => null,
      (err: unknown) => err,
    );
    expect(e, 'expected a rejection').not.toBeNull();
    return e as { type: string; code: string; message: string; param?: string };
  };

  it('moves draft → open → paid, recording an event per transition and an audit row per staff action', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const inv = await draft(w, c.id);
    expect(inv).toMatchObject({ status: 'draft', number: null, total: 10_000n, amountDue: 10_000n, endingBalance: null });

    const open = await finalizeInvoice(w.staff, inv.id);
    expect(open).toMatchObject({ status: 'open', number: `${w.instance.slug.toUpperCase()}-000001`, finalizedAt: w.clock.now(), amountDue: 10_000n, amountPaid: 0n, endingBalance: 0n });

    w.clock.advance(DAY);
    const sent = await sendInvoice(w.staff, inv.id, { ticket: 'OPS-1' });
    expect(sent.sentAt).toEqual(w.clock.now());

    w.clock.advance(DAY);
    const paid = await markInvoicePaid(w.staff, inv.id, { reference: 'WIRE 2026-0301-77' });
    expect(paid).toMatchObject({ status: 'paid', amountPaid: 10_000n, amountRemaining: 0n, paidAt: w.clock.now(), paymentReference: 'WIRE 2026-0301-77' });

    expect(await w.events(inv.id)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.sent', 'invoice.paid']);
    const audit = await w.audit(inv.id);
    expect(audit.map((a) => a.action)).toEqual(['invoice.finalize', 'invoice.send', 'invoice.pay']);
    expect(audit[1]).toMatchObject({ actorType: 'staff', actorId: 'stf_billing', ticket: 'OPS-1' });
    expect(audit[2]?.reason).toContain('WIRE 2026-0301-77');
    expect(audit[2]?.after).toMatchObject({ status: 'paid', amount_paid: 10_000 });
  });

  it('allows open → uncollectible → paid and uncollectible → void, and needs a reason from staff to write off or void', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const a = await finalizeInvoice(w.system, (await draft(w, c.id)).id);
    expect(await rejection(markUncollectible(w.staff, a.id))).toMatchObject({ code: 'reason_required', param: 'reason' });
    expect((await getInvoice(w.system, a.id)).status).toBe('open');
    expect((await markUncollectible(w.staff, a.id, { reason: 'customer insolvent' })).status).toBe('uncollectible');
    expect((await markInvoicePaid(w.staff, a.id, { reference: 'late wire' })).status).toBe('paid');

    const b = await finalizeInvoice(w.system, (await draft(w, c.id)).id);
    await markUncollectible(w.staff, b.id, { reason: 'no answer in 90 days' });
    expect(await rejection(voidInvoice(w.staff, b.id))).toMatchObject({ code: 'reason_required' });
    const voided = await voidInvoice(w.staff, b.id, { reason: 'written off and cancelled', ticket: 'FIN-9' });
    expect(voided).toMatchObject({ status: 'void', voidedAt: w.clock.now() });
    expect(await w.events(b.id)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.marked_uncollectible', 'invoice.voided']);
  });

  it('refuses every illegal transition with a 409 naming the current status, changing nothing', async () => {
    const w = await world(database().db);
    const c = await w.customer({ billingEmail: 'ap@acme.test' });
    const why = { reason: 'test' };
    const drafted = await draft(w, c.id);
    const paid = await markInvoicePaid(w.system, (await finalizeInvoice(w.system, (await draft(w, c.id)).id)).id, { reference: 'r1' });
    const voided = await voidInvoice(w.system, (await finalizeInvoice(w.system, (await draft(w, c.id)).id)).id);
    const uncollectible = await markUncollectible(w.system, (await finalizeInvoice(w.system, (await draft(w, c.id)).id)).id);
    const open = await finalizeInvoice(w.system, (await draft(w, c.id)).id);

    const cases: [string, string, () => Promise<unknown>][] = [
      [drafted.id, 'draft', () => voidInvoice(w.staff, drafted.id, why)],
      [drafted.id, 'draft', () => markInvoicePaid(w.staff, drafted.id, { reference: 'x' })],
      [drafted.id, 'draft', () => markUncollectible(w.staff, drafted.id, why)],
      [drafted.id, 'draft', () => sendInvoice(w.staff, drafted.id)],
      [open.id, 'open', () => finalizeInvoice(w.staff, open.id)],
      [open.id, 'open', () => updateDraftInvoice(w.staff, open.id, { memo: 'changed' })],
      [paid.id, 'paid', () => voidInvoice(w.staff, paid.id, why)],
      [paid.id, 'paid', () => markUncollectible(w.staff, paid.id, why)],
      [paid.id, 'paid', () => markInvoicePaid(w.staff, paid.id, { reference: 'again' })],
      [paid.id, 'paid', () => finalizeInvoice(w.staff, paid.id)],
      [voided.id, 'void', () => markInvoicePaid(w.staff, voided.id, { reference: 'x' })],
      [voided.id, 'void', () => voidInvoice(w.staff, voided.id, why)],
      [voided.id, 'void', () => sendInvoice(w.staff, voided.id)],
      [uncollectible.id, 'uncollectible', () => finalizeInvoice(w.staff, uncollectible.id)],
      [uncollectible.id, 'uncollectible', () => markUncollectible(w.staff, uncollectible.id, why)],
    ];
    for (const [id, status, act] of cases) {
      const before = await getInvoice(w.system, id);
      const e = await rejection(act());
      expect(e).toMatchObject({ type: 'conflict', code: 'invoice_status_invalid', param: 'status' });
      expect(e.message).toContain(`is ${status};`);
      expect(await getInvoice(w.system, id)).toEqual(before);
    }
    expect((await rejection(voidInvoice(w.staff, paid.id, why))).message).toContain('a paid invoice is final');
  });

  it('numbers invoices per instance prefix, sequentially and without gaps; a failed finalization takes no number', async () => {
    const w = await world(database().db, undefined, `gap-${Math.random().toString(36).slice(2, 6)}`);
    const other = await world(database().db);
    const prefix = w.instance.slug.toUpperCase();
    const c = await w.customer();
    const a = await finalizeInvoice(w.system, (await draft(w, c.id)).id);
    expect(a.number).toBe(`${prefix}-000001`);

    // Failures after the draft check, before and at the number: none of them may consume one.
    await rejection(finalizeInvoice(w.system, a.id)); // already open
    const empty = await createDraftInvoice(w.system, { customerId: c.id, lines: [] });
    expect(await rejection(finalizeInvoice(w.system, empty.id))).toMatchObject({ code: 'invoice_empty', param: 'lines' });
    const failing = await draft(w, c.id);
    await expect(
      inTransaction(w.db, async (tx) => {
        await finalizeInvoice(withDb(w.system, tx), failing.id);
        throw new Error('crash after finalizing, before commit');
      }),
    ).rejects.toThrow('crash after finalizing');
    expect((await getInvoice(w.system, failing.id)).status).toBe('draft');

    const b = await finalizeInvoice(w.system, (await draft(w, c.id)).id);
    expect(b.number).toBe(`${prefix}-000002`);
    expect((await finalizeInvoice(w.system, failing.id)).number).toBe(`${prefix}-000003`);

    const oc = await other.customer();
    expect((await finalizeInvoice(other.system, (await draft(other, oc.id)).id)).number).toBe(`${other.instance.slug.toUpperCase()}-000001`);
  });

  it('gives 20 concurrent finalizations distinct, gapless numbers', async () => {
    const w = await world(database().db);
    const customers = await Promise.all([1, 2, 3, 4].map(() => w.customer()));
    const drafts = [];
    for (let i = 0; i < 20; i++) drafts.push(await draft(w, (customers[i % 4] as { id: string }).id, BigInt(1000 + i)));
    // Two customers carry credit, so the concurrent finalizations also write the ledger under the customer lock.
    await addBalanceTransaction(w.system, { customerId: customers[0]!.id, amount: -2500n, currency: 'usd', type: 'credit' });
    await addBalanceTransaction(w.system, { customerId: customers[1]!.id, amount: -500n, currency: 'usd', type: 'credit' });

    const done = await Promise.all(drafts.map((d) => finalizeInvoice(w.system, d.id)));
    const prefix = w.instance.slug.toUpperCase();
    const numbers = done.map((d) => d.number).sort();
    expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => `${prefix}-${String(i + 1).padStart(6, '0')}`));
    const [seq] = await w.db.select().from(invoiceNumberSequences).where(eq(invoiceNumberSequences.prefix, prefix));
    expect(seq?.nextNumber).toBe(21);
    // Each credit was consumed exactly once, across the customer's five invoices.
    expect(await customerBalance(w.system, customers[0]!.id, 'usd')).toBe(0n);
    const applied0 = done.filter((d) => d.customerId === customers[0]!.id).reduce((s, d) => s + d.appliedBalance, 0n);
    expect(applied0).toBe(-2500n);
    expect(done.filter((d) => d.customerId === customers[1]!.id).reduce((s, d) => s + d.appliedBalance, 0n)).toBe(-500n);
  });

  it('applies a credit smaller than the invoice: amount due lowered, total kept, ledger at zero', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -3000n, currency: 'usd', type: 'credit', description: 'goodwill', creditRequestId: `cr_${c.id}` });
    const inv = await finalizeInvoice(w.system, (await draft(w, c.id, 10_000n)).id);
    expect(inv).toMatchObject({ status: 'open', total: 10_000n, startingBalance: -3000n, appliedBalance: -3000n, endingBalance: 0n, amountDue: 7000n });
    const ledger = await w.ledger(c.id);
    expect(ledger.map((r) => [r.type, r.amount, r.endingBalance, r.invoiceId])).toEqual([
      ['credit', -3000n, -3000n, null],
      ['applied_to_invoice', 3000n, 0n, inv.id],
    ]);
    expect(ledger[1]?.description).toBe(`Applied to invoice ${inv.number}`);
  });

  it('applies a credit larger than the invoice: nothing due (paid at once), the rest kept for the next invoice', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -15_000n, currency: 'usd', type: 'credit' });
    const first = await finalizeInvoice(w.system, (await draft(w, c.id, 10_000n)).id);
    expect(first).toMatchObject({ status: 'paid', total: 10_000n, startingBalance: -15_000n, appliedBalance: -10_000n, endingBalance: -5000n, amountDue: 0n, amountPaid: 0n, paidAt: w.clock.now() });
    expect(await w.events(first.id)).toEqual(['invoice.created', 'invoice.finalized', 'invoice.paid']);
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(-5000n);

    const second = await finalizeInvoice(w.system, (await draft(w, c.id, 8000n)).id);
    expect(second).toMatchObject({ status: 'open', startingBalance: -5000n, appliedBalance: -5000n, endingBalance: 0n, amountDue: 3000n });
    expect((await w.ledger(c.id)).map((r) => [r.type, r.amount, r.endingBalance])).toEqual([
      ['credit', -15_000n, -15_000n],
      ['applied_to_invoice', 10_000n, -5000n],
      ['applied_to_invoice', 5000n, 0n],
    ]);
  });

  it('adds a debit balance (owed from before) to the amount due', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: 1250n, currency: 'usd', type: 'adjustment', description: 'unpaid remainder' });
    const inv = await finalizeInvoice(w.system, (await draft(w, c.id, 10_000n)).id);
    expect(inv).toMatchObject({ total: 10_000n, appliedBalance: 1250n, amountDue: 11_250n, endingBalance: 0n });
  });

  it('consumes a credit exactly once when finalize is retried, in sequence or at the same moment', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -4000n, currency: 'usd', type: 'credit' });
    const a = await draft(w, c.id, 10_000n);
    await finalizeInvoice(w.system, a.id);
    expect(await rejection(finalizeInvoice(w.system, a.id))).toMatchObject({ code: 'invoice_status_invalid' });

    const b = await draft(w, c.id, 10_000n);
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -1000n, currency: 'usd', type: 'credit' });
    const results = await Promise.allSettled([finalizeInvoice(w.system, b.id), finalizeInvoice(w.system, b.id), finalizeInvoice(w.system, b.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['invoice_status_invalid', 'invoice_status_invalid']);

    const ledger = await w.ledger(c.id);
    expect(ledger.filter((r) => r.type === 'applied_to_invoice').map((r) => [r.invoiceId, r.amount])).toEqual([
      [a.id, 4000n],
      [b.id, 1000n],
    ]);
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(0n);
    expect((await getInvoice(w.system, b.id)).number).toBe(`${w.instance.slug.toUpperCase()}-000002`);
    // The ledger itself refuses a second application to one invoice.
    expect(
      await rejection(addBalanceTransaction(w.system, { customerId: c.id, amount: 1n, currency: 'usd', type: 'applied_to_invoice', invoiceId: a.id })),
    ).toMatchObject({ code: 'balance_already_applied' });
  });

  it('returns the applied credit to the balance when the invoice is voided, for the next invoice to use', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -3000n, currency: 'usd', type: 'credit' });
    const inv = await finalizeInvoice(w.system, (await draft(w, c.id, 10_000n)).id);
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(0n);
    await voidInvoice(w.staff, inv.id, { reason: 'wrong amount, reissued', ticket: 'ZD-77' });
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(-3000n);
    const ledger = await w.ledger(c.id);
    expect(ledger.at(-1)).toMatchObject({ type: 'invoice_voided', amount: -3000n, endingBalance: -3000n, invoiceId: inv.id });
    expect((await w.audit(inv.id)).at(-1)).toMatchObject({ action: 'invoice.void', reason: 'wrong amount, reissued', ticket: 'ZD-77' });

    const reissued = await finalizeInvoice(w.system, (await draft(w, c.id, 9000n)).id);
    expect(reissued).toMatchObject({ appliedBalance: -3000n, amountDue: 6000n });
  });

  it('voids an invoice without applied balance without touching the ledger', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const inv = await finalizeInvoice(w.system, (await draft(w, c.id)).id);
    await voidInvoice(w.system, inv.id);
    expect(await w.ledger(c.id)).toEqual([]);
  });

  it('totals a draft with its discount before the credit, and keeps the discount through finalization', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -1000n, currency: 'usd', type: 'credit' });
    const d = await createDraftInvoice(w.system, {
      customerId: c.id,
      lines: [custom('Platform', '7000'), custom('Support', '3000'), { description: 'Tax filing fee', unitAmount: '999', discountable: false }],
      discount: { couponId: 'coupon_launch', name: 'LAUNCH20 (20% off)', discount: { type: 'percent', percent: Decimal.parse('20') }, productKeys: null },
    });
    expect(d).toMatchObject({ subtotal: 10_999n, discountTotal: 2000n, total: 8999n, amountDue: 8999n });
    expect(d.lines.map((l) => l.discountAmount)).toEqual([1400n, 600n, 0n]);
    const fin = await finalizeInvoice(w.system, d.id);
    expect(fin).toMatchObject({ discountTotal: 2000n, total: 8999n, appliedBalance: -1000n, amountDue: 7999n });
    const dropped = await updateDraftInvoice(w.system, (await draft(w, c.id, 5000n, { discount: fin.discount })).id, { discount: null });
    expect(dropped).toMatchObject({ discount: null, discountTotal: 0n, total: 5000n });
    expect(dropped.lines[0]?.discountAmount).toBe(0n);
  });
});
