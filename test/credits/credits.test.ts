import { expect, it } from 'vitest';
import { customerBalance } from '../../src/billing/balance/balance.js';
import { approveCredit, getCreditRequest, listCreditRequests, rejectCredit, requestCredit } from '../../src/billing/credits/index.js';
import { listPendingApprovals } from '../../src/billing/approvals/index.js';
import { describeDb } from '../support/db.js';
import { world } from '../coupons/helpers.js';

describeDb('credits with approval (R13)', (database) => {
  it('a request is pending until an approver decides; approval writes one negative ledger row and is audited', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const support = w.staff('support', 'stf_sam');
    const cfo = w.staff('approver', 'stf_cfo');
    const req = await requestCredit(support, { customerId: cus.id, amount: 5000n, reason: 'Ingestion outage 2026-01-03', ticket: 'ZD-1234' });
    expect(req).toMatchObject({ status: 'pending', amount: 5000n, currency: 'USD', requestedBy: 'stf_sam', decidedBy: null });
    expect(req.approvalId).toMatch(/^apr_/);
    expect(await w.ledger(cus.id)).toEqual([]);

    w.clock.advance(3_600_000);
    const view = await approveCredit(cfo, req.id, 'ok, first incident this year');
    expect(view.request).toMatchObject({ status: 'approved', decidedBy: 'stf_cfo', decisionNote: 'ok, first incident this year', decidedAt: w.clock.now() });
    const ledger = await w.ledger(cus.id);
    expect(ledger.map((r) => [r.amount, r.type, r.creditRequestId, r.id])).toEqual([[-5000n, 'credit', req.id, view.request.balanceTransactionId]]);
    expect(await customerBalance(w.system, cus.id, 'usd')).toBe(-5000n);
    const audit = (await w.audit(cus.id)).map((a) => [a.action, a.actorId, a.ticket]);
    expect(audit).toEqual([
      ['approval.request', 'stf_sam', 'ZD-1234'],
      ['credit.request', 'stf_sam', 'ZD-1234'],
      ['credit.approve', 'stf_cfo', 'ZD-1234'],
      ['approval.approve', 'stf_cfo', 'ZD-1234'],
    ]);
  });

  it('the requester cannot approve their own credit, and a non-approver cannot approve at all (403, nothing written)', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const owner = w.staff('owner', 'stf_olga');
    const req = await requestCredit(owner, { customerId: cus.id, amount: 1000n, reason: 'goodwill' });
    const own = await approveCredit(owner, req.id).catch((e: unknown) => e);
    expect(own).toMatchObject({ type: 'permission', code: 'self_approval', message: expect.stringMatching(/another approver/) });
    await expect(approveCredit(w.staff('billing_admin'), req.id)).rejects.toMatchObject({ type: 'permission', code: 'approver_required' });
    await expect(rejectCredit(w.staff('support'), req.id)).rejects.toMatchObject({ type: 'permission', code: 'approver_required' });
    await expect(approveCredit(w.system, req.id)).rejects.toMatchObject({ code: 'approver_required' });
    expect((await getCreditRequest(w.system, req.id)).request.status).toBe('pending');
    expect(await w.ledger(cus.id)).toEqual([]);
    // Another owner may approve.
    await approveCredit(w.staff('owner', 'stf_other_owner'), req.id);
    expect(await w.ledger(cus.id)).toHaveLength(1);
  });

  it('a credit approved twice applies once: the second approval is a 409 and the ledger keeps one row', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const req = await requestCredit(w.staff('support', 'stf_a'), { customerId: cus.id, amount: 2500n, reason: 'bug' });
    await approveCredit(w.staff('approver', 'stf_b'), req.id);
    const again = await approveCredit(w.staff('approver', 'stf_c'), req.id).catch((e: unknown) => e);
    expect(again).toMatchObject({ type: 'conflict', code: 'approval_decided', message: expect.stringMatching(/approved by stf_b.*decisions are final/) });
    await expect(rejectCredit(w.staff('approver', 'stf_c'), req.id)).rejects.toMatchObject({ code: 'approval_decided' });
    expect(await w.ledger(cus.id)).toHaveLength(1);
  });

  it('concurrent approvals by two approvers apply the credit once', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const req = await requestCredit(w.staff('support', 'stf_a'), { customerId: cus.id, amount: 700n, reason: 'bug' });
    const results = await Promise.allSettled([approveCredit(w.staff('approver', 'stf_b'), req.id), approveCredit(w.staff('owner', 'stf_c'), req.id)]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({ code: 'approval_decided' });
    expect((await w.ledger(cus.id)).map((r) => r.amount)).toEqual([-700n]);
  });

  it('rejection is final and writes nothing to the ledger', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const req = await requestCredit(w.staff('support', 'stf_a'), { customerId: cus.id, amount: 900n, reason: 'asked nicely' });
    const view = await rejectCredit(w.staff('approver', 'stf_b'), req.id, 'not our fault');
    expect(view.request).toMatchObject({ status: 'rejected', decidedBy: 'stf_b', decisionNote: 'not our fault' });
    await expect(approveCredit(w.staff('approver', 'stf_c'), req.id)).rejects.toMatchObject({ code: 'approval_decided' });
    expect(await w.ledger(cus.id)).toEqual([]);
    expect((await w.audit(cus.id)).map((a) => a.action)).toContain('credit.reject');
  });

  it('the approval screen shows the customer’s earlier credits first: amounts, dates, reasons, who approved', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const other = await w.customer();
    const support = w.staff('support', 'stf_a');
    const first = await requestCredit(support, { customerId: cus.id, amount: 1000n, reason: 'January outage', ticket: 'ZD-1' });
    w.clock.set('2026-02-01T00:00:00Z');
    await approveCredit(w.staff('approver', 'stf_cfo'), first.id, 'fine');
    const second = await requestCredit(support, { customerId: cus.id, amount: 2000n, reason: 'Billing mistake' });
    w.clock.set('2026-03-01T00:00:00Z');
    await approveCredit(w.staff('owner', 'stf_ceo'), second.id);
    const rejected = await requestCredit(support, { customerId: cus.id, amount: 3000n, reason: 'Wanted a discount' });
    await rejectCredit(w.staff('approver', 'stf_cfo'), rejected.id);
    await requestCredit(support, { customerId: other.id, amount: 99n, reason: 'other customer' });
    const third = await requestCredit(support, { customerId: cus.id, amount: 4000n, reason: 'Another outage', ticket: 'ZD-3' });

    const view = await getCreditRequest(w.staff('viewer'), third.id);
    expect(Object.keys(view)).toEqual(['earlierCredits', 'request']);
    expect(view.earlierCredits.map((c) => [c.creditRequestId, c.amount, c.reason, c.approvedBy, c.approvedAt?.toISOString()])).toEqual([
      [second.id, 2000n, 'Billing mistake', 'stf_ceo', '2026-03-01T00:00:00.000Z'],
      [first.id, 1000n, 'January outage', 'stf_cfo', '2026-02-01T00:00:00.000Z'],
    ]);

    const queue = await listPendingApprovals(w.staff('approver', 'stf_cfo'), { kind: 'credit', customerId: cus.id }, { limit: 10 });
    expect(queue.data).toHaveLength(1);
    expect(queue.data[0]?.creditRequest?.id).toBe(third.id);
    expect(queue.data[0]?.earlierCredits?.map((c) => c.creditRequestId)).toEqual([second.id, first.id]);

    const pending = await listCreditRequests(w.system, { status: 'pending' }, { limit: 10 });
    expect(pending.data.map((r) => r.amount)).toEqual([99n, 4000n]);
  });

  it('refuses bad requests naming the field', async () => {
    const w = await world(database().db);
    const cus = await w.customer();
    const s = w.staff('support');
    await expect(requestCredit(s, { customerId: cus.id, amount: 0n, reason: 'x' })).rejects.toMatchObject({ param: 'amount' });
    await expect(requestCredit(s, { customerId: cus.id, amount: 10n, reason: ' ' })).rejects.toMatchObject({ param: 'reason' });
    await expect(requestCredit(s, { customerId: cus.id, amount: 10n, currency: 'eur', reason: 'x' })).rejects.toMatchObject({ code: 'currency_mismatch', param: 'currency' });
    await expect(requestCredit(s, { customerId: 'cus_nope', amount: 10n, reason: 'x' })).rejects.toMatchObject({ type: 'not_found' });
    await expect(requestCredit(w.inst, { customerId: cus.id, amount: 10n, reason: 'x' })).rejects.toMatchObject({ type: 'permission' });
  });
});
