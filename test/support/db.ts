import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { systemClock } from '../../src/shared/clock.js';
import { openDatabase, type Database, type DatabaseKind } from '../../src/store/database.js';

export const backends = (): DatabaseKind[] => (inject('pgTemplateDb') ? ['pglite', 'postgres'] : ['pglite']);

/** A fresh, migrated database of `kind`, private to the caller. close() also drops the PostgreSQL copy. */
export async function freshDatabase(kind: DatabaseKind): Promise<Database> {
  if (kind === 'pglite') {
    const blob = new Blob([readFileSync(inject('pgliteTemplate'))]);
    return openDatabase({ kind: 'pglite', dataDir: null, loadDataDir: blob }, systemClock);
  }
  const url = inject('pgUrl');
  const template = inject('pgTemplateDb');
  if (!url || !template) throw new Error('PostgreSQL is not configured for tests (TEST_DATABASE_URL)');
  const name = `tally_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await admin.query(`create database "${name}" template "${template}"`);
        break;
      } catch (e) {
        // Two files copying the template at the same instant: PostgreSQL refuses one; try again.
        if (attempt > 20 || !/being accessed by other users/.test((e as Error).message)) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } finally {
    await admin.end();
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: u.toString(), poolSize: 5 }, systemClock);
  return {
    ...database,
    close: async () => {
      await database.close();
      const a = new pg.Client({ connectionString: url });
      await a.connect();
      await a.query(`drop database if exists "${name}" with (force)`);
      await a.end();
    },
  };
}

/**
 * Declares a database suite once per backend (PGlite always; PostgreSQL when TEST_DATABASE_URL is set).
 * `fn` receives a getter for that backend's fresh database, opened before the suite's tests.
 */
export function describeDb(name: string, fn: (db: () => Database, kind: DatabaseKind) => void): void {
  for (const kind of backends()) {
    describe(`${name} [${kind}]`, () => {
      let database: Database | undefined;
      beforeAll(async () => {
        database = await freshDatabase(kind);
      });
      afterAll(async () => {
        await database?.close();
      });
      fn(() => {
        if (!database) throw new Error('database not open yet: use it inside a test or hook');
        return database;
      }, kind);
    });
  }
}
