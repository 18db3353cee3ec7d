import { eq } from 'drizzle-orm';
import { parseBillingConfig, type Catalog } from '../../core/catalog/index.js';
import type { Clock } from '../../shared/clock.js';
import { invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import type { Db } from '../../store/database.js';
import { catalogCurrent, catalogVersions } from '../../store/schema.js';
import { inTransaction, isUniqueViolation } from '../../store/transaction.js';

export interface CatalogVersion {
  readonly id: string;
  readonly hash: string;
  readonly sourceName: string;
  readonly createdAt: Date;
  readonly catalog: Catalog;
}

export interface ActivateResult {
  version: CatalogVersion;
  /** True when this config had never been loaded before. */
  created: boolean;
  /** True when the version in force changed. */
  changed: boolean;
}

// Versions by id: a stored version never changes, so once read and parsed it is kept for the process's
// life and later reads cost no query (the config text is only read the first time).
const versionsById = new Map<string, CatalogVersion>();

function parseStored(id: string, text: string, sourceName: string): Catalog {
  const r = parseBillingConfig(text, sourceName);
  if (!r.ok) throw new Error(`stored catalog version ${id} no longer parses: ${r.errors[0]?.message}`);
  return r.catalog;
}

/**
 * Loads a billing config and makes it the version in force. The same content (by hash) maps to the same
 * version, so restarting with an unchanged file changes nothing; a changed file adds a version.
 */
export async function activateCatalogConfig(db: Db, clock: Clock, text: string, sourceName: string): Promise<ActivateResult> {
  const parsed = parseBillingConfig(text, sourceName);
  if (!parsed.ok) {
    throw invalid('config_invalid', `${sourceName} has ${parsed.errors.length} error(s).`, 'config', { errors: parsed.errors });
  }
  const now = clock.now();
  const once = () => inTransaction(db, async (tx) => {
    let [row] = await tx.select().from(catalogVersions).where(eq(catalogVersions.hash, parsed.hash));
    let created = false;
    if (!row) {
      [row] = await tx
        .insert(catalogVersions)
        .values({ id: newId('catalogVersion', now), hash: parsed.hash, sourceName, configText: text, createdAt: now })
        .returning();
      created = true;
    }
    if (!row) throw new Error('catalog version insert returned nothing');
    const [current] = await tx.select().from(catalogCurrent).where(eq(catalogCurrent.singleton, 1));
    const changed = current?.versionId !== row.id;
    if (changed) {
      await tx
        .insert(catalogCurrent)
        .values({ singleton: 1, versionId: row.id, activatedAt: now })
        .onConflictDoUpdate({ target: catalogCurrent.singleton, set: { versionId: row.id, activatedAt: now } });
    }
    const version: CatalogVersion = { id: row.id, hash: row.hash, sourceName: row.sourceName, createdAt: row.createdAt, catalog: parsed.catalog };
    versionsById.set(row.id, version);
    return {
      version,
      created,
      changed,
    };
  });
  try {
    return await once();
  } catch (e) {
    // Two processes starting with the same new config: one inserts, the other's insert aborts; the retry finds it.
    if (isUniqueViolation(e)) return once();
    throw e;
  }
}

export async function getCatalogVersion(db: Db, id: string): Promise<CatalogVersion> {
  const hit = versionsById.get(id);
  if (hit) return hit;
  const [row] = await db.select().from(catalogVersions).where(eq(catalogVersions.id, id));
  if (!row) throw notFound('catalog version', id);
  const version: CatalogVersion = { id: row.id, hash: row.hash, sourceName: row.sourceName, createdAt: row.createdAt, catalog: parseStored(row.id, row.configText, row.sourceName) };
  versionsById.set(id, version);
  return version;
}

/** The parsed catalog of a stored version (cached like the version). */
export async function catalogOfVersion(db: Db, versionId: string): Promise<Catalog> {
  return (await getCatalogVersion(db, versionId)).catalog;
}

export async function currentCatalogVersion(db: Db): Promise<CatalogVersion> {
  const [cur] = await db.select().from(catalogCurrent).where(eq(catalogCurrent.singleton, 1));
  if (!cur) throw invalid('catalog_not_loaded', 'No billing config has been loaded yet.');
  return getCatalogVersion(db, cur.versionId);
}

export async function listCatalogVersions(db: Db): Promise<Omit<CatalogVersion, 'catalog'>[]> {
  const rows = await db
    .select({ id: catalogVersions.id, hash: catalogVersions.hash, sourceName: catalogVersions.sourceName, createdAt: catalogVersions.createdAt })
    .from(catalogVersions)
    .orderBy(catalogVersions.createdAt);
  return rows;
}

/** The version in force and since when (the admin catalog view). */
export async function catalogInForce(db: Db): Promise<{ version: CatalogVersion; activatedAt: Date }> {
  const [cur] = await db.select().from(catalogCurrent).where(eq(catalogCurrent.singleton, 1));
  if (!cur) throw invalid('catalog_not_loaded', 'No billing config has been loaded yet.');
  return { version: await getCatalogVersion(db, cur.versionId), activatedAt: cur.activatedAt };
}
