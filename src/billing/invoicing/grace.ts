/**
 * The invoice grace period (R17) is one setting of the installation, kept in `tally_meta`, not in each
 * process's memory: with API nodes and `tally worker`s started from different environments, a period
 * closed by one process must wait exactly as long as one closed by another. It is read from the database
 * each time a period closes (one primary-key read per period), so a change is seen by every process at once.
 */
import { eq } from 'drizzle-orm';
import type { Clock } from '../../shared/clock.js';
import { invalid } from '../../shared/errors.js';
import type { Db } from '../../store/database.js';
import { meta } from '../../store/schema.js';

export const INVOICE_GRACE_KEY = 'settings.invoice_grace_ms';
/** When no process ever set TALLY_INVOICE_GRACE_MINUTES. */
export const DEFAULT_INVOICE_GRACE_MS = 60 * 60 * 1000;

/** How long after a period ends its invoice waits for late usage. */
export async function invoiceGraceMs(db: Db): Promise<number> {
  const [row] = await db.select({ value: meta.value }).from(meta).where(eq(meta.key, INVOICE_GRACE_KEY));
  const ms = (row?.value as { ms?: unknown } | undefined)?.ms;
  return typeof ms === 'number' && Number.isInteger(ms) && ms >= 0 ? ms : DEFAULT_INVOICE_GRACE_MS;
}

/** Sets the grace period for every process on this database. Returns the value it replaced. */
export async function saveInvoiceGraceMs(db: Db, clock: Clock, ms: number): Promise<number> {
  if (!Number.isInteger(ms) || ms < 0) throw invalid('invalid_setting', `The invoice grace must be a non-negative whole number of ms, got ${ms}.`, 'TALLY_INVOICE_GRACE_MINUTES');
  const before = await invoiceGraceMs(db);
  const now = clock.now();
  await db
    .insert(meta)
    .values({ key: INVOICE_GRACE_KEY, value: { ms }, updatedAt: now })
    .onConflictDoUpdate({ target: meta.key, set: { value: { ms }, updatedAt: now } });
  return before;
}
