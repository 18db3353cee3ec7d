/**
 * kill -9 of a real `tally worker` in the middle of pushing an invoice to Stripe (the emulator, which keeps
 * what it committed): after a restart past the lease, Stripe holds exactly one invoice with one item per
 * line, its total is Tally's amount due, and the Tally invoice is linked to it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { createCustomer, updateCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { createDraftInvoice, finalizeInvoice, getInvoice } from '../../src/billing/invoices/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import { setFileClock } from '../../src/shared/file-clock.js';
import { backends } from '../support/db.js';
import { runTally } from '../support/processes.js';
import { startStripeEmulator, type StripeEmulator } from '../support/stripe-emulator/index.js';
import { processDb, type ProcessDb } from './support.js';

const config = `
version: 1
products:
  - key: platform
    name: Platform
    default_plan: pro
    plans:
      pro:
        name: Pro
        prices: [{ currency: usd, interval: month, flat: { amount: 2000 } }]
`;

describe('kill -9 of a worker during a provider push (real processes)', () => {
  const dbs: ProcessDb[] = [];
  const emulators: StripeEmulator[] = [];
  afterAll(async () => {
    for (const e of emulators) await e.close();
    for (const d of dbs) await d.drop();
  });

  for (const kind of backends()) {
    it(`one Stripe invoice, one item per line, totals equal [${kind}]`, async () => {
      const clock = new ManualClock('2026-03-01T10:00:00Z');
      const emulator = await startStripeEmulator({ clock });
      emulators.push(emulator);
      const pdb = await processDb(kind);
      dbs.push(pdb);

      // A customer already at Stripe, and a finalized invoice of three lines: its push job is queued.
      const stripeCustomer = await emulator.client().customers.create({ email: 'ap@acme.test', name: 'Acme' });
      const invoiceId = await pdb.use(async (d) => {
        const ctx = { db: d.db, clock, actor: systemActor('test') };
        await activateCatalogConfig(ctx.db, clock, config, 'faults.yaml');
        const instanceId = (await createInstance(ctx, { slug: 'us' })).id;
        const customer = await createCustomer(ctx, { instanceId, externalId: 'team_1', billingEmail: 'ap@acme.test', currency: 'usd' });
        await updateCustomer(ctx, customer.id, { providerCustomerId: stripeCustomer.id });
        const draft = await createDraftInvoice(ctx, {
          customerId: customer.id,
          lines: [
            { description: 'Seats', unitAmount: '1500', quantity: '4' },
            { description: 'Support', unitAmount: '2500', quantity: '1' },
            { description: 'Training', unitAmount: '999', quantity: '3' },
          ],
        });
        return (await finalizeInvoice(ctx, draft.id)).id;
      });

      const clockFile = `${pdb.dir}/clock`;
      setFileClock(clockFile, '2026-03-01T10:00:05Z');
      const env = { ...pdb.env, TALLY_TEST_CLOCK_FILE: clockFile, STRIPE_SECRET_KEY: emulator.apiKey, STRIPE_WEBHOOK_SECRET: 'whsec_faults', STRIPE_API_BASE: emulator.url };
      // The first invoice item is committed at Stripe, then its answer is held: the worker dies waiting for it.
      emulator.faults.delay(30_000, { method: 'POST', path: '/v1/invoiceitems', when: 'afterCommit', times: 1 });
      const victim = runTally(['worker'], env);
      const deadline = performance.now() + 120_000;
      while (emulator.objects.invoiceItems.length < 1) {
        if (performance.now() > deadline) throw new Error(`the push never reached Stripe:\n${victim.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      victim.child.kill('SIGKILL');
      await victim.exited;
      expect(victim.child.signalCode).toBe('SIGKILL');
      emulator.faults.clear();
      const itemsAtKill = emulator.objects.invoiceItems.length;
      expect(itemsAtKill).toBeGreaterThanOrEqual(1);
      expect(itemsAtKill).toBeLessThan(3);

      // Past the 5-minute lease a new worker takes the push over and finishes it.
      setFileClock(clockFile, '2026-03-01T10:06:00Z');
      const second = runTally(['worker'], env);
      await second.waitFor(/Tally worker \S+ is running/, 60_000);
      const until = performance.now() + 120_000;
      let linked: string | null = null;
      while (!linked) {
        if (performance.now() > until) throw new Error(`the push never finished:\n${second.output().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 200));
        if (kind === 'postgres') linked = (await pdb.use((d) => getInvoice({ db: d.db, clock, actor: systemActor('test') }, invoiceId))).providerInvoiceId;
        else if (emulator.objects.invoices.some((i) => i.status === 'open')) linked = 'pending';
      }
      second.child.kill('SIGTERM');
      expect(await second.exited).toBe(0);

      const tally = await pdb.use((d) => getInvoice({ db: d.db, clock, actor: systemActor('test') }, invoiceId));
      // 4 × 1500 + 2500 + 3 × 999 = 11497
      expect(tally.amountDue).toBe(11_497n);
      expect(emulator.objects.invoices).toHaveLength(1);
      const remote = emulator.objects.invoices[0]!;
      expect(tally.providerInvoiceId).toBe(remote.id);
      expect(remote.status).toBe('open');
      expect(remote.total).toBe(11_497);
      expect(emulator.objects.invoiceItems).toHaveLength(3);
      expect(emulator.objects.invoiceItems.map((i) => i.amount).sort((a, b) => a - b)).toEqual([2_500, 2_997, 6_000]);
    }, 300_000);
  }
});
