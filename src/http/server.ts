import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createSerializerCompiler, jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from '../app/logger.js';
import { readSellerDetails } from '../app/settings.js';
import type { ApprovalPolicy } from '../billing/approvals/index.js';
import type { SellerDetails } from '../billing/invoices/pdf-view.js';
import type { Clock } from '../shared/clock.js';
import { newId } from '../shared/ids.js';
import type { Database } from '../store/database.js';
import { installAuth } from './auth.js';
import { installErrorHandling } from './errors.js';
import { installIdempotency } from './idempotency.js';
import { installAdminUi } from './admin-ui.js';
import { adminApprovalRoutes } from './routes/admin-approvals.js';
import { adminCatalogRoutes } from './routes/admin-catalog.js';
import { adminCustomerViewRoutes } from './routes/admin-customer-views.js';
import { adminAuditRoutes } from './routes/admin-audit.js';
import { adminBillingRoutes, billingRoutes } from './routes/billing.js';
import { adminContractRoutes } from './routes/admin-contracts.js';
import { adminCustomerRoutes } from './routes/admin-customers.js';
import { adminInstanceRoutes } from './routes/admin-instances.js';
import { adminInvoiceRoutes } from './routes/admin-invoices.js';
import { adminStaffRoutes } from './routes/admin-staff.js';
import { registerApiDocsRoute } from './routes/api-docs.js';
import { adminCouponRoutes, couponRoutes } from './routes/coupons.js';
import { customerRoutes } from './routes/customers.js';
import { healthRoutes } from './routes/health.js';
import { invoiceRoutes } from './routes/invoices.js';
import { licenseRoutes } from './routes/licenses.js';
import { usageRoutes } from './routes/usage.js';
import { adminSubscriptionRoutes, subscriptionRoutes } from './routes/subscriptions.js';
import { upcomingInvoiceRoutes } from './routes/upcoming-invoice.js';
import { adminWebhookRoutes, webhookRoutes } from './routes/webhook-endpoints.js';
import { minorToJson } from '../core/money/index.js';
import { manualPayments, type Payments } from '../billing/providers/select.js';
import { paymentRoutes, stripeWebhookRoutes } from './routes/payments.js';

/** The admin UI as `npm run build` leaves it, relative to this source file. */
export const ADMIN_UI_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

export interface HttpDeps {
  database: Database;
  clock: Clock;
  logger: Logger;
  version: string;
  /** The seller printed on invoice documents; demo details when absent. */
  seller?: SellerDetails;
  /** Which staff actions need approval (TALLY_APPROVALS); credits only when absent. */
  approvals?: ApprovalPolicy;
  /** Where the built admin UI is (web/dist); /admin serves it, or says how to build it when missing. */
  adminUiDir?: string;
  /** The payment provider (and Stripe's webhook secret); the manual provider when absent. */
  payments?: Payments;
}

/** Amounts are bigint inside Tally; on the wire they are JSON integers (minor units), as at the provider. */
function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? minorToJson(value) : value;
}

export async function buildServer(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    genReqId: () => newId('request', deps.clock.now()),
    requestIdHeader: 'x-request-id',
    bodyLimit: 5 * 1024 * 1024,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(createSerializerCompiler({ replacer: jsonReplacer }));
  app.addHook('onSend', async (req, reply, payload) => {
    reply.header('request-id', req.id);
    return payload;
  });
  installErrorHandling(app);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tally API',
        version: deps.version,
        description:
          'Billing for SaaS: instance API (usage, billing state, entitlements), admin API and webhooks. ' +
          'Amounts are integers in minor units; unit amounts are decimal strings with up to 12 places. ' +
          'Every POST accepts an Idempotency-Key header. Errors have the shape {error: {type, code, message, param}}.',
      },
      components: {
        securitySchemes: {
          instanceKey: { type: 'http', scheme: 'bearer', description: 'An instance API key (tally_ik_…)' },
          staff: { type: 'http', scheme: 'bearer', description: 'A staff API key or session token' },
        },
      },
    },
    transform: jsonSchemaTransform,
    // Fills components.schemas from the Zod schemas' meta ids, so their $refs resolve.
    transformObject: jsonSchemaTransformObject,
  });

  const routeDeps = { db: deps.database.db, clock: deps.clock };
  // Auth on onRequest, idempotency on preHandler: the caller is known before a key is reserved.
  installAuth(app, routeDeps);
  installIdempotency(app, routeDeps);

  await app.register(healthRoutes, { database: deps.database });
  await app.register(customerRoutes, routeDeps);
  await app.register(usageRoutes, routeDeps);
  await app.register(billingRoutes, routeDeps);
  await app.register(adminBillingRoutes, routeDeps);
  await app.register(subscriptionRoutes, routeDeps);
  await app.register(adminSubscriptionRoutes, { ...routeDeps, approvals: deps.approvals });
  await app.register(upcomingInvoiceRoutes, routeDeps);
  await app.register(adminCustomerRoutes, routeDeps);
  await app.register(adminInstanceRoutes, routeDeps);
  await app.register(adminStaffRoutes, routeDeps);
  await app.register(adminAuditRoutes, routeDeps);
  await app.register(adminCatalogRoutes, routeDeps);
  await app.register(adminCustomerViewRoutes, routeDeps);
  await app.register(couponRoutes, routeDeps);
  await app.register(adminCouponRoutes, { ...routeDeps, approvals: deps.approvals });
  await app.register(adminApprovalRoutes, { ...routeDeps, approvals: deps.approvals });
  const seller = deps.seller ?? readSellerDetails({});
  await app.register(invoiceRoutes, { ...routeDeps, seller });
  await app.register(adminInvoiceRoutes, { ...routeDeps, seller });
  await app.register(webhookRoutes, routeDeps);
  await app.register(adminWebhookRoutes, routeDeps);

  installAdminUi(app, deps.adminUiDir ?? ADMIN_UI_DIR);
  const payments = deps.payments ?? manualPayments();
  await app.register(paymentRoutes, { ...routeDeps, payments });
  await app.register(stripeWebhookRoutes, { ...routeDeps, payments });
  await app.register(adminContractRoutes, routeDeps);
  await app.register(licenseRoutes, routeDeps);

  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  registerApiDocsRoute(app);
  return app;
}
