import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withDb } from '../../billing/context.js';
import { billingSetupLink, recordProviderWebhook, setUpProviderCustomer, syncCustomers, verifyStripeWebhook, type Payments } from '../../billing/providers/index.js';
import { TallyError } from '../../shared/errors.js';
import { inTransaction } from '../../store/transaction.js';
import { instanceActor, serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses, errorResponses } from '../error-shape.js';
import { IdParams, Justification } from '../schemas.js';
import { CustomerJson, customerJson } from '../serialize.js';

export interface PaymentRouteDeps extends RouteDeps {
  payments: Payments;
}

const BillingSetupJson = z
  .object({
    url: z.string().describe('Where to send the customer'),
    provider: z.enum(['stripe', 'manual']),
    expires_at: z.string().nullable().describe('When the link stops working (ISO 8601), if the provider says'),
  })
  .meta({ id: 'BillingSetupLink' });

const DriftItemJson = z.object({ customer: z.string(), field: z.string(), tally: z.unknown(), provider: z.unknown() });
const SyncReportJson = z.object({ provider: z.string(), fixed: z.array(DriftItemJson), drift: z.array(DriftItemJson) }).meta({ id: 'ProviderSyncReport' });

/** Billing setup for instances, and provider customer setup and sync for staff. */
export const paymentRoutes: FastifyPluginAsyncZod<PaymentRouteDeps> = async (app, deps) => {
  app.post(
    '/v1/customers/:id/billing-setup',
    {
      schema: {
        summary: 'A link where the customer sets up how they pay (R16)',
        description:
          'Stripe: a Checkout Session in setup mode (the Stripe customer is created when it completes), or the billing portal once the ' +
          'customer is at Stripe. Manual provider: there is nothing to set up online — invoices carry payment instructions — so the ' +
          'link is return_url with billing_setup=manual added, and expires_at is null.',
        tags: ['customers'],
        security: [{ instanceKey: [] }],
        params: IdParams,
        body: z.strictObject({ return_url: z.string().min(1).max(2000).describe('Where the customer comes back to (https://…)') }),
        response: { 200: BillingSetupJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const link = await billingSetupLink(serviceContext(req, deps), deps.payments.provider, req.params.id, req.body.return_url, instanceActor(req).id);
      return { url: link.url, provider: link.provider, expires_at: link.expiresAt?.toISOString() ?? null };
    },
  );

  app.post(
    '/admin/v1/customers/:id/provider-customer',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Create the customer at the payment provider now (billing_admin; R16 admin action)',
        description: "For customers who pay sent invoices without going through checkout. Tally's details and metadata go to the provider; open invoices are pushed.",
        tags: ['admin'],
        security: [{ staff: [] }],
        params: IdParams,
        body: z.strictObject(Justification),
        response: { 200: CustomerJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const customer = await setUpProviderCustomer(ctx, deps.payments.provider, req.params.id, req.body);
      return customerJson(customer);
    },
  );

  app.post(
    '/admin/v1/customers/sync',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Sync chosen customers with the payment provider (billing_admin; R22)',
        description:
          "Fixes what Tally owns (the customer's details and metadata at the provider, missing or unchecked invoices) and reports the rest as drift: " +
          '{customer, field, tally, provider}. Audited per customer.',
        tags: ['admin'],
        security: [{ staff: [] }],
        body: z.strictObject({ customer_ids: z.array(z.string().min(1).max(100)).min(1).max(100), ...Justification }),
        response: { 200: SyncReportJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const { customer_ids, reason, ticket } = req.body;
      // Not one transaction: the provider calls in between must not hold database locks.
      return syncCustomers(serviceContext(req, deps), deps.payments.provider, customer_ids, { reason, ticket });
    },
  );
};

/** Stripe's webhooks: public, signed; the raw body is kept for the signature (its own scope, so JSON stays parsed elsewhere). */
export const stripeWebhookRoutes: FastifyPluginAsyncZod<PaymentRouteDeps> = async (app, deps) => {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  app.post(
    '/webhooks/stripe',
    {
      config: { public: true },
      schema: {
        summary: 'Stripe webhook endpoint (signed with STRIPE_WEBHOOK_SECRET)',
        description: 'Bad or stale signatures get a 400. Each Stripe event is processed once, however often it is delivered.',
        tags: ['webhooks'],
        response: { 200: z.object({ received: z.literal(true), duplicate: z.boolean() }), ...errorResponses },
      },
    },
    async (req) => {
      const secret = deps.payments.stripeWebhookSecret;
      if (secret === null) throw new TallyError('not_found', 'stripe_not_configured', 'Stripe is not configured on this Tally (STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET).');
      const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.from(typeof req.body === 'string' ? req.body : '');
      const header = req.headers['stripe-signature'];
      const event = verifyStripeWebhook(raw, Array.isArray(header) ? header[0] : header, secret, deps.clock.now());
      const ctx = { db: deps.db, clock: deps.clock, actor: { type: 'system' as const, id: 'webhook:stripe' } };
      const { duplicate } = await inTransaction(deps.db, (tx) => recordProviderWebhook(withDb(ctx, tx), event));
      return { received: true as const, duplicate };
    },
  );
};
