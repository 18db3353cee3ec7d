/**
 * Self-managed licenses (R21): a signed statement of a customer's plan, features and limits for a
 * period, which a deployment verifies offline against the published keys (core/licenses).
 */
import { and, desc, eq, lt } from 'drizzle-orm';
import { signLicense, type LicenseFile, type LicensePayload } from '../../core/licenses/license.js';
import { invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { licenses } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { getCustomer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { activeSigningKey, licenseSecretFromEnv } from './keys.js';

export interface IssueLicenseInput {
  customerId: string;
  plan: string;
  features?: readonly string[];
  limits?: Readonly<Record<string, number>>;
  startsAt: Date;
  expiresAt: Date;
  contractId?: string | null;
}

export interface License {
  id: string;
  customerId: string;
  kid: string;
  plan: string;
  payload: LicensePayload;
  file: LicenseFile;
  startsAt: Date;
  expiresAt: Date;
  issuedAt: Date;
  issuedBy: string;
  contractId: string | null;
}

type Row = typeof licenses.$inferSelect;
const toLicense = (r: Row): License => ({ ...r, payload: r.payload as LicensePayload, file: r.file as LicenseFile });

const KEY_RE = /^[a-z][a-z0-9_.-]{0,63}$/;

function checkInput(input: IssueLicenseInput): { features: string[]; limits: Record<string, number> } {
  if (typeof input.plan !== 'string' || !input.plan.trim() || input.plan.length > 100) throw invalid('plan_required', 'A license names its plan (e.g. enterprise).', 'plan');
  const features = [...(input.features ?? [])];
  features.forEach((f, i) => {
    if (typeof f !== 'string' || !KEY_RE.test(f)) throw invalid('invalid_feature', `features.${i} must be a feature key (lower case, e.g. saml_sso).`, `features.${i}`);
  });
  if (new Set(features).size !== features.length) throw invalid('duplicate_feature', 'A feature is listed twice.', 'features');
  const limits: Record<string, number> = {};
  for (const [k, v] of Object.entries(input.limits ?? {})) {
    if (!KEY_RE.test(k)) throw invalid('invalid_limit', `'${k}' is not a limit key (lower case, e.g. seats).`, `limits.${k}`);
    if (!Number.isSafeInteger(v) || v < 0) throw invalid('invalid_limit', `limits.${k} must be a whole number ≥ 0.`, `limits.${k}`);
    limits[k] = v;
  }
  for (const [name, d] of [['starts_at', input.startsAt], ['expires_at', input.expiresAt]] as const) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw invalid('invalid_date', `${name} must be a valid instant.`, name);
  }
  if (input.expiresAt <= input.startsAt) throw invalid('invalid_period', 'expires_at must be after starts_at.', 'expires_at');
  return { features, limits };
}

/** Issues and stores a signed license for a customer with the active key. Audited. */
export async function issueLicense(ctx: ServiceContext, input: IssueLicenseInput, why: Justification = {}, secret: string | null = licenseSecretFromEnv()): Promise<License> {
  requireJustification(ctx, why);
  const { features, limits } = checkInput(input);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await getCustomer(c, input.customerId);
    const now = c.clock.now();
    const key = await activeSigningKey(c, secret);
    const id = newId('license', now);
    const payload: LicensePayload = {
      license_id: id,
      customer_id: customer.id,
      customer_name: customer.name ?? customer.externalId,
      plan: input.plan.trim(),
      features,
      limits,
      starts_at: input.startsAt.toISOString(),
      expires_at: input.expiresAt.toISOString(),
      issued_at: now.toISOString(),
    };
    const file = signLicense(payload, key.kid, key.privateKey);
    const [row] = await tx
      .insert(licenses)
      .values({ id, customerId: customer.id, kid: key.kid, plan: payload.plan, payload, file, startsAt: input.startsAt, expiresAt: input.expiresAt, issuedAt: now, issuedBy: c.actor.id, contractId: input.contractId ?? null })
      .returning();
    await recordEvent(c, { type: 'license.issued', instanceId: customer.instanceId, customerId: customer.id, objectId: id, data: { plan: payload.plan, kid: key.kid, starts_at: payload.starts_at, expires_at: payload.expires_at } });
    await recordAudit(c, { action: 'license.issue', targetType: 'license', targetId: id, customerId: customer.id, after: payload, ...why });
    return toLicense(row!);
  });
}

export async function getLicense(ctx: ServiceContext, id: string): Promise<License> {
  const [row] = await ctx.db.select().from(licenses).where(eq(licenses.id, id));
  if (!row) throw notFound('license', id, 'license');
  return toLicense(row);
}

/** Newest first, optionally one customer's; `startingAfter` is the last id of the previous page. */
export async function listLicenses(ctx: ServiceContext, opts: { customerId?: string; limit: number; startingAfter?: string }): Promise<{ data: License[]; hasMore: boolean }> {
  const conds = [];
  if (opts.customerId) conds.push(eq(licenses.customerId, opts.customerId));
  if (opts.startingAfter) conds.push(lt(licenses.id, opts.startingAfter));
  const rows = await ctx.db
    .select()
    .from(licenses)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(licenses.id))
    .limit(opts.limit + 1);
  return { data: rows.slice(0, opts.limit).map(toLicense), hasMore: rows.length > opts.limit };
}
