import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { systemActor } from '../../billing/context.js';
import { signIn, signOut } from '../../billing/staff/sessions.js';
import { checkPassword, createStaff, getStaff, listStaff, setStaffPassword, STAFF_ROLES, verifyStaffPassword } from '../../billing/staff/staff.js';
import { invalid } from '../../shared/errors.js';
import { serviceContext, staffActor, type RouteDeps } from '../auth.js';
import { authedErrorResponses, errorResponses } from '../error-shape.js';
import { Justification } from '../schemas.js';
import { StaffJson, staffJson } from '../serialize.js';

const SessionJson = z
  .object({
    object: z.literal('session'),
    token: z.string().describe('Send as "Authorization: Bearer <token>"; shown once'),
    expires: z.string(),
    staff: StaffJson,
  })
  .meta({ id: 'Session' });

export const adminStaffRoutes: FastifyPluginAsyncZod<RouteDeps> = async (app, deps) => {
  app.get(
    '/admin/v1/staff/me',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'The staff member the key belongs to', tags: ['admin'], security: [{ staff: [] }], response: { 200: StaffJson, ...authedErrorResponses } },
    },
    async (req) => staffJson(await getStaff(serviceContext(req, deps), staffActor(req).id)),
  );

  app.post(
    '/admin/v1/sessions',
    {
      // Signing in is the one admin route without a bearer token.
      config: { public: true, idempotencyOmit: ['token'] },
      schema: {
        summary: 'Sign in with email and password (admin UI); returns a session token valid for 12 hours',
        tags: ['admin'],
        body: z.strictObject({ email: z.string().min(3).max(320), password: z.string().min(1).max(200) }),
        response: { 201: SessionJson, 401: errorResponses[400], ...errorResponses },
      },
    },
    async (req, reply) => {
      const s = await signIn({ db: deps.db, clock: deps.clock, actor: systemActor('sign_in') }, req.body.email, req.body.password);
      return reply.status(201).send({ object: 'session' as const, token: s.token, expires: s.expiresAt.toISOString(), staff: staffJson(s.staff) });
    },
  );

  app.post(
    '/admin/v1/sessions/sign-out',
    {
      config: { minRole: 'viewer' },
      schema: { summary: 'Sign out: the session token stops working', tags: ['admin'], security: [{ staff: [] }], response: { 200: z.object({ signed_out: z.boolean() }), ...authedErrorResponses } },
    },
    async (req) => {
      const token = /^Bearer\s+(\S+)/i.exec(req.headers.authorization ?? '')?.[1] ?? '';
      return { signed_out: await signOut(serviceContext(req, deps), token) };
    },
  );

  app.get(
    '/admin/v1/staff',
    {
      // Every staff member reads the names: the UI shows who requested and who decided.
      config: { minRole: 'viewer' },
      schema: { summary: 'List staff accounts (names, emails, roles)', tags: ['admin'], security: [{ staff: [] }], response: { 200: z.object({ object: z.literal('list'), data: z.array(StaffJson) }), ...authedErrorResponses } },
    },
    async (req) => ({ object: 'list' as const, data: (await listStaff(serviceContext(req, deps))).map(staffJson) }),
  );

  app.post(
    '/admin/v1/staff',
    {
      config: { minRole: 'owner' },
      schema: {
        summary: 'Create a staff account (owner); with a password it can sign in to the admin UI',
        tags: ['admin'],
        security: [{ staff: [] }],
        body: z.strictObject({
          email: z.string().min(3).max(320),
          name: z.string().min(1).max(200),
          role: z.enum(STAFF_ROLES),
          password: z.string().min(1).max(1024).optional(),
          ...Justification,
        }),
        response: { 201: StaffJson, ...authedErrorResponses },
      },
    },
    async (req, reply) => {
      const { reason, ticket, password, ...b } = req.body;
      const created = await createStaff(serviceContext(req, deps), { ...b, ...(password !== undefined ? { password } : {}) }, { reason, ticket });
      return reply.status(201).send(staffJson(created));
    },
  );

  app.post(
    '/admin/v1/staff/me/password',
    {
      config: { minRole: 'viewer' },
      schema: {
        summary: 'Change your own password (e.g. the generated first-run one); needs the current password',
        tags: ['admin'],
        security: [{ staff: [] }],
        body: z.strictObject({ current_password: z.string().min(1).max(1024), new_password: z.string().min(1).max(1024) }),
        response: { 200: z.object({ changed: z.boolean() }), ...authedErrorResponses },
      },
    },
    async (req) => {
      const ctx = serviceContext(req, deps);
      const me = await getStaff(ctx, staffActor(req).id);
      if (!(await verifyStaffPassword(deps.db, me.email, req.body.current_password))) {
        throw invalid('password_incorrect', 'The current password is not right.', 'current_password');
      }
      checkPassword(req.body.new_password, 'new_password');
      await setStaffPassword(ctx, me.id, req.body.new_password, { reason: 'changed own password' });
      return { changed: true };
    },
  );
};
