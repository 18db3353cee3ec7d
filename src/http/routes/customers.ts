import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withDb } from '../../billing/context.js';
import { createCustomer, findCustomerByExternalId, getCustomer, updateCustomer, type Address, type UpdateCustomerInput } from '../../billing/customers/customers.js';
import { notFound } from '../../shared/errors.js';
import { inTransaction } from '../../store/transaction.js';
import { instanceActor, serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses } from '../error-shape.js';
import { AddressInput, BillingEmail, IdParams, MetadataInput, TaxIdInput } from '../schemas.js';
import { CustomerJson, customerJson } from '../serialize.js';

export function toAddress(a: z.infer<typeof AddressInput> | null | undefined): Address | null | undefined {
  if (a == null) return a;
  return { ...a, country: a.country == null ? a.country : a.country.toUpperCase() };
}

const CustomerUpdateFields = {
  name: z.string().max(255).nullish(),
  billing_email: BillingEmail.nullish(),
  address: AddressInput.nullish(),
  tax_ids: z.array(TaxIdInput).max(10).optional(),
  metadata: MetadataInput.optional(),
};

export const CustomerUpdateBody = z.strictObject(CustomerUpdateFields);

/** Only fields present in the body change; `null` clears a field. */
export function toCustomerPatch(b: z.infer<typeof CustomerUpdateBody>): UpdateCustomerInput {
  const patch: UpdateCustomerInput = {};
  if (b.name !== undefined) patch.name = b.name;
  if (b.billing_email !== undefined) patch.billingEmail = b.billing_email;
  if (b.address !== undefined) patch.address = toAddress(b.address);
  if (b.tax_ids !== undefined) patch.taxIds = b.tax_ids;
  if (b.metadata !== undefined) patch.metadata = b.metadata;
  return patch;
}

const CreateCustomerBody = z.strictObject({
  external_id: z.string().min(1).max(255).describe("Your team or organization ID; unique within the instance"),
  ...CustomerUpdateFields,
  currency: z
    .string()
    .regex(/^[A-Za-z]{3}$/, 'must be a three-letter ISO 4217 code')
    .describe('usd, eur, …'),
});

const security = [{ instanceKey: [] }];

/** The instance API for customers: an instance sees and changes only its own customers (R1). */
export const customerRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.post(
    '/v1/customers',
    {
      schema: {
        summary: "Create a customer for one of the instance's teams or organizations",
        tags: ['customers'],
        security,
        body: CreateCustomerBody,
        response: { 201: CustomerJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const actor = instanceActor(req);
      const b = req.body;
      const customer = await inTransaction(deps.db, (tx) =>
        createCustomer(withDb(serviceContext(req, deps), tx), {
          instanceId: actor.id,
          externalId: b.external_id,
          name: b.name ?? null,
          billingEmail: b.billing_email ?? null,
          address: toAddress(b.address) ?? null,
          taxIds: b.tax_ids ?? [],
          currency: b.currency,
          metadata: b.metadata ?? {},
        }),
      );
      return reply.status(201).send(customerJson(customer));
    },
  );

  app.get(
    '/v1/customers/:id',
    { schema: { summary: 'Get a customer', tags: ['customers'], security, params: IdParams, response: { 200: CustomerJson, ...authedErrorResponses } } },
    async (req) => customerJson(await getCustomer(serviceContext(req, deps), req.params.id, instanceActor(req).id)),
  );

  app.get(
    '/v1/customers/by-external-id/:externalId',
    {
      schema: {
        summary: "Get a customer by the instance's team or organization ID",
        tags: ['customers'],
        security,
        params: z.object({ externalId: z.string() }),
        response: { 200: CustomerJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const found = await findCustomerByExternalId(serviceContext(req, deps), instanceActor(req).id, req.params.externalId);
      if (!found) throw notFound('customer with external_id', req.params.externalId, 'external_id');
      return customerJson(found);
    },
  );

  app.post(
    '/v1/customers/:id',
    {
      schema: {
        summary: 'Update a customer',
        description: 'Only the fields given change; null clears a field. metadata replaces the whole object.',
        tags: ['customers'],
        security,
        params: IdParams,
        body: CustomerUpdateBody,
        response: { 200: CustomerJson, ...authedErrorResponses },
      },
    },
    async (req) => {
      const instanceId = instanceActor(req).id;
      const updated = await inTransaction(deps.db, async (tx) => {
        const ctx = withDb(serviceContext(req, deps), tx);
        await getCustomer(ctx, req.params.id, instanceId); // another instance's customer is "not found" (R1)
        return updateCustomer(ctx, req.params.id, toCustomerPatch(req.body));
      });
      return customerJson(updated);
    },
  );
};
