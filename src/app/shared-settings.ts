import { saveInvoiceGraceMs } from '../billing/invoicing/grace.js';
import type { Clock } from '../shared/clock.js';
import type { Database } from '../store/database.js';
import type { Logger } from './logger.js';
import type { Settings } from './settings.js';

/**
 * Writes the settings that must be the same in every process on one database (today: the invoice grace
 * period) to the database, when this process's environment sets them. Processes that leave them unset use
 * the stored value, so an API node and a `tally worker` can never disagree about them.
 */
export async function storeSharedSettings(database: Database, clock: Clock, settings: Settings, logger: Pick<Logger, 'info' | 'warn'>): Promise<void> {
  if (settings.invoiceGraceMinutes === null) return;
  const ms = settings.invoiceGraceMinutes * 60_000;
  const before = await saveInvoiceGraceMs(database.db, clock, ms);
  if (before !== ms) logger.info({ minutes: settings.invoiceGraceMinutes, previousMinutes: before / 60_000 }, 'invoice grace period set for every process on this database (TALLY_INVOICE_GRACE_MINUTES)');
}
