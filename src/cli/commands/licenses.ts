import { readFileSync, writeFileSync } from 'node:fs';
import { openStore } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { systemActor, withDb, type ServiceContext } from '../../billing/context.js';
import { issueLicense } from '../../billing/licenses/licenses.js';
import { licenseFileText, verifyLicense, type PublicKeyJwk } from '../../core/licenses/license.js';
import { parseDateOnly } from '../../core/periods/date-only.js';
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

function instant(value: string, param: string): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return parseDateOnly(value, param);
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(d.getTime())) throw invalid('invalid_date', `--${param} must be a date (2026-02-01) or an ISO date-time; got '${value}'.`, param);
  return d;
}

/** `seats=10` → ['seats', 10]. */
function limitOf(text: string): [string, number] {
  const m = /^([a-z][a-z0-9_.-]*)=(\d+)$/.exec(text.trim());
  if (!m) throw invalid('invalid_limit', `--limit takes name=number (seats=10); got '${text}'.`, 'limit');
  return [m[1]!, Number(m[2])];
}

/** `tally license issue --customer ID --plan P [--feature F]… [--limit seats=10]… --starts D --expires D [--out FILE]` */
export async function licenseIssueCommand(opts: { customer: string; plan: string; feature?: string[]; limit?: string[]; starts: string; expires: string; out?: string; reason?: string }): Promise<number> {
  const input = {
    customerId: opts.customer,
    plan: opts.plan,
    features: opts.feature ?? [],
    limits: Object.fromEntries((opts.limit ?? []).map(limitOf)),
    startsAt: instant(opts.starts, 'starts'),
    expiresAt: instant(opts.expires, 'expires'),
  };
  const lic = await withStore((ctx) => issueLicense(ctx, input, { reason: opts.reason ?? 'issued with tally license issue' }));
  const text = licenseFileText(lic.file);
  if (opts.out) {
    writeFileSync(opts.out, text);
    process.stderr.write(`Issued ${lic.id} (key ${lic.kid}), written to ${opts.out}.\n`);
  } else process.stdout.write(text);
  return 0;
}

async function loadKeys(source: string): Promise<PublicKeyJwk[]> {
  let body: unknown;
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source);
    if (!res.ok) throw invalid('keys_unavailable', `GET ${source} answered ${res.status}.`, 'keys');
    body = await res.json();
  } else body = JSON.parse(readFileSync(source, 'utf8'));
  const keys = Array.isArray(body) ? body : (body as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) throw invalid('invalid_keys', `${source} is not a keys document ({"keys": [...]}).`, 'keys');
  return keys as PublicKeyJwk[];
}

/**
 * `tally license verify FILE --keys URL|FILE [--at ISO]`: offline with a keys file (the JSON of
 * GET /v1/license-keys). Prints the verdict and the payload; exit 0 only when valid.
 */
export async function licenseVerifyCommand(file: string, opts: { keys: string; at?: string }): Promise<number> {
  const keys = await loadKeys(opts.keys);
  const at = opts.at ? instant(opts.at, 'at') : systemClock.now();
  const r = verifyLicense(readFileSync(file, 'utf8'), keys, at);
  process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  if (r.valid) process.stderr.write(`${file}: valid license for ${r.payload.customer_name} (${r.payload.plan}) until ${r.payload.expires_at}\n`);
  else process.stderr.write(`${file}: INVALID (${r.reason})${'message' in r && r.message ? `: ${r.message}` : ''}\n`);
  return r.valid ? 0 : 1;
}
