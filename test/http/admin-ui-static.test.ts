import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../src/app/logger.js';
import { buildServer } from '../../src/http/server.js';
import { ManualClock } from '../../src/shared/clock.js';
import { seedStaff } from '../support/accounts.js';
import { describeDb } from '../support/db.js';

/** /admin serves the built UI (static, SPA fallback) and never swallows the admin API's 404s. */
describeDb('admin UI static files', (database) => {
  const clock = new ManualClock('2026-06-01T08:00:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'tally-ui-'));
  const built = join(dir, 'dist');
  let app: FastifyInstance;
  let missing: FastifyInstance;
  const INDEX = '<!doctype html><title>Tally admin</title><div id="root"></div>';

  beforeAll(async () => {
    mkdirSync(join(built, 'assets'), { recursive: true });
    writeFileSync(join(built, 'index.html'), INDEX);
    writeFileSync(join(built, 'assets', 'index-abc123.js'), 'console.log("ui")');
    writeFileSync(join(dir, 'secret.txt'), 'outside the UI directory');
    const logger = createLogger({ level: 'silent', pretty: false });
    app = await buildServer({ database: database(), clock, logger, version: 'test', adminUiDir: built });
    missing = await buildServer({ database: database(), clock, logger, version: 'test', adminUiDir: join(dir, 'nowhere') });
  });
  afterAll(async () => {
    await app.close();
    await missing.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at /admin and for client routes, assets with their type, without auth', async () => {
    for (const url of ['/admin', '/admin/', '/admin/customers/cus_123', '/admin/invoices?status=draft']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toContain('text/html');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toBe(INDEX);
    }
    const js = await app.inject({ url: '/admin/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toContain('text/javascript');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log("ui")');
  });

  it('answers 404 for missing assets, paths outside the directory, and unknown admin API routes', async () => {
    expect((await app.inject({ url: '/admin/assets/gone.js' })).statusCode).toBe(404);
    const escape = await app.inject({ url: '/admin/..%2fsecret.txt' });
    expect(escape.statusCode).toBe(404);
    expect(escape.body).not.toContain('outside the UI directory');
    const api = await app.inject({ url: '/admin/v1/no-such-route' });
    expect(api.statusCode).toBe(404);
    expect(api.json().error.code).toBe('route_not_found');
    // Known admin API routes still need their token.
    expect((await app.inject({ url: '/admin/v1/customers?query=x' })).statusCode).toBe(401);
    const staff = await seedStaff(database(), clock, 'viewer');
    expect((await app.inject({ url: '/admin/v1/staff/me', headers: staff.headers })).statusCode).toBe(200);
  });

  it('says how to build the UI when web/dist is missing', async () => {
    const res = await missing.inject({ url: '/admin/customers' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('npm run build');
  });
});
