/** A Tally on a test database with the Stripe provider pointed at the emulator, sharing one ManualClock. */
import { asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import type { ServiceContext } from '../../src/billing/context.js';
import { createCustomer, type CreateCustomerInput, type Customer } from '../../src/billing/customers/customers.js';
import { createInstance, type Instance } from '../../src/billing/instances/instances.js';
import { StripeProvider } from '../../src/billing/providers/stripe/stripe-provider.js';
import type { Payments } from '../../src/billing/providers/select.js';
import { buildJobRegistry } from '../../src/jobs/registry-default.js';
import { runDueJobs } from '../../src/jobs/run-due.js';
import { ManualClock, systemClock } from '../../src/shared/clock.js';
import type { Database } from '../../src/store/database.js';
import { auditLog, events, jobs } from '../../src/store/schema.js';
import { testApp } from '../support/app.js';
import { startStripeEmulator, type StripeEmulator } from '../support/stripe-emulator/index.js';
import { example } from '../invoices/helpers.js';

export const WEBHOOK_SECRET = 'whsec_tally_provider_tests';

export interface StripeWorld {
  readonly clock: ManualClock;
  readonly emulator: StripeEmulator;
  /** The emulator's own client, to look at (or change) Stripe's side directly. */
  readonly stripe: Stripe;
  readonly provider: StripeProvider;
  readonly payments: Payments;
  readonly app: FastifyInstance;
  readonly system: ServiceContext;
  readonly staff: ServiceContext;
  readonly instance: Instance;
  customer(over?: Partial<CreateCustomerInput>): Promise<Customer>;
  /** Runs every due job (pushes, webhook processing) until none is left. */
  runJobs(): Promise<{ ran: number; failed: number }>;
  /** Lets queued webhook deliveries arrive, then processes them. */
  settle(): Promise<void>;
  eventTypes(objectId: string): Promise<string[]>;
  audit(targetId: string): Promise<(typeof auditLog.$inferSelect)[]>;
  pendingJobs(kind: string): Promise<number>;
}

let seq = 0;

/**
 * One emulator and one listening Tally per test file (webhooks arrive over real HTTP); the emulator is reset
 * before each test. Retries are fast (ms) so fault tests do not wait for real backoff.
 */
export function useStripeWorld(database: () => Database, start = '2031-03-01T10:00:00Z'): () => StripeWorld {
  let w: StripeWorld | undefined;
  beforeAll(async () => {
    const clock = new ManualClock(start);
    const db = database().db;
    await activateCatalogConfig(db, clock, example, 'billing.yaml');
    const emulator = await startStripeEmulator({ clock });
    // The limiter measures real time; the business clock (due dates, signatures) is the test's.
    const provider = new StripeProvider(
      { secretKey: emulator.apiKey, apiBase: emulator.url, limits: { writesPerSecond: 1000, perEndpointPerSecond: 1000 }, clock: systemClock, retry: { maxRetries: 4, baseDelayMs: 2, maxDelayMs: 10 } },
      clock,
    );
    const payments: Payments = { provider, stripeWebhookSecret: WEBHOOK_SECRET };
    const app = await testApp(database(), clock, undefined, payments);
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    emulator.setWebhookTarget(`${address}/webhooks/stripe`, WEBHOOK_SECRET);
    const system: ServiceContext = { db, clock, actor: { type: 'system', id: 'test' } };
    const instance = await createInstance(system, { slug: `pv${++seq}-${Math.random().toString(36).slice(2, 6)}` });
    const registry = buildJobRegistry({ provider });
    const runJobs = () => runDueJobs({ db, clock, registry });
    w = {
      clock,
      emulator,
      stripe: emulator.client(),
      provider,
      payments,
      app,
      system,
      staff: { db, clock, actor: { type: 'staff', id: 'stf_billing', role: 'billing_admin' } },
      instance,
      customer: (over = {}) =>
        createCustomer(system, { instanceId: instance.id, externalId: `team-${++seq}`, name: 'Acme Rockets', billingEmail: 'ap@acme.test', currency: 'usd', ...over }),
      runJobs,
      settle: async () => {
        for (let i = 0; i < 5; i++) {
          await emulator.flushWebhooks();
          const { ran } = await runJobs();
          if (ran === 0) return;
        }
      },
      eventTypes: async (objectId) => (await db.select({ type: events.type }).from(events).where(eq(events.objectId, objectId)).orderBy(asc(events.id))).map((e) => e.type),
      audit: (targetId) => db.select().from(auditLog).where(eq(auditLog.targetId, targetId)).orderBy(asc(auditLog.id)),
      pendingJobs: async (kind) => (await db.select({ id: jobs.id }).from(jobs).where(eq(jobs.kind, kind))).filter(Boolean).length,
    };
  });
  beforeEach(async () => {
    await w?.emulator.flushWebhooks();
    w?.emulator.reset();
  });
  afterAll(async () => {
    // Deliveries first: a webhook in flight to a closing Tally would hold both servers open.
    w?.emulator.clearWebhookTarget();
    await w?.emulator.flushWebhooks();
    await w?.emulator.close();
    await w?.app.close();
  });
  return () => {
    if (!w) throw new Error('world not ready');
    return w;
  };
}

/** A custom invoice line: quantity × unit amount (minor units). */
export const custom = (description: string, unitAmount: string, quantity = '1') => ({ description, unitAmount, quantity });
