import type { FastifyInstance, InjectOptions } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { ManualClock } from '../../src/shared/clock.js';
import { invalid } from '../../src/shared/errors.js';
import { seedInstance } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('HTTP skeleton', (database) => {
  const clock = new ManualClock('2026-05-01T12:00:00Z');
  let app: FastifyInstance;
  let executions = 0;
  // /v1 routes need an instance key; the skeleton's test route is one of them.
  let auth: { authorization: string } | undefined;
  const inject = (o: InjectOptions) => app.inject({ ...o, headers: { ...auth, ...o.headers } });

  beforeAll(async () => {
    auth = (await seedInstance(database(), clock, 'us')).headers;
    app = await testApp(database(), clock, (a) => {
      const r = a.withTypeProvider<ZodTypeProvider>();
      // A route shaped like the real ones, to exercise validation, errors and idempotency end to end.
      r.post(
        '/v1/test/things',
        {
          schema: {
            body: z.object({ name: z.string().min(1), items: z.array(z.object({ price: z.string(), quantity: z.number().int().min(1) })).default([]) }),
          },
        },
        async (req, reply) => {
          executions++;
          if (req.body.name === 'conflict') throw invalid('thing_invalid', 'That thing cannot be.', 'name');
          if (req.body.name === 'crash') throw new Error('secret internal detail');
          return reply.status(201).send({ id: `thing_${executions}`, name: req.body.name });
        },
      );
    });
  });
  afterAll(async () => app.close());

  it('serves /healthz and /readyz', async () => {
    expect((await app.inject({ url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', database: database().kind });
  });

  it('serves OpenAPI 3.1 generated from the route schemas', async () => {
    const doc = (await app.inject({ url: '/openapi.json' })).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/healthz', '/readyz', '/v1/test/things']));
    expect(doc.paths['/v1/test/things'].post.requestBody.content['application/json'].schema.properties.name).toBeDefined();
  });

  it('answers unknown routes with the error shape and a request id', async () => {
    const res = await app.inject({ url: '/v1/nothing-here' });
    expect(res.statusCode).toBe(404);
    const body = res.json();
    expect(body.error).toMatchObject({ type: 'not_found', code: 'route_not_found', param: null });
    expect(body.error.request_id).toMatch(/^req_/);
    expect(res.headers['request-id']).toBe(body.error.request_id);
  });

  it('rejects bad input with 400 naming the offending field, and runs nothing', async () => {
    const before = executions;
    const res = await inject({ method: 'POST', url: '/v1/test/things', payload: { name: 'x', items: [{ price: 'p', quantity: 0 }] } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: 'invalid_request', code: 'parameter_invalid', param: 'items.0.quantity' });
    const missing = await inject({ method: 'POST', url: '/v1/test/things', payload: {} });
    expect(missing.json().error.param).toBe('name');
    expect(executions).toBe(before);
  });

  it('rejects malformed JSON with the error shape', async () => {
    const res = await inject({ method: 'POST', url: '/v1/test/things', headers: { 'content-type': 'application/json' }, payload: '{"name": ' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ type: 'invalid_request', code: 'body_invalid_json' });
  });

  it("maps a service's TallyError to its status with its param", async () => {
    const res = await inject({ method: 'POST', url: '/v1/test/things', payload: { name: 'conflict' } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'thing_invalid', param: 'name', message: 'That thing cannot be.' });
  });

  it('hides unexpected errors behind a 500 without internals', async () => {
    const res = await inject({ method: 'POST', url: '/v1/test/things', payload: { name: 'crash' } });
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret internal detail');
    expect(res.body).not.toContain('.ts:');
    expect(res.json().error).toMatchObject({ type: 'internal', code: 'internal_error' });
  });

  it('replays a POST with the same Idempotency-Key instead of running it twice', async () => {
    const before = executions;
    const send = () => inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'create-a' }, payload: { name: 'a' } });
    const first = await send();
    const second = await send();
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(201);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(executions).toBe(before + 1);
  });

  it('treats key order in the body as the same request', async () => {
    const before = executions;
    await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'order' }, payload: { name: 'o', items: [] } });
    const again = await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'order' }, payload: { items: [], name: 'o' } });
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(executions).toBe(before + 1);
  });

  it('refuses the same key with a different body, and does not run it', async () => {
    await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'create-b' }, payload: { name: 'b' } });
    const before = executions;
    const res = await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'create-b' }, payload: { name: 'b2' } });
    expect(res.statusCode).toBe(422);
    expect(res.json().error).toMatchObject({ type: 'idempotency', code: 'idempotency_key_reused', param: 'Idempotency-Key' });
    expect(executions).toBe(before);
  });

  it('keeps 4xx results under the key but lets a 5xx be retried', async () => {
    const v1 = await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'bad' }, payload: { name: 'conflict' } });
    const v2 = await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'bad' }, payload: { name: 'conflict' } });
    expect(v2.statusCode).toBe(400);
    expect(v2.json()).toEqual(v1.json());
    expect(v2.headers['idempotent-replayed']).toBe('true');

    const before = executions;
    await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'boom' }, payload: { name: 'crash' } });
    await inject({ method: 'POST', url: '/v1/test/things', headers: { 'idempotency-key': 'boom' }, payload: { name: 'crash' } });
    expect(executions).toBe(before + 2);
  });
});
