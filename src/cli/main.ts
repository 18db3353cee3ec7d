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
  HOST, PORT       where to listen (default 127.0.0.1:4242)
  LOG_LEVEL        pino level (default info); LOG_FORMAT=json|pretty`,
  );

program
  .command('serve')
  .description('run the HTTP API (and the job worker) until SIGINT/SIGTERM')
  .action(async () => (await import('./commands/serve.js')).serveCommand());

program.command('migrate').description('apply pending database migrations').action(async () => (await import('./commands/migrate.js')).migrateCommand());

const config = program.command('config').description('billing config file tools');
config
  .command('validate')
  .argument('<file>', 'billing config YAML')
  .description('check a billing config; lists every error with its path and line')
  .action(async (file: string) => {
    process.exitCode = (await import('./commands/config-validate.js')).configValidateCommand(file);
  });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  process.exitCode = reportCliError(e);
}
