import { eq } from 'drizzle-orm';
import type { ServiceContext } from '../../src/billing/context.js';
import type { JobLogger } from '../../src/jobs/execute.js';
import type { JobRow } from '../../src/jobs/types.js';
import type { Clock } from '../../src/shared/clock.js';
import type { Db } from '../../src/store/database.js';
import { jobs } from '../../src/store/schema.js';

export const ctxOf = (db: Db, clock: Clock): ServiceContext => ({ db, clock, actor: { type: 'system', id: 'test' } });

export async function jobById(db: Db, id: string): Promise<JobRow> {
  const [row] = await db.select().from(jobs).where(eq(jobs.id, id));
  if (!row) throw new Error(`no job ${id}`);
  return row;
}

export const at = (iso: string, plusMs = 0): Date => new Date(new Date(iso).getTime() + plusMs);

/** A logger that keeps what it was told, for assertions. */
export function memoryLogger(): JobLogger & { lines: { level: string; obj: unknown; msg: string | undefined }[] } {
  const lines: { level: string; obj: unknown; msg: string | undefined }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj, msg });
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as JobLogger & { lines: typeof lines };
}
