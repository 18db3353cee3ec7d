import { asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { expect } from 'vitest';
import { webhookDeliveries, webhookDeliveryAttempts } from '../../src/store/schema.js';
import type { Database } from '../../src/store/database.js';
import { seedStaff } from '../support/accounts.js';
import { testApp } from '../support/app.js';
import { world, type World } from '../subscriptions/helpers.js';
import { startReceiver, type Receiver } from './receiver.js';

export interface Scene {
  w: World;
  app: FastifyInstance;
  owner: { authorization: string };
  receiver: Receiver;
  base: string;
  /** Creates an endpoint through the admin API; returns its JSON (with the secret). */
  endpoint(body?: Record<string, unknown>): Promise<{ id: string; secret: string } & Record<string, unknown>>;
  deliveries(endpointId: string): Promise<(typeof webhookDeliveries.$inferSelect)[]>;
  attempts(deliveryId: string): Promise<(typeof webhookDeliveryAttempts.$inferSelect)[]>;
  close(): Promise<void>;
}

/** An instance with a catalog, the HTTP app, an owner's key and a receiver. */
export async function scene(database: Database, start = '2026-03-01T00:00:00Z'): Promise<Scene> {
  const w = await world(database.db, start);
  const app = await testApp(database, w.clock);
  const { headers: owner } = await seedStaff(database, w.clock, 'owner');
  const receiver = await startReceiver();
  const base = `/admin/v1/instances/${w.instanceId}/webhook-endpoints`;
  return {
    w,
    app,
    owner,
    receiver,
    base,
    async endpoint(body = {}) {
      const res = await app.inject({ method: 'POST', url: base, headers: owner, payload: { url: receiver.url, enabled_events: ['*'], reason: 'test receiver', ...body } });
      expect(res.statusCode, res.body).toBe(201);
      return res.json();
    },
    deliveries: (endpointId) => database.db.select().from(webhookDeliveries).where(eq(webhookDeliveries.endpointId, endpointId)).orderBy(asc(webhookDeliveries.id)),
    attempts: (deliveryId) => database.db.select().from(webhookDeliveryAttempts).where(eq(webhookDeliveryAttempts.deliveryId, deliveryId)).orderBy(asc(webhookDeliveryAttempts.attempt)),
    async close() {
      await receiver.close();
      await app.close();
    },
  };
}
