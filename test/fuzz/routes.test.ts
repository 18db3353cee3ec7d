/**
 * Every POST/PATCH route of the public API, found by walking the app's own OpenAPI document, gets arbitrary
 * JSON, non-JSON text and near misses of its body schema. The server must never answer 500, must answer
 * every rejection in the one error shape, and a rejected request must write nothing (the row count of every
 * table is the same before and after).
 */
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { subscribe } from '../../src/billing/subscriptions/index.js';
import { ManualClock } from '../../src/shared/clock.js';
import type { Database } from '../../src/store/database.js';
import { seedInstance, seedStaff, systemCtx } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { freshDatabase } from '../support/db.js';
import { fromSchema, nearMiss, type JsonSchema } from './json-schema-arb.js';

/** Cases per route (about 1,800 requests in all); FUZZ_RUNS=200 or more for a longer hunt. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);
/** Fixed, so a failure reproduces; FUZZ_SEED explores other cases. */
const SEED = Number(process.env.FUZZ_SEED ?? 20261122);
/**
 * Written on purpose even when a request is refused: idempotency keys (a 4xx answer is kept for replays)
 * and coupon-code redemption attempts (counted for the rate limit whether or not the code was valid).
 */
const NOT_DATA = new Set(['idempotency_keys', 'coupon_redemption_attempts', '__drizzle_migrations']);

interface Route {
  method: 'POST' | 'PATCH';
  path: string;
  body: JsonSchema | null;
}

// PGlite only: the fuzzing is of the HTTP and validation layers, which do not depend on the backend.
describe('fuzzing every POST/PATCH route', () => {
  const clock = new ManualClock('2026-03-10T12:00:00Z');
  let database: Database;
  let app: FastifyInstance;
  const routes: Route[] = [];
  let components: Record<string, JsonSchema> = {};
  let ids: string[] = [];
  let instanceAuth = '';
  let staffAuth = '';
  let fingerprint: () => Promise<string>;

  beforeAll(async () => {
    database = await freshDatabase('pglite');
    app = await testApp(database, clock);
    const ctx = systemCtx(database, clock);
    await activateCatalogConfig(database.db, clock, readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8'), 'billing.yaml');
    const inst = await seedInstance(database, clock, 'fuzz');
    instanceAuth = inst.headers.authorization;
    staffAuth = (await seedStaff(database, clock, 'owner')).headers.authorization;
    const customer = await createCustomer(ctx, { instanceId: inst.instance.id, externalId: 'team_fuzz', currency: 'usd' });
    await subscribe(ctx, customer.id, { items: [{ product: 'product_analytics', plan: 'paid' }] });
    ids = [customer.id, inst.instance.id, 'team_fuzz', 'cus_0000000000000000000000000'];

    const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as {
      paths: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>>;
      components?: { schemas?: Record<string, JsonSchema> };
    };
    components = doc.components?.schemas ?? {};
    for (const [path, ops] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        if (method !== 'post' && method !== 'patch') continue;
        routes.push({ method: method.toUpperCase() as Route['method'], path, body: op.requestBody?.content?.['application/json']?.schema ?? null });
      }
    }
    const tables = (await database.db.execute(sql`select tablename from pg_tables where schemaname = 'public' order by tablename`)) as unknown as { rows: { tablename: string }[] };
    const counted = tables.rows.map((r) => r.tablename).filter((t) => !NOT_DATA.has(t));
    const query = `select ${counted.map((t) => `(select count(*) from "${t}")::text`).join(" || ',' || ")} as f`;
    fingerprint = async () => ((await database.db.execute(sql.raw(query))) as unknown as { rows: { f: string }[] }).rows[0]!.f;
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await database?.close();
  });

  it('finds the routes in the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThanOrEqual(40);
    expect(routes.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['POST /v1/usage', 'POST /v1/customers', 'POST /admin/v1/customers/{id}', 'POST /v1/customers/{id}/subscription']));
  });

  it(`never answers 500 and never half-writes a rejected request (${RUNS} cases per route)`, async () => {
    const problems: string[] = [];
    const jsonBody = (r: Route): fc.Arbitrary<{ raw: string | null; value: unknown }> => {
      const arbs: fc.Arbitrary<unknown>[] = [fc.jsonValue({ maxDepth: 3 })];
      if (r.body) arbs.push(fromSchema(r.body, components), nearMiss(r.body, components), nearMiss(r.body, components));
      return fc.oneof(
        { weight: 9, arbitrary: fc.oneof(...arbs).map((value) => ({ raw: null, value })) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw) => ({ raw, value: undefined })) },
      );
    };
    let last = await fingerprint();
    for (const route of routes) {
      const auth = route.path.startsWith('/v1/') ? instanceAuth : route.path === '/admin/v1/sessions' ? null : staffAuth;
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
      const arb = fc.record({
        body: jsonBody(route),
        params: fc.array(fc.oneof(fc.constantFrom(...ids), fc.string({ minLength: 1, maxLength: 30 })), { minLength: params.length, maxLength: params.length }),
        idem: fc.option(fc.string({ minLength: 1, maxLength: 40 }), { freq: 3 }),
      });
      try {
        await fc.assert(
          fc.asyncProperty(arb, async ({ body, params: values, idem }) => {
            let url = route.path;
            params.forEach((p, i) => (url = url.replace(`{${p}}`, encodeURIComponent(values[i]!))));
            const before = last;
            const res = await app.inject({
              method: route.method,
              url,
              headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth } : {}), ...(idem !== null ? { 'idempotency-key': idem } : {}) },
              payload: body.raw ?? JSON.stringify(body.value ?? null),
            });
            if (res.statusCode >= 500) throw new Error(`${res.statusCode}: ${res.body.slice(0, 300)}`);
            if (res.statusCode >= 400) {
              const e = (res.json() as { error?: { type?: unknown; code?: unknown; message?: unknown; request_id?: unknown } }).error;
              if (!e || typeof e.type !== 'string' || typeof e.code !== 'string' || typeof e.message !== 'string' || typeof e.request_id !== 'string') throw new Error(`not the error shape: ${res.body.slice(0, 300)}`);
              const after = await fingerprint();
              if (after !== before) throw new Error(`rejected with ${res.statusCode} ${e.code} but rows changed: ${before} → ${after}`);
            } else {
              last = await fingerprint(); // an accepted request may write
            }
          }),
          { numRuns: RUNS, seed: SEED, endOnFailure: true },
        );
      } catch (e) {
        problems.push(`${route.method} ${route.path}: ${(e as Error).message.split('\n').slice(0, 6).join(' | ')}`);
      }
    }
    expect(problems).toEqual([]);
  }, 600_000);
});
