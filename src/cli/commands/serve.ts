import { createLogger } from '../../app/logger.js';
import { readSettings } from '../../app/settings.js';
import { startTally } from '../../app/tally.js';
import { systemClock } from '../../shared/clock.js';
import { reportCliError } from '../output.js';

/** `tally serve`: runs until SIGINT/SIGTERM, then closes HTTP and the database cleanly. */
export async function serveCommand(): Promise<void> {
  const settings = readSettings();
  const logger = createLogger({ level: settings.logLevel, pretty: settings.prettyLogs });
  let tally;
  try {
    tally = await startTally(settings, systemClock, logger);
  } catch (e) {
    process.exitCode = reportCliError(e);
    logger.flush?.();
    return;
  }
  const where = tally.database.kind === 'pglite' ? `PGlite at ${tally.database.where}` : `PostgreSQL at ${tally.database.where}`;
  process.stdout.write(`Tally is running at ${tally.url} (${where}, config ${settings.configPath})\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    tally
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
}
