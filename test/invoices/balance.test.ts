import { expect, it } from 'vitest';
import { addBalanceTransaction, customerBalance, listBalanceTransactions } from '../../src/billing/balance/balance.js';
import { describeDb } from '../support/db.js';
import { world } from './helpers.js';

describeDb('customer balance ledger', (database) => {
  it('sums a customer’s rows per currency and records the running balance on each row', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const other = await w.customer();
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(0n);
    const a = await addBalanceTransaction(w.system, { customerId: c.id, amount: -5000n, currency: 'usd', type: 'credit', description: 'outage goodwill' });
    const b = await addBalanceTransaction(w.system, { customerId: c.id, amount: 1200n, currency: 'USD', type: 'adjustment' });
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -700n, currency: 'eur', type: 'credit' });
    await addBalanceTransaction(w.system, { customerId: other.id, amount: -1n, currency: 'usd', type: 'credit' });
    expect([a.endingBalance, b.endingBalance]).toEqual([-5000n, -3800n]);
    expect(b.currency).toBe('USD');
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(-3800n);
    expect(await customerBalance(w.system, c.id, 'EUR')).toBe(-700n);
    expect(await w.events(a.id)).toEqual(['customer.balance_transaction.created']);

    const page1 = await listBalanceTransactions(w.system, { customerId: c.id, limit: 2 });
    expect(page1.hasMore).toBe(true);
    const page2 = await listBalanceTransactions(w.system, { customerId: c.id, limit: 2, startingAfter: page1.data.at(-1)?.id });
    expect([...page1.data, ...page2.data].map((t) => t.amount)).toEqual([-700n, 1200n, -5000n]);
    expect((await listBalanceTransactions(w.system, { customerId: c.id, currency: 'usd', limit: 10 })).data).toHaveLength(2);
  });

  it('applies a credit request once: a second row for it is refused and nothing is written', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    await addBalanceTransaction(w.system, { customerId: c.id, amount: -2500n, currency: 'usd', type: 'credit', creditRequestId: `apr_${c.id}` });
    await expect(addBalanceTransaction(w.system, { customerId: c.id, amount: -2500n, currency: 'usd', type: 'credit', creditRequestId: `apr_${c.id}` })).rejects.toMatchObject({
      type: 'conflict',
      code: 'credit_already_applied',
      param: 'credit_request',
    });
    expect(await customerBalance(w.system, c.id, 'usd')).toBe(-2500n);
    expect(await w.ledger(c.id)).toHaveLength(1);
  });

  it('refuses malformed rows naming the field', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const bad: [Parameters<typeof addBalanceTransaction>[1], string, string][] = [
      [{ customerId: c.id, amount: 0n, currency: 'usd', type: 'credit' }, 'amount_zero', 'amount'],
      [{ customerId: c.id, amount: 100n, currency: 'usd', type: 'credit' }, 'credit_positive', 'amount'],
      [{ customerId: c.id, amount: -100n, currency: 'xyz', type: 'credit' }, 'unknown_currency', 'currency'],
      [{ customerId: c.id, amount: 100n, currency: 'usd', type: 'applied_to_invoice' }, 'invoice_required', 'invoice'],
      [{ customerId: c.id, amount: -100n, currency: 'usd', type: 'bonus' as never }, 'type_invalid', 'type'],
    ];
    for (const [input, code, param] of bad) await expect(addBalanceTransaction(w.system, input)).rejects.toMatchObject({ code, param });
    await expect(addBalanceTransaction(w.system, { customerId: 'cus_missing', amount: -1n, currency: 'usd', type: 'credit' })).rejects.toMatchObject({ type: 'not_found' });
    expect(await w.ledger(c.id)).toEqual([]);
  });

  it('keeps running balances consistent under concurrent additions (the customer row lock)', async () => {
    const w = await world(database().db);
    const c = await w.customer();
    const amounts = Array.from({ length: 12 }, (_, i) => BigInt(-(i + 1) * 100));
    await Promise.all(amounts.map((amount) => addBalanceTransaction(w.system, { customerId: c.id, amount, currency: 'usd', type: 'credit' })));
    const rows = (await w.ledger(c.id)).sort((x, y) => (x.endingBalance > y.endingBalance ? -1 : 1));
    let running = 0n;
    for (const r of rows) {
      running += r.amount;
      expect(r.endingBalance).toBe(running);
    }
    expect(running).toBe(-7800n);
    expect(new Set(rows.map((r) => r.endingBalance)).size).toBe(12);
  });
});
