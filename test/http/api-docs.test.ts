import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ManualClock } from '../../src/shared/clock.js';
import { testApp } from '../support/app.js';
import { describeDb } from '../support/db.js';

describeDb('HTTP: the API reference page at /docs/api', (database) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await testApp(database(), new ManualClock('2026-03-10T12:00:00Z'));
  });
  afterAll(async () => app.close());

  it('is public, self-contained HTML listing every operation of /openapi.json with its schemas', async () => {
    const res = await app.inject({ url: '/docs/api' }); // no Authorization header
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe("default-src 'none'; style-src 'unsafe-inline'");
    const html = res.body;
    expect(html).toMatch(/^<!doctype html>/);
    // Nothing loaded from elsewhere: no scripts, no external stylesheets or images.
    expect(html).not.toMatch(/<script|<link |src="http/i);

    const doc = (await app.inject({ url: '/openapi.json' })).json() as { paths: Record<string, Record<string, { summary?: string }>>; components: { schemas: Record<string, unknown> } };
    let operations = 0;
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        operations++;
        expect(html).toContain(`<span class="method ${method}">${method.toUpperCase()}</span> <code>${path}</code>`);
        if (op.summary) expect(html).toContain(op.summary.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;'));
      }
    }
    expect(operations).toBeGreaterThan(40);
    for (const name of Object.keys(doc.components.schemas)) expect(html).toContain(`id="schema-${name}"`);
    // Fields of a request body and a $ref link render.
    expect(html).toContain('<code class="field">external_id</code>');
    expect(html).toContain('<a href="#schema-BillingState">BillingState</a>');
    expect(html).toContain('<a href="/openapi.json">/openapi.json</a>');
  });
});
