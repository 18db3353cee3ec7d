import { randomBytes } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { meta } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { createInstanceKey, type ApiKeyInfo } from '../api-keys/api-keys.js';
import { withDb, type ServiceContext } from '../context.js';
import { countInstances, createInstance, type Instance } from '../instances/instances.js';
import { checkPassword, countStaff, createStaff, type StaffMember } from '../staff/staff.js';

export const FIRST_RUN_OWNER_EMAIL = 'owner@tally.local';
export const FIRST_RUN_INSTANCE_SLUG = 'demo';
const META_KEY = 'first_run';

/** What the first start created, for the newcomer to read once. */
export interface FirstRun {
  instance: Instance;
  instanceKey: ApiKeyInfo;
  /** The instance key's secret: shown once, stored only as a hash. */
  instanceKeySecret: string;
  owner: StaffMember;
  /** The generated one-time password, or null when TALLY_ADMIN_PASSWORD supplied it. */
  generatedPassword: string | null;
}

/** Readable and typeable: no 0/O or 1/l/I. 20 characters from 56 ≈ 116 bits. */
function generatePassword(): string {
  const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
  let out = '';
  while (out.length < 20) {
    for (const b of randomBytes(32)) {
      if (b < 224 && out.length < 20) out += alphabet[b % 56];
    }
  }
  return out;
}

/**
 * On an empty installation (no instance and no staff): a `demo` instance with an API key and an owner
 * account, so a newcomer can sign in and send usage at once. Returns null on every later call. Safe
 * when several processes start together: the `first_run` meta row lets exactly one of them do it.
 */
export async function bootstrapIfEmpty(ctx: ServiceContext, options: { adminPassword?: string | null } = {}): Promise<FirstRun | null> {
  if (options.adminPassword != null) checkPassword(options.adminPassword, 'TALLY_ADMIN_PASSWORD');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    if ((await countInstances(tx)) > 0 || (await countStaff(tx)) > 0) return null;
    const now = ctx.clock.now();
    // Blocks on a concurrent first run's uncommitted row, then does nothing: one winner.
    const claimed = await tx
      .insert(meta)
      .values({ key: META_KEY, value: { started_at: now.toISOString() }, updatedAt: now })
      .onConflictDoNothing()
      .returning({ key: meta.key });
    if (claimed.length === 0) return null;

    const why = { reason: 'first run: demo setup' };
    const instance = await createInstance(c, { slug: FIRST_RUN_INSTANCE_SLUG, name: 'Demo' }, why);
    const { key, secret } = await createInstanceKey(c, instance.id, 'first-run demo key', why);
    const generatedPassword = options.adminPassword == null ? generatePassword() : null;
    const owner = await createStaff(c, { email: FIRST_RUN_OWNER_EMAIL, name: 'Owner', role: 'owner', password: options.adminPassword ?? generatedPassword ?? undefined }, why);
    await tx
      .update(meta)
      .set({
        // The admin UI reads `password_generated` to ask for a new password at first sign-in.
        value: { at: now.toISOString(), instance_id: instance.id, key_id: key.id, owner_id: owner.id, password_generated: generatedPassword !== null },
        updatedAt: now,
      })
      .where(eq(meta.key, META_KEY));
    return { instance, instanceKey: key, instanceKeySecret: secret, owner, generatedPassword };
  });
}
