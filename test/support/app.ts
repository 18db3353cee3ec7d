import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/app/logger.js';
import { buildServer } from '../../src/http/server.js';
import type { Payments } from '../../src/billing/providers/select.js';
import type { Clock } from '../../src/shared/clock.js';
import type { Database } from '../../src/store/database.js';

/** The real HTTP app on a test database, driven with app.inject (no socket). */
export async function testApp(database: Database, clock: Clock, extend?: (app: FastifyInstance) => void, payments?: Payments): Promise<FastifyInstance> {
  const app = await buildServer({ database, clock, logger: createLogger({ level: 'silent', pretty: false }), version: 'test', ...(payments ? { payments } : {}) });
  extend?.(app);
  await app.ready();
  return app;
}
