import { openStore } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { createInstanceKey, createStaffKey, type CreatedKey } from '../../billing/api-keys/api-keys.js';
import { systemActor, withDb, type ServiceContext } from '../../billing/context.js';
import { createInstance, resolveInstance } from '../../billing/instances/instances.js';
import { findStaffByEmail } from '../../billing/staff/staff.js';
import { systemClock } from '../../shared/clock.js';
import { invalid, notFound } from '../../shared/errors.js';
import { inTransaction } from '../../store/transaction.js';

/** Runs `fn` in one transaction on the configured database, as the `cli` system actor. */
async function withStore<T>(fn: (ctx: ServiceContext) => Promise<T>): Promise<T> {
  const database = await openStore(readSettings(), systemClock);
  try {
    return await inTransaction(database.db, (tx) => fn(withDb({ db: database.db, clock: systemClock, actor: systemActor('cli') }, tx)));
  } finally {
    await database.close();
  }
}

/** `tally instances create SLUG [--name NAME]` */
export async function instancesCreateCommand(slug: string, opts: { name?: string; reason?: string }): Promise<void> {
  const instance = await withStore((ctx) => createInstance(ctx, { slug, ...(opts.name ? { name: opts.name } : {}) }, { reason: opts.reason ?? 'created with tally instances create' }));
  process.stdout.write(`Created instance ${instance.slug} (${instance.id}, "${instance.name}").\n`);
  process.stderr.write(`Give it an API key with: tally keys create --instance ${instance.slug}\n`);
}

/**
 * `tally keys create --instance SLUG | --staff EMAIL [--name NAME]`. The secret alone goes to stdout, so
 * `KEY=$(tally keys create --instance eu)` captures it; the explanation goes to stderr.
 */
export async function keysCreateCommand(opts: { instance?: string; staff?: string; name?: string; reason?: string }): Promise<void> {
  if (!opts.instance === !opts.staff) throw invalid('owner_required', 'Give exactly one of --instance SLUG or --staff EMAIL.', 'instance');
  const why = { reason: opts.reason ?? 'created with tally keys create' };
  const { created, owner } = await withStore(async (ctx): Promise<{ created: CreatedKey; owner: string }> => {
    if (opts.instance) {
      const instance = await resolveInstance(ctx, opts.instance);
      return { created: await createInstanceKey(ctx, instance.id, opts.name ?? `cli key for ${instance.slug}`, why), owner: `instance ${instance.slug}` };
    }
    const member = await findStaffByEmail(ctx, opts.staff ?? '');
    if (!member) throw notFound('staff member with email', opts.staff ?? '', 'staff');
    return { created: await createStaffKey(ctx, member.id, opts.name ?? 'cli staff key', why), owner: `${member.email} (${member.role})` };
  });
  process.stderr.write(`Created ${created.key.id} for ${owner}. This is the only time the key is shown; store it now:\n`);
  process.stdout.write(`${created.secret}\n`);
}
