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
  return (await takeInvoiceNumbers(db, prefix, 1))[0] as string;
}

/**
 * Takes the next `count` numbers of `prefix` at once, in order, under the same lock as takeInvoiceNumber
 * (a batch of period invoices bumps the counter once).
 */
export async function takeInvoiceNumbers(db: Db, prefix: string, count: number): Promise<string[]> {
  if (count <= 0) return [];
  const [r] = await db
    .insert(invoiceNumberSequences)
    .values({ prefix, nextNumber: count + 1 })
    .onConflictDoUpdate({ target: invoiceNumberSequences.prefix, set: { nextNumber: sql`${invoiceNumberSequences.nextNumber} + ${count}` } })
    .returning({ next: invoiceNumberSequences.nextNumber });
  if (!r) throw new Error('invoice number upsert returned nothing');
  const first = r.next - count;
  return Array.from({ length: count }, (_, i) => formatInvoiceNumber(prefix, first + i));
}
