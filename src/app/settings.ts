import { resolve } from 'node:path';
import { checkPassword } from '../billing/staff/staff.js';
import { invalid } from '../shared/errors.js';

/** Process-level settings, read once from the environment at the edge and passed down explicitly. */
export interface Settings {
  host: string;
  port: number;
  /** PostgreSQL URL; when absent Tally runs on embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  configPath: string;
  logLevel: string;
  /** Print logs human-readable (a TTY) or as JSON lines. */
  prettyLogs: boolean;
  /** TALLY_ADMIN_PASSWORD: the first-run owner's password; without it one is generated and printed once. */
  adminPassword: string | null;
  /** Whether `tally serve` also runs the job worker (default yes; TALLY_WORKER=off for API-only nodes on PostgreSQL). */
  runWorker: boolean;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const port = env.PORT === undefined || env.PORT === '' ? 4242 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid('invalid_setting', `PORT must be an integer between 0 and 65535, got '${env.PORT}'.`, 'PORT');
  }
  // Checked here so a too-short password stops start-up before anything is created.
  if (env.TALLY_ADMIN_PASSWORD) checkPassword(env.TALLY_ADMIN_PASSWORD, 'TALLY_ADMIN_PASSWORD');
  return {
    host: env.HOST || '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || null,
    dataDir: resolve(cwd, env.TALLY_DATA_DIR || '.tally/data'),
    configPath: resolve(cwd, env.TALLY_CONFIG || 'examples/billing.yaml'),
    logLevel: env.LOG_LEVEL || 'info',
    prettyLogs: env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : Boolean(process.stdout.isTTY),
    adminPassword: env.TALLY_ADMIN_PASSWORD || null,
    runWorker: env.TALLY_WORKER !== 'off',
  };
}
