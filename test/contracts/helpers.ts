import { readFileSync } from 'node:fs';
import { asc, eq } from 'drizzle-orm';
import { getInstance } from '../../src/billing/instances/instances.js';
import type { Db } from '../../src/store/database.js';
import { auditLog } from '../../src/store/schema.js';
import { world, type World } from '../subscriptions/helpers.js';

export const fixture = (name: string): string => readFileSync(new URL(`../fixtures/order-forms/${name}`, import.meta.url), 'utf8');

let n = 0;

/** A world plus its instance slug and a unique org id to put into order forms. */
export async function contractWorld(db: Db, start: string): Promise<World & { slug: string; org: string; contractAudit(id: string): Promise<string[]> }> {
  const w = await world(db, start);
  const slug = (await getInstance(w.system, w.instanceId)).slug;
  return {
    ...w,
    slug,
    org: `org_${++n}_${Math.random().toString(36).slice(2, 8)}`,
    contractAudit: async (id: string) => (await db.select().from(auditLog).where(eq(auditLog.targetId, id)).orderBy(asc(auditLog.id))).map((a) => a.action),
  };
}

/** The Acme fixture for this world's instance and org. */
export const acmeYaml = (w: { slug: string; org: string }): string => fixture('acme-annual.yaml').replace('instance: us', `instance: ${w.slug}`).replace('org_acme', w.org);
