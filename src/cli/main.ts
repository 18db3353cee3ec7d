import { Command } from 'commander';
import { VERSION } from '../app/version.js';
import { reportCliError } from './output.js';

// Commands load their modules on demand, so `tally --help` does not pay for PGlite and Fastify.

const program = new Command()
  .name('tally')
  .description('Tally: billing for SaaS — catalog as code, metering, invoices, coupons, credits, contracts.')
  .version(VERSION)
  .showHelpAfterError()
  .addHelpText(
    'after',
    `
Environment:
  DATABASE_URL     PostgreSQL URL; without it Tally uses embedded PGlite in TALLY_DATA_DIR
  TALLY_DATA_DIR   PGlite data directory (default ./.tally/data)
  TALLY_CONFIG     billing config file (default ./examples/billing.yaml)
  TALLY_ADMIN_PASSWORD  the owner's password on first start (default: generated, printed once)
  HOST, PORT       where to listen (default 127.0.0.1:4242)
  TALLY_WORKER     off: serve HTTP only (run \`tally worker\` processes for the jobs); PostgreSQL only
  TALLY_DB_POOL_SIZE  PostgreSQL connections per process (default 10)
  LOG_LEVEL        pino level (default info); LOG_FORMAT=json|pretty`,
  );

program
  .command('serve')
  .description('run the HTTP API (and the job worker) until SIGINT/SIGTERM')
  .action(async () => (await import('./commands/serve.js')).serveCommand());

program.command('worker').description('run the job worker alone (no HTTP) until SIGINT/SIGTERM').action(async () => void (await (await import('./commands/worker.js')).workerCommand()));

program.command('migrate').description('apply pending database migrations').action(async () => (await import('./commands/migrate.js')).migrateCommand());

const instances = program.command('instances').description('product deployments (us, eu, …) that call the instance API');
instances
  .command('create')
  .argument('<slug>', 'lower-case letters, digits and dashes, e.g. us or eu')
  .option('--name <name>', 'display name (default: the slug in upper case)')
  .option('--reason <reason>', 'why, for the audit log')
  .description('create an instance')
  .action(async (slug: string, opts: { name?: string; reason?: string }) => (await import('./commands/instances.js')).instancesCreateCommand(slug, opts));

const keys = program.command('keys').description('API keys (shown once, stored hashed)');
keys
  .command('create')
  .option('--instance <slug>', 'an instance key for this instance (slug or ID)')
  .option('--staff <email>', "a staff automation key acting with this staff member's role")
  .option('--name <name>', 'what uses the key')
  .option('--reason <reason>', 'why, for the audit log')
  .description('create an API key; prints the secret (once) on stdout')
  .action(async (opts: { instance?: string; staff?: string; name?: string; reason?: string }) => (await import('./commands/instances.js')).keysCreateCommand(opts));

const usage = program.command('usage').description('usage events');
usage
  .command('import')
  .argument('<file>', 'JSON lines (.jsonl) or CSV (.csv: id,customer,metric,value,timestamp[,properties as JSON])')
  .requiredOption('--instance <slug>', 'the instance whose customers the events belong to (slug or ID)')
  .option('--batch <n>', 'events per batch and transaction (1–1000)', '1000')
  .option('--resume', 'continue after the last committed batch of an earlier run on this file')
  .option('--max-batches <n>', 'stop after this many batches (continue later with --resume)')
  .description('backfill usage from a file, in batches, with a progress bar; resumable (event ids make a re-sent batch harmless)')
  .action(async (file: string, opts: { instance: string; batch: string; resume?: boolean; maxBatches?: string }) => {
    process.exitCode = await (await import('./commands/usage-import.js')).usageImportCommand(file, opts);
  });

const config = program.command('config').description('billing config file tools');
config
  .command('validate')
  .argument('<file>', 'billing config YAML')
  .description('check a billing config; lists every error with its path and line')
  .action(async (file: string) => {
    process.exitCode = (await import('./commands/config-validate.js')).configValidateCommand(file);
  });

const contracts = program.command('contracts').description('annual contracts from order forms');
contracts
  .command('import')
  .argument('<file>', 'order form: YAML, JSON or field,value CSV')
  .option('--format <format>', 'yaml, json or csv (default: from the file name)')
  .option('--save', 'store it for review in the configured database (with catalog and customer checks)')
  .description('read an order form; prints the parsed contract, or every problem with its field path (exit 1)')
  .action(async (file: string, opts: { format?: string; save?: boolean }) => {
    process.exitCode = await (await import('./commands/contracts.js')).contractsImportCommand(file, opts);
  });

program
  .command('revenue')
  .description('revenue schedules for finance')
  .command('export')
  .option('--from <month>', 'first month, YYYY-MM')
  .option('--to <month>', 'last month, YYYY-MM')
  .option('--by <grouping>', 'contract, customer or product', 'contract')
  .option('--out <file>', 'write the CSV here instead of stdout')
  .description('recognized revenue per month from the amortization schedules, as CSV (minor units)')
  .action(async (opts: { from?: string; to?: string; by?: string; out?: string }) => {
    process.exitCode = await (await import('./commands/contracts.js')).revenueExportCommand(opts);
  });

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const license = program.command('license').description('self-managed licenses (signed, verifiable offline)');
license
  .command('issue')
  .requiredOption('--customer <id>', 'cus_…')
  .requiredOption('--plan <plan>', 'e.g. enterprise')
  .option('--feature <key>', 'a feature key; repeat for several', collect)
  .option('--limit <name=n>', 'a limit, e.g. seats=10; repeat for several', collect)
  .requiredOption('--starts <date>', 'YYYY-MM-DD or ISO date-time')
  .requiredOption('--expires <date>', 'YYYY-MM-DD or ISO date-time')
  .option('--out <file>', 'write the license file here instead of stdout')
  .option('--reason <text>', 'for the audit log')
  .description('issue a signed license file')
  .action(async (opts: { customer: string; plan: string; feature?: string[]; limit?: string[]; starts: string; expires: string; out?: string; reason?: string }) => {
    process.exitCode = await (await import('./commands/licenses.js')).licenseIssueCommand(opts);
  });
license
  .command('verify')
  .argument('<file>', 'a license file')
  .requiredOption('--keys <url-or-file>', 'the public keys: a URL of GET /v1/license-keys or a saved copy (offline)')
  .option('--at <instant>', 'check validity at this instant instead of now')
  .description('verify a license file; exit 0 only when valid')
  .action(async (file: string, opts: { keys: string; at?: string }) => {
    process.exitCode = await (await import('./commands/licenses.js')).licenseVerifyCommand(file, opts);
  });

program
  .command('simulate')
  .argument('<scenario>', 'scenario YAML (see docs/simulation.md)')
  .option('--out <file>', 'write the JSON here instead of stdout')
  .option('--config <file>', "use this billing config instead of the scenario's (preview a pricing change)")
  .description('run a scenario through the real services on an in-memory database; prints invoices and entitlements as JSON')
  .action(async (scenario: string, opts: { out?: string; config?: string }) => {
    process.exitCode = await (await import('./commands/simulate.js')).simulateCommand(scenario, opts);
  });

program
  .command('sync')
  .description('sync customers with the payment provider (R22): fix what Tally owns, print the drift left (exit 2 when there is some)')
  .option('--customer <id>', 'a customer ID (repeat for several)', (v: string, all: string[] = []) => [...all, v])
  .option('--reason <text>', 'why, for the audit log')
  .option('--json', 'print the report as JSON')
  .action(async (opts: { customer?: string[]; reason?: string; json?: boolean }) => {
    process.exitCode = await (await import('./commands/sync.js')).syncCommand(opts);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = reportCliError(e);
}
