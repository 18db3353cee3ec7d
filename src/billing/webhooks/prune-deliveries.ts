import { and, inArray, lt } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import type { Db } from '../../store/database.js';
import { webhookDeliveries, webhookDeliveryAttempts } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';

/** Deliveries deleted per transaction, so pruning a big backlog never holds one long transaction. */
const PRUNE_CHUNK = 5_000;

/**
 * Deletes webhook deliveries that ended (succeeded, failed for good or canceled) before `olderThan`, with
 * their recorded attempts; returns how many deliveries. Pending deliveries are never touched; the events
 * they carried stay in the event log.
 */
export async function pruneWebhookDeliveries(db: Db, olderThan: Date): Promise<number> {
  const ended = and(inArray(webhookDeliveries.status, ['succeeded', 'failed', 'canceled']), lt(webhookDeliveries.completedAt, olderThan));
  let total = 0;
  for (;;) {
    const gone = await inTransaction(db, async (tx) => {
      const ids = (await tx.select({ id: webhookDeliveries.id }).from(webhookDeliveries).where(ended).limit(PRUNE_CHUNK).for('update', { skipLocked: true })).map((r) => r.id);
      if (ids.length === 0) return 0;
      await tx.delete(webhookDeliveryAttempts).where(anyOf(webhookDeliveryAttempts.deliveryId, ids));
      await tx.delete(webhookDeliveries).where(anyOf(webhookDeliveries.id, ids));
      return ids.length;
    });
    total += gone;
    if (gone < PRUNE_CHUNK) return total;
  }
}
