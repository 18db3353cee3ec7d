import { resolve } from 'node:path';
import { parsePrivateNetworks } from '../billing/webhooks/destination-policy.js';
import { parseApprovalPolicy, type ApprovalPolicy } from '../billing/approvals/policy.js';
import type { SellerDetails } from '../billing/invoices/pdf-view.js';
import { readPaymentSettings, type PaymentSettings } from '../billing/providers/settings.js';
import { checkPassword } from '../billing/staff/staff.js';
import { invalid } from '../shared/errors.js';
import type { DatabaseKind } from '../store/database.js';

/** Process-level settings, read once from the environment at the edge and passed down explicitly. */
export interface Settings {
  host: string;
  port: number;
  /** PostgreSQL URL; when absent Tally runs on embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  /** Connections this process keeps to PostgreSQL at most (TALLY_DB_POOL_SIZE, default 10). */
  dbPoolSize: number;
  dataDir: string;
  configPath: string;
  logLevel: string;
  /** Print logs human-readable (a TTY) or as JSON lines. */
  prettyLogs: boolean;
  /** TALLY_ADMIN_PASSWORD: the first-run owner's password; without it one is generated and printed once. */
  adminPassword: string | null;
  /** Whether `tally serve` also runs the job worker (default yes; TALLY_WORKER=off for API-only nodes on PostgreSQL). */
  runWorker: boolean;
  /**
   * Job slots the worker runs at once (TALLY_WORKER_CONCURRENCY; default 1 on PGlite, whose one session
   * runs one transaction at a time, and 2 on PostgreSQL, so one batch's queries overlap another's work).
   */
  workerConcurrency: number | null;
  /** How long an idle worker waits before looking for due jobs again (TALLY_WORKER_POLL_MS, default 1000). */
  workerPollMs: number;
  /**
   * Minutes a closed period's invoice waits for late usage (R17). Null when TALLY_INVOICE_GRACE_MINUTES is
   * unset: the value stored in the database is used (60 when none was ever set). See billing/invoicing/grace.ts.
   */
  invoiceGraceMinutes: number | null;
  /** Who issues the invoices and the bank details printed on them (TALLY_SELLER_*, TALLY_BANK_*). */
  seller: SellerDetails;
  /** Which staff actions need a second person's approval (TALLY_APPROVALS; credits always). */
  approvals: ApprovalPolicy;
  /** Stripe when STRIPE_SECRET_KEY is set (with STRIPE_WEBHOOK_SECRET), else the manual provider. */
  payments: PaymentSettings;
}

function readGraceMinutes(raw: string | undefined): number | null {
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 60 * 24 * 31) {
    throw invalid('invalid_setting', `TALLY_INVOICE_GRACE_MINUTES must be a whole number of minutes (0 to 44640), got '${raw}'.`, 'TALLY_INVOICE_GRACE_MINUTES');
  }
  return n;
}

function readPoolSize(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 10;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 500) throw invalid('invalid_setting', `TALLY_DB_POOL_SIZE must be a whole number from 1 to 500, got '${raw}'.`, 'TALLY_DB_POOL_SIZE');
  return n;
}

/** The worker's slots and idle poll interval for a database of this kind. */
export function workerTuning(settings: Settings, databaseKind: DatabaseKind): { concurrency: number; pollMs: number } {
  return { concurrency: settings.workerConcurrency ?? (databaseKind === 'pglite' ? 1 : 2), pollMs: settings.workerPollMs };
}

function readWholeNumber(raw: string | undefined, name: string, min: number, max: number): number | null {
  if (raw === undefined || raw === '') return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw invalid('invalid_setting', `${name} must be a whole number from ${min} to ${max}, got '${raw}'.`, name);
  return n;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Settings {
  const port = env.PORT === undefined || env.PORT === '' ? 4242 : Number(env.PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw invalid('invalid_setting', `PORT must be an integer between 0 and 65535, got '${env.PORT}'.`, 'PORT');
  }
  // Checked here so a too-short password stops start-up before anything is created.
  if (env.TALLY_ADMIN_PASSWORD) checkPassword(env.TALLY_ADMIN_PASSWORD, 'TALLY_ADMIN_PASSWORD');
  // Read where deliveries happen; checked here so a typo stops start-up instead of being taken as 'allow'.
  parsePrivateNetworks(env.TALLY_WEBHOOK_PRIVATE_NETWORKS);
  return {
    host: env.HOST || '127.0.0.1',
    port,
    databaseUrl: env.DATABASE_URL || null,
    dbPoolSize: readPoolSize(env.TALLY_DB_POOL_SIZE),
    dataDir: resolve(cwd, env.TALLY_DATA_DIR || '.tally/data'),
    configPath: resolve(cwd, env.TALLY_CONFIG || 'examples/billing.yaml'),
    logLevel: env.LOG_LEVEL || 'info',
    prettyLogs: env.LOG_FORMAT ? env.LOG_FORMAT === 'pretty' : Boolean(process.stdout.isTTY),
    adminPassword: env.TALLY_ADMIN_PASSWORD || null,
    runWorker: env.TALLY_WORKER !== 'off',
    workerConcurrency: readWholeNumber(env.TALLY_WORKER_CONCURRENCY, 'TALLY_WORKER_CONCURRENCY', 1, 64),
    workerPollMs: readWholeNumber(env.TALLY_WORKER_POLL_MS, 'TALLY_WORKER_POLL_MS', 10, 60_000) ?? 1000,
    invoiceGraceMinutes: readGraceMinutes(env.TALLY_INVOICE_GRACE_MINUTES),
    seller: readSellerDetails(env),
    approvals: parseApprovalPolicy(env.TALLY_APPROVALS),
    payments: readPaymentSettings(env),
  };
}

const BANK_REQUIRED = ['TALLY_BANK_NAME', 'TALLY_BANK_ROUTING_NUMBER', 'TALLY_BANK_ACCOUNT_NUMBER'] as const;

/**
 * The seller on every invoice document. The defaults are a demo company, so a newcomer's first invoice
 * looks complete; set TALLY_SELLER_NAME, TALLY_SELLER_ADDRESS (lines separated by `|`), TALLY_SELLER_EMAIL,
 * TALLY_SELLER_TAX_ID (and TALLY_SELLER_TAX_ID_LABEL, default `Tax ID`) for real ones. ACH instructions
 * are printed only when TALLY_BANK_NAME, TALLY_BANK_ROUTING_NUMBER and TALLY_BANK_ACCOUNT_NUMBER are all set
 * (optional: TALLY_BANK_ACCOUNT_HOLDER, default the seller's name; TALLY_BANK_ACCOUNT_TYPE; TALLY_BANK_SWIFT);
 * there is no demo default for them, since a customer might pay into it. TALLY_CARD_PAYMENT_URL is printed
 * as the card payment link.
 */
export function readSellerDetails(env: NodeJS.ProcessEnv = process.env): SellerDetails {
  const v = (name: string): string | null => env[name]?.trim() || null;
  const name = v('TALLY_SELLER_NAME') ?? 'Tally Demo Company';
  const address = v('TALLY_SELLER_ADDRESS') ?? '1 Example Street|San Francisco, CA 94105|United States';
  const taxId = v('TALLY_SELLER_TAX_ID');
  const bankSet = BANK_REQUIRED.filter((k) => v(k) !== null);
  if (bankSet.length > 0 && bankSet.length < BANK_REQUIRED.length) {
    const missing = BANK_REQUIRED.filter((k) => v(k) === null);
    throw invalid('invalid_setting', `Bank transfer details are incomplete: set ${missing.join(' and ')} too (or none of ${BANK_REQUIRED.join(', ')}).`, missing[0]);
  }
  return {
    seller: {
      name,
      addressLines: address
        .split('|')
        .map((l) => l.trim())
        .filter(Boolean),
      email: v('TALLY_SELLER_EMAIL') ?? (env.TALLY_SELLER_NAME ? null : 'billing@tally.example'),
      taxId: taxId ? { label: v('TALLY_SELLER_TAX_ID_LABEL') ?? 'Tax ID', value: taxId } : null,
    },
    bankTransfer:
      bankSet.length === BANK_REQUIRED.length
        ? {
            bankName: v('TALLY_BANK_NAME') as string,
            accountHolder: v('TALLY_BANK_ACCOUNT_HOLDER') ?? name,
            routingNumber: v('TALLY_BANK_ROUTING_NUMBER') as string,
            accountNumber: v('TALLY_BANK_ACCOUNT_NUMBER') as string,
            accountType: v('TALLY_BANK_ACCOUNT_TYPE'),
            swift: v('TALLY_BANK_SWIFT'),
          }
        : null,
    cardPaymentUrl: v('TALLY_CARD_PAYMENT_URL'),
  };
}
