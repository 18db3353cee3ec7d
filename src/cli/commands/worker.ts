import { createLogger } from '../../app/logger.js';
import { openStore } from '../../app/open-store.js';
import { readSettings, workerTuning } from '../../app/settings.js';
import { storeSharedSettings } from '../../app/shared-settings.js';
import { createPayments } from '../../billing/providers/select.js';
import { buildJobRegistry } from '../../jobs/registry-default.js';
import { startWorker, type RunningWorker } from '../../jobs/worker.js';
import type { Clock } from '../../shared/clock.js';
import { clockFromEnv } from '../../shared/file-clock.js';
import type { Database } from '../../store/database.js';
import { reportCliError } from '../output.js';

export interface WorkerCommandOptions {
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  /** Stop on SIGINT/SIGTERM and then exit the process (the CLI). Tests stop through the returned handle. */
  handleSignals?: boolean;
  write?: (text: string) => void;
}

export interface RunningWorkerCommand {
  readonly worker: RunningWorker;
  readonly database: Database;
  /** Stops the worker (waiting for running jobs), closes the database and prints the stop line. */
  stop(): Promise<void>;
}

/** `tally worker`: runs the job worker alone (no HTTP) until SIGINT/SIGTERM. Null when it could not start. */
export async function workerCommand(options: WorkerCommandOptions = {}): Promise<RunningWorkerCommand | null> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const settings = readSettings(options.env);
  const logger = createLogger({ level: settings.logLevel, pretty: settings.prettyLogs });
  let database: Database;
  let clock: Clock;
  try {
    clock = options.clock ?? clockFromEnv(options.env ?? process.env);
    database = await openStore(settings, clock);
  } catch (e) {
    process.exitCode = reportCliError(e);
    logger.flush?.();
    return null;
  }
  try {
    await storeSharedSettings(database, clock, settings, logger);
  } catch (e) {
    await database.close();
    process.exitCode = reportCliError(e);
    logger.flush?.();
    return null;
  }
  const registry = buildJobRegistry({ provider: createPayments(settings.payments, clock).provider });
  const worker = startWorker({ database, clock, registry, logger, ...workerTuning(settings, database.kind) });
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      try {
        await worker.stop();
      } finally {
        await database.close();
      }
      write('Tally worker stopped.\n');
    })());

  if (options.handleSignals ?? true) {
    const onSignal = (signal: string) => {
      logger.info({ signal }, 'stopping the worker (waiting for running jobs)');
      stop()
        .then(() => process.exit(0))
        .catch((e: unknown) => {
          logger.error({ err: e }, 'error while stopping the worker');
          process.exit(1);
        });
    };
    // once: a second signal gets the default action and ends the process even if a handler hangs.
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  }
  // Printed only once the signal handlers are in place: whoever waits for this line may signal at once.
  const where = database.kind === 'pglite' ? `PGlite at ${database.where}` : `PostgreSQL at ${database.where}`;
  write(`Tally worker ${worker.workerId} is running (${where}; kinds: ${registry.list().join(', ')})\n`);
  return { worker, database, stop };
}
