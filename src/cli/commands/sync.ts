import { openStore } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { systemActor } from '../../billing/context.js';
import { createPayments } from '../../billing/providers/select.js';
import { syncCustomers, type DriftItem, type SyncReport } from '../../billing/providers/sync.js';
import { systemClock } from '../../shared/clock.js';
import { invalid } from '../../shared/errors.js';

const show = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

export function formatSyncReport(report: SyncReport): string {
  const row = (d: DriftItem) => `  ${d.customer}  ${d.field}: Tally ${show(d.tally)} | ${report.provider} ${show(d.provider)}\n`;
  let out = `Fixed at ${report.provider} (Tally owns these): ${report.fixed.length}\n`;
  for (const d of report.fixed) out += row(d);
  out += `Drift left for staff: ${report.drift.length}\n`;
  for (const d of report.drift) out += row(d);
  return out;
}

/** `tally sync --customer ID [--customer ID …] [--reason TEXT]`: R22 for the chosen customers; prints the report. */
export async function syncCommand(opts: { customer?: string[]; reason?: string; json?: boolean }, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const ids = opts.customer ?? [];
  if (ids.length === 0) throw invalid('customer_required', 'Name at least one customer: tally sync --customer cus_… [--customer cus_…].', 'customer');
  const settings = readSettings(env);
  const database = await openStore(settings, systemClock);
  try {
    const { provider } = createPayments(settings.payments, systemClock);
    const ctx = { db: database.db, clock: systemClock, actor: systemActor('cli') };
    const report = await syncCustomers(ctx, provider, ids, { reason: opts.reason ?? 'tally sync' });
    process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatSyncReport(report));
    return report.drift.length > 0 ? 2 : 0;
  } finally {
    await database.close();
  }
}
