import { readFileSync, writeFileSync } from 'node:fs';
import { openStore } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { importContract, revenueEntries, type RevenueGrouping } from '../../billing/contracts/contracts.js';
import { systemActor, withDb, type ServiceContext } from '../../billing/context.js';
import { revenueByMonth, revenueCsv } from '../../core/contracts/amortization.js';
import { formatOfFile, orderFormJson, parseOrderForm, type FormProblem, type OrderFormFormat } from '../../core/contracts/order-form.js';
import { systemClock } from '../../shared/clock.js';
import { invalid } from '../../shared/errors.js';
import { inTransaction } from '../../store/transaction.js';

async function withStore<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const database = await openStore(readSettings(), systemClock);
  try {
    return await inTransaction(database.db, (tx) => fn(withDb({ db: database.db, clock: systemClock, actor: systemActor('cli') }, tx)));
  } finally {
    await database.close();
  }
}

const problemLines = (file: string, problems: readonly FormProblem[]): string => problems.map((p) => `${file}: ${p.path || '(form)'}: ${p.message} [${p.code}]`).join('\n');

/**
 * `tally contracts import FILE [--format F] [--save]`: reads an order form and prints the parsed contract
 * as JSON, or every problem with its field path (exit 1). With --save it is stored for review in the
 * configured database (catalog and customer checks included) and its id printed.
 */
export async function contractsImportCommand(file: string, opts: { format?: string; save?: boolean }): Promise<number> {
  const format = (opts.format ?? formatOfFile(file)) as OrderFormFormat | null;
  if (format !== 'yaml' && format !== 'json' && format !== 'csv') throw invalid('format_required', `Cannot tell the format of ${file}; pass --format yaml|json|csv.`, 'format');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`tally: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  if (opts.save) {
    const contract = await withStore((ctx) => importContract(ctx, { text, format }, { reason: `tally contracts import ${file}` }));
    process.stdout.write(`${JSON.stringify({ id: contract.id, status: contract.status, problems: contract.problems, form: contract.form }, null, 2)}\n`);
    if (contract.problems.length) {
      process.stderr.write(`${problemLines(file, contract.problems)}\nSaved ${contract.id} for review with ${contract.problems.length} problem(s).\n`);
      return 1;
    }
    return 0;
  }
  const r = parseOrderForm(text, format);
  if (!r.ok) {
    process.stderr.write(`${problemLines(file, r.problems)}\n${r.problems.length} problem(s) in ${file}\n`);
    return 1;
  }
  process.stdout.write(`${JSON.stringify(orderFormJson(r.form), null, 2)}\n`);
  return 0;
}

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;

/** `tally revenue export [--from YYYY-MM] [--to YYYY-MM] [--by contract|customer|product] [--out FILE]` */
export async function revenueExportCommand(opts: { from?: string; to?: string; by?: string; out?: string }): Promise<number> {
  for (const k of ['from', 'to'] as const) if (opts[k] !== undefined && !MONTH.test(opts[k])) throw invalid('invalid_month', `--${k} must be a month written YYYY-MM; got '${opts[k]}'.`, k);
  const by = (opts.by ?? 'contract') as RevenueGrouping;
  if (!['contract', 'customer', 'product'].includes(by)) throw invalid('invalid_grouping', `--by must be contract, customer or product; got '${by}'.`, 'by');
  const entries = await withStore((ctx) => revenueEntries(ctx, by));
  const csv = revenueCsv(revenueByMonth(entries, opts.from ?? null, opts.to ?? null), by);
  if (opts.out) writeFileSync(opts.out, csv);
  else process.stdout.write(csv);
  return 0;
}
