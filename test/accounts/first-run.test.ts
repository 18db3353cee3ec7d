import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { authenticateKey } from '../../src/billing/api-keys/api-keys.js';
import { bootstrapIfEmpty, type FirstRun } from '../../src/billing/bootstrap/first-run.js';
import { systemActor, type ServiceContext } from '../../src/billing/context.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { verifyStaffPassword } from '../../src/billing/staff/staff.js';
import { formatFirstRun } from '../../src/cli/commands/serve.js';
import { readSettings } from '../../src/app/settings.js';
import { ManualClock } from '../../src/shared/clock.js';
import { freshDatabase, backends } from '../support/db.js';
import { apiKeys, meta } from '../../src/store/schema.js';

const clock = new ManualClock('2026-05-01T12:00:00Z');

for (const kind of backends()) {
  describe(`first run [${kind}]`, () => {
    it('creates the demo instance, its key and the owner once; later calls return null', async () => {
      const database = await freshDatabase(kind);
      try {
        const ctx: ServiceContext = { db: database.db, clock, actor: systemActor('bootstrap') };
        const first = await bootstrapIfEmpty(ctx, {});
        expect(first).not.toBeNull();
        const run = first as FirstRun;
        expect(run.instance.slug).toBe('demo');
        expect(run.owner).toMatchObject({ email: 'owner@tally.local', role: 'owner' });
        expect(run.generatedPassword).toMatch(/^[A-Za-z2-9]{20}$/);
        expect(await verifyStaffPassword(database.db, 'owner@tally.local', run.generatedPassword ?? '')).not.toBeNull();
        expect(await authenticateKey(database.db, clock, run.instanceKeySecret)).toMatchObject({ kind: 'instance', instanceId: run.instance.id });
        const [row] = await database.db.select().from(apiKeys).where(eq(apiKeys.id, run.instanceKey.id));
        expect(JSON.stringify(row)).not.toContain(run.instanceKeySecret);
        const [m] = await database.db.select().from(meta).where(eq(meta.key, 'first_run'));
        expect(m?.value).toMatchObject({ instance_id: run.instance.id, owner_id: run.owner.id, password_generated: true });

        // Printed once: the secrets are in the first start's text and nowhere later.
        const text = formatFirstRun(run, 'http://127.0.0.1:4242');
        expect(text).toContain(run.instanceKeySecret);
        expect(text).toContain(run.generatedPassword);
        expect(text).toContain('owner@tally.local');
        expect(text).toContain('http://127.0.0.1:4242/admin');

        expect(await bootstrapIfEmpty(ctx, {})).toBeNull();
        expect(await bootstrapIfEmpty(ctx, { adminPassword: 'another password' })).toBeNull();
      } finally {
        await database.close();
      }
    });

    it('uses the given admin password, and says so instead of printing it', async () => {
      const database = await freshDatabase(kind);
      try {
        const run = await bootstrapIfEmpty({ db: database.db, clock, actor: systemActor('bootstrap') }, { adminPassword: 'my chosen password' });
        expect(run?.generatedPassword).toBeNull();
        expect(await verifyStaffPassword(database.db, 'owner@tally.local', 'my chosen password')).not.toBeNull();
        const text = formatFirstRun(run as FirstRun, 'http://x');
        expect(text).toContain('from TALLY_ADMIN_PASSWORD');
        expect(text).not.toContain('my chosen password');
      } finally {
        await database.close();
      }
    });

    it('does nothing on an installation that already has an instance', async () => {
      const database = await freshDatabase(kind);
      try {
        const ctx: ServiceContext = { db: database.db, clock, actor: systemActor('test') };
        await createInstance(ctx, { slug: 'us' });
        expect(await bootstrapIfEmpty(ctx, {})).toBeNull();
      } finally {
        await database.close();
      }
    });

    it('lets exactly one of several simultaneous starts bootstrap', async () => {
      const database = await freshDatabase(kind);
      try {
        const ctx: ServiceContext = { db: database.db, clock, actor: systemActor('bootstrap') };
        const results = await Promise.all([1, 2, 3].map(() => bootstrapIfEmpty(ctx, {})));
        expect(results.filter((r) => r !== null)).toHaveLength(1);
      } finally {
        await database.close();
      }
    });
  });
}

describe('TALLY_ADMIN_PASSWORD', () => {
  it('is read into settings and refused when too short, before anything starts', () => {
    expect(readSettings({ TALLY_ADMIN_PASSWORD: 'a fine long password' }).adminPassword).toBe('a fine long password');
    expect(readSettings({}).adminPassword).toBeNull();
    expect(() => readSettings({ TALLY_ADMIN_PASSWORD: 'short' })).toThrow(/at least 10 characters/);
  });
});
