import { sql } from 'drizzle-orm';
import type { Db } from '../../store/database.js';
import { invoiceNumberSequences } from '../../store/schema.js';

/** Invoice numbers of an instance start with its slug in capitals: instance `us` numbers `US-000042`. */
export const invoicePrefix = (instanceSlug: string): string => instanceSlug.toUpperCase();

export const formatInvoiceNumber = (prefix: string, n: number): string => `${prefix}-${String(n).padStart(6, '0')}`;

/**
 * Takes the next number of `prefix`. The counter row is created or bumped with one upsert, which holds
 * its row lock until the caller's transaction ends: concurrent finalizations queue on it, and a rollback
 * returns the number, so numbers stay sequential and gapless. Call it as late in the transaction as
 * possible, since every other finalization of the prefix waits for this one to commit.
 */
export async function takeInvoiceNumber(db: Db, prefix: string): Promise<string> {
  const [r] = await db
    .insert(invoiceNumberSequences)
    .values({ prefix, nextNumber: 2 })
    .onConflictDoUpdate({ target: invoiceNumberSequences.prefix, set: { nextNumber: sql`${invoiceNumberSequences.nextNumber} + 1` } })
    .returning({ next: invoiceNumberSequences.nextNumber });
  if (!r) throw new Error('invoice number upsert returned nothing');
  return formatInvoiceNumber(prefix, r.next - 1);
}
