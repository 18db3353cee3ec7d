/**
 * License signing keys (R21): Ed25519 key pairs kept in the database. The newest key that is not retired
 * signs; `rotateLicenseKey` makes a new one and retires the old, which stays published so the licenses
 * it signed keep verifying. With TALLY_SECRET_KEY set, private keys are encrypted at rest (AES-256-GCM
 * under a key derived from it); without it they are stored as plain PEM — anyone who can read the
 * database can then sign licenses, so production installs should set it.
 */
import { createCipheriv, createDecipheriv, createHash, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject, createPrivateKey } from 'node:crypto';
import { asc, desc, eq, isNull } from 'drizzle-orm';
import type { PublicKeyJwk } from '../../core/licenses/license.js';
import { TallyError } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { licenseKeys } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';

type KeyRow = typeof licenseKeys.$inferSelect;
const ENC_PREFIX = 'enc:v1:';

/** The secret for private keys at rest, from the environment (null = stored plainly). */
export function licenseSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | null {
  const s = env.TALLY_SECRET_KEY;
  return s && s.trim() ? s : null;
}

const aesKey = (secret: string): Buffer => createHash('sha256').update(`tally-license-keys\u0000${secret}`).digest();

export function sealPrivateKey(pem: string, secret: string | null): string {
  if (secret === null) return pem;
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', aesKey(secret), iv);
  const ct = Buffer.concat([cipher.update(pem, 'utf8'), cipher.final()]);
  return `${ENC_PREFIX}${iv.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}:${ct.toString('base64url')}`;
}

export function openPrivateKey(stored: string, secret: string | null): KeyObject {
  if (!stored.startsWith(ENC_PREFIX)) return createPrivateKey(stored);
  if (secret === null) throw new TallyError('internal', 'license_key_locked', 'The license signing key is encrypted; set TALLY_SECRET_KEY to the secret it was stored with.');
  const [iv, tag, ct] = stored.slice(ENC_PREFIX.length).split(':');
  try {
    const decipher = createDecipheriv('aes-256-gcm', aesKey(secret), Buffer.from(iv!, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag!, 'base64url'));
    const pem = Buffer.concat([decipher.update(Buffer.from(ct!, 'base64url')), decipher.final()]).toString('utf8');
    return createPrivateKey(pem);
  } catch {
    throw new TallyError('internal', 'license_key_locked', 'The license signing key cannot be decrypted with this TALLY_SECRET_KEY.');
  }
}

export interface LicenseKeyInfo {
  kid: string;
  x: string;
  createdAt: Date;
  retiredAt: Date | null;
  encrypted: boolean;
}

const info = (r: KeyRow): LicenseKeyInfo => ({ kid: r.kid, x: r.publicKey, createdAt: r.createdAt, retiredAt: r.retiredAt, encrypted: r.privateKey.startsWith(ENC_PREFIX) });

export const publicJwk = (k: LicenseKeyInfo): PublicKeyJwk => ({ kid: k.kid, kty: 'OKP', crv: 'Ed25519', x: k.x, created_at: k.createdAt.toISOString(), retired_at: k.retiredAt?.toISOString() ?? null });

async function insertKey(ctx: ServiceContext, secret: string | null): Promise<KeyRow> {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const now = ctx.clock.now();
  const [row] = await ctx.db
    .insert(licenseKeys)
    .values({ kid: newId('licenseKey', now), publicKey: x, privateKey: sealPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string, secret), createdAt: now, retiredAt: null })
    .returning();
  return row!;
}

/** Every key ever used, oldest first: what `GET /v1/license-keys` publishes. */
export async function listLicenseKeys(ctx: ServiceContext): Promise<LicenseKeyInfo[]> {
  const rows = await ctx.db.select().from(licenseKeys).orderBy(asc(licenseKeys.createdAt), asc(licenseKeys.kid));
  return rows.map(info);
}

/** The signing key (created on first use), locked for the caller's transaction. */
export async function activeSigningKey(ctx: ServiceContext, secret: string | null): Promise<{ kid: string; privateKey: KeyObject }> {
  let [row] = await ctx.db.select().from(licenseKeys).where(isNull(licenseKeys.retiredAt)).orderBy(desc(licenseKeys.createdAt), desc(licenseKeys.kid)).limit(1);
  row ??= await insertKey(ctx, secret);
  const privateKey = openPrivateKey(row.privateKey, secret);
  // A key whose public half does not match would sign licenses nobody can verify.
  const x = (createPublicKey(privateKey).export({ format: 'jwk' }) as { x: string }).x;
  if (x !== row.publicKey) throw new TallyError('internal', 'license_key_corrupt', `License key ${row.kid}: the private key does not match the published public key.`);
  return { kid: row.kid, privateKey };
}

/** A new signing key; the previous ones are retired but stay published. Audited. */
export async function rotateLicenseKey(ctx: ServiceContext, why: Justification = {}, secret: string | null = licenseSecretFromEnv()): Promise<LicenseKeyInfo> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const now = c.clock.now();
    const retired = await tx.update(licenseKeys).set({ retiredAt: now }).where(isNull(licenseKeys.retiredAt)).returning({ kid: licenseKeys.kid });
    const row = await insertKey(c, secret);
    await recordAudit(c, { action: 'license_key.rotate', targetType: 'license_key', targetId: row.kid, before: { active: retired.map((r) => r.kid) }, after: { active: row.kid, encrypted: secret !== null }, ...why });
    return info(row);
  });
}

export async function getLicenseKey(ctx: ServiceContext, kid: string): Promise<LicenseKeyInfo | null> {
  const [row] = await ctx.db.select().from(licenseKeys).where(eq(licenseKeys.kid, kid));
  return row ? info(row) : null;
}
