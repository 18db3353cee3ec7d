import { createLogger } from '../../app/logger.js';
import { readSettings } from '../../app/settings.js';
import { startTally } from '../../app/tally.js';
import type { FirstRun } from '../../billing/bootstrap/first-run.js';
import { clockFromEnv } from '../../shared/file-clock.js';
import { reportCliError } from '../output.js';

/** What a newcomer needs after the very first start; printed once, since the secrets are not kept. */
export function formatFirstRun(firstRun: FirstRun, url: string): string {
  const password = firstRun.generatedPassword ?? '(from TALLY_ADMIN_PASSWORD)';
  const note = firstRun.generatedPassword ? '   one-time: change it after signing in' : '';
  return [
    '',
    'First start: created a demo instance, its API key and an owner account.',
    'Write these down now — the password and the key are not shown again:',
    '',
    `  Admin URL       ${url}/admin`,
    `  Owner email     ${firstRun.owner.email}`,
    `  Owner password  ${password}${note}`,
    `  Instance key    ${firstRun.instanceKeySecret}   (instance '${firstRun.instance.slug}')`,
    '',
    'Try it:',
    `  curl -X POST ${url}/v1/customers -H "Authorization: Bearer ${firstRun.instanceKeySecret}" \\`,
    `    -H 'Content-Type: application/json' -d '{"external_id": "team_1", "billing_email": "billing@example.com", "currency": "usd"}'`,
    '',
  ].join('\n');
}

/** `tally serve`: runs until SIGINT/SIGTERM, then closes HTTP and the database cleanly. */
export async function serveCommand(): Promise<void> {
  const settings = readSettings();
  const logger = createLogger({ level: settings.logLevel, pretty: settings.prettyLogs });
  let tally;
  try {
    tally = await startTally(settings, clockFromEnv(), logger);
  } catch (e) {
    process.exitCode = reportCliError(e);
    logger.flush?.();
    return;
  }
  // Handlers go in before the ready line: whoever reads it may signal at once.
  const running = tally;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    running
      .close()
      .then(() => {
        process.stdout.write('Tally stopped.\n');
        process.exit(0);
      })
      .catch((e: unknown) => {
        logger.error({ err: e }, 'error during shutdown');
        process.exit(1);
      });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  const where = tally.database.kind === 'pglite' ? `PGlite at ${tally.database.where}` : `PostgreSQL at ${tally.database.where}`;
  process.stdout.write(`Tally is running at ${tally.url} (${where}, config ${settings.configPath})\n`);
  // Straight to stdout, never through the logger: log lines may be shipped and kept.
  if (tally.firstRun) process.stdout.write(formatFirstRun(tally.firstRun, tally.url));
}
