import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { listLicenseKeys, publicJwk, rotateLicenseKey } from '../../billing/licenses/keys.js';
import { getLicense, issueLicense, listLicenses, type License } from '../../billing/licenses/licenses.js';
import { clampLimit } from '../../billing/pagination.js';
import { licenseFileText } from '../../core/licenses/license.js';
import { serviceContext, type RouteDeps } from '../auth.js';
import { authedErrorResponses, errorResponses } from '../error-shape.js';
import { IdParams, Justification, PageQuery } from '../schemas.js';
import { ListJson } from '../serialize.js';
import { DateInput, parseInstant } from './invoice-common.js';

const security = [{ staff: [] }];
const tags = ['admin', 'licenses'];

const PublicKeyJson = z.object({ kid: z.string(), kty: z.literal('OKP'), crv: z.literal('Ed25519'), x: z.string(), created_at: z.string(), retired_at: z.string().nullable() }).meta({ id: 'LicensePublicKey' });
const LicenseFileJson = z.object({ format: z.literal('tally-license-v1'), kid: z.string(), payload: z.string(), signature: z.string() });

const LicenseJson = z
  .object({
    id: z.string(),
    object: z.literal('license'),
    customer: z.string(),
    kid: z.string(),
    plan: z.string(),
    features: z.array(z.string()),
    limits: z.record(z.string(), z.number()),
    starts_at: z.string(),
    expires_at: z.string(),
    issued_at: z.string(),
    issued_by: z.string(),
    file: LicenseFileJson.describe('The license file exactly as issued'),
  })
  .meta({ id: 'License' });

const licenseJson = (l: License): z.infer<typeof LicenseJson> => ({
  id: l.id,
  object: 'license',
  customer: l.customerId,
  kid: l.kid,
  plan: l.plan,
  features: l.payload.features,
  limits: l.payload.limits,
  starts_at: l.payload.starts_at,
  expires_at: l.payload.expires_at,
  issued_at: l.payload.issued_at,
  issued_by: l.issuedBy,
  file: l.file,
});

/** Self-managed licenses (R21): public verification keys, and issuing, reading and key rotation for staff. */
export const licenseRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/v1/license-keys',
    {
      config: { public: true },
      schema: {
        summary: 'The public keys that verify license files (no auth); retired keys stay listed',
        tags: ['licenses'],
        response: { 200: z.object({ keys: z.array(PublicKeyJson) }), ...errorResponses },
      },
    },
    async () => {
      // Public: no actor. The read needs none; a system context keeps the service signature.
      const keys = await listLicenseKeys({ db: deps.db, clock: deps.clock, actor: { type: 'system', id: 'license_keys' } });
      return { keys: keys.map(publicJwk) };
    },
  );

  app.post(
    '/admin/v1/licenses',
    {
      config: { minRole: 'billing_admin' },
      schema: {
        summary: 'Issue a signed license for a self-managed deployment (billing_admin)',
        tags,
        security,
        body: z.strictObject({
          customer: z.string().min(1).max(100),
          plan: z.string().min(1).max(100),
          features: z.array(z.string().max(64)).max(200).default([]),
          limits: z.record(z.string().max(64), z.number().int().min(0)).default({}),
          starts_at: DateInput,
          expires_at: DateInput,
          contract: z.string().max(100).optional(),
          ...Justification,
        }),
        response: { 201: LicenseJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const lic = await issueLicense(
        serviceContext(req, deps),
        { customerId: b.customer, plan: b.plan, features: b.features, limits: b.limits, startsAt: parseInstant(b.starts_at, 'starts_at'), expiresAt: parseInstant(b.expires_at, 'expires_at'), contractId: b.contract ?? null },
        b,
      );
      return reply.status(201).send(licenseJson(lic));
    },
  );

  app.get(
    '/admin/v1/licenses',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'List licenses, newest first', tags, security, querystring: z.object({ customer: z.string().optional(), ...PageQuery }), response: { 200: ListJson(LicenseJson), ...authedErrorResponses } },
    },
    async (req) => {
      const page = await listLicenses(serviceContext(req, deps), { customerId: req.query.customer, limit: clampLimit(req.query.limit), startingAfter: req.query.starting_after });
      return { object: 'list' as const, data: page.data.map(licenseJson), has_more: page.hasMore };
    },
  );

  app.get(
    '/admin/v1/licenses/:id',
    { config: { minRole: 'viewer' }, schema: { summary: 'A license', tags, security, params: IdParams, response: { 200: LicenseJson, ...authedErrorResponses } } },
    async (req) => licenseJson(await getLicense(serviceContext(req, deps), req.params.id)),
  );

  app.get(
    '/admin/v1/licenses/:id/file',
    { config: { minRole: 'viewer' }, schema: { summary: 'Download the license file', tags, security, params: IdParams, response: { 200: z.string(), ...authedErrorResponses } } },
    async (req, reply) => {
      const lic = await getLicense(serviceContext(req, deps), req.params.id);
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="${lic.id}.license.json"`)
        .send(licenseFileText(lic.file));
    },
  );

  app.post(
    '/admin/v1/license-keys/rotate',
    {
      config: { minRole: 'owner' },
      schema: {
        summary: 'Rotate the license signing key (owner): the new key signs, old keys stay published',
        tags,
        security,
        body: z.strictObject(Justification),
        response: { 201: PublicKeyJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const key = await rotateLicenseKey(serviceContext(req, deps), req.body);
      return reply.status(201).send(publicJwk(key));
    },
  );
};
