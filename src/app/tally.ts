import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { bootstrapIfEmpty, type FirstRun } from '../billing/bootstrap/first-run.js';
import { activateCatalogConfig, type CatalogVersion } from '../billing/catalog/catalog-versions.js';
import { systemActor } from '../billing/context.js';
import { formatConfigErrors, type ConfigError } from '../core/catalog/index.js';
import { createPayments } from '../billing/providers/select.js';
import { buildServer } from '../http/server.js';
import { buildJobRegistry } from '../jobs/registry-default.js';
import { startWorker } from '../jobs/worker.js';
import type { Clock } from '../shared/clock.js';
import { TallyError, isTallyError } from '../shared/errors.js';
import type { Database } from '../store/database.js';
import type { Logger } from './logger.js';
import { openStore } from './open-store.js';
import { storeSharedSettings } from './shared-settings.js';
import { workerTuning, type Settings } from './settings.js';
import { VERSION } from './version.js';

export interface RunningTally {
  readonly url: string;
  readonly database: Database;
  readonly app: FastifyInstance;
  readonly catalog: CatalogVersion;
  /** What this start created on an empty installation (secrets to print once), or null on later starts. */
  readonly firstRun: FirstRun | null;
  close(): Promise<void>;
}

/** Reads the billing config file; invalid config stops start-up with every error listed. */
export async function loadConfigFile(database: Database, clock: Clock, path: string): Promise<{ version: CatalogVersion; created: boolean; changed: boolean }> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new TallyError('invalid_request', 'config_unreadable', `Cannot read the billing config ${path}: ${(e as Error).message}`, { param: 'TALLY_CONFIG' });
  }
  try {
    return await activateCatalogConfig(database.db, clock, text, basename(path));
  } catch (e) {
    if (isTallyError(e) && e.code === 'config_invalid') {
      const errors = (e.details as { errors: ConfigError[] }).errors;
      throw new TallyError('invalid_request', 'config_invalid', `The billing config is invalid:\n${formatConfigErrors(errors, path)}`, { param: 'TALLY_CONFIG' });
    }
    throw e;
  }
}

/** Opens the store, loads the config and serves HTTP. Everything the process holds is released by close(). */
export async function startTally(settings: Settings, clock: Clock, logger: Logger): Promise<RunningTally> {
  const database = await openStore(settings, clock);
  let app: FastifyInstance | null = null;
  try {
    await storeSharedSettings(database, clock, settings, logger);
    const loaded = await loadConfigFile(database, clock, settings.configPath);
    logger.info({ version: loaded.version.id, hash: loaded.version.hash.slice(0, 12), changed: loaded.changed }, `billing config ${settings.configPath}`);
    const payments = createPayments(settings.payments, clock);
    logger.info({ provider: payments.provider.name }, `payment provider: ${payments.provider.name}`);
    app = await buildServer({ database, clock, logger, version: VERSION, seller: settings.seller, approvals: settings.approvals, payments });
    const address = await app.listen({ host: settings.host, port: settings.port });
    // After listen succeeded: secrets shown once must not be created by a start that then fails (port taken).
    const firstRun = await bootstrapIfEmpty({ db: database.db, clock, actor: systemActor('bootstrap') }, { adminPassword: settings.adminPassword });
    // Only IDs in the log: the secrets go to the terminal once (serve prints them), never to log storage.
    if (firstRun) logger.info({ instance: firstRun.instance.id, key: firstRun.instanceKey.id, owner: firstRun.owner.id }, 'first run: created the demo instance, its key and the owner account');
    // The worker runs in the serving process: on PGlite it is the only process there can be (the lock),
    // on PostgreSQL `tally worker` processes may run beside it.
    const worker = settings.runWorker ? startWorker({ database, clock, registry: buildJobRegistry({ provider: payments.provider }), logger, ...workerTuning(settings, database.kind) }) : null;
    const finalApp = app;
    let closing: Promise<void> | null = null;
    return {
      url: address.replace('[::1]', 'localhost'),
      database,
      app: finalApp,
      catalog: loaded.version,
      firstRun,
      close: () =>
        (closing ??= (async () => {
          try {
            await finalApp.close();
            await worker?.stop();
          } finally {
            await database.close();
          }
        })()),
    };
  } catch (e) {
    await app?.close().catch(() => {});
    await database.close();
    throw e;
  }
}
