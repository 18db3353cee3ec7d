import type { Catalog } from '../../core/catalog/model.js';
import type { Db } from '../../store/database.js';
import { getCatalogVersion } from './catalog-versions.js';

// Catalog versions never change once stored, so a parsed catalog can be kept for the process's life
// (getCatalogVersion caches the parse but still reads the config text on every call).
const byId = new Map<string, Catalog>();

/** The catalog of a stored version, read from the database once per process. */
export async function catalogOfVersion(db: Db, versionId: string): Promise<Catalog> {
  const hit = byId.get(versionId);
  if (hit) return hit;
  const { catalog } = await getCatalogVersion(db, versionId);
  byId.set(versionId, catalog);
  return catalog;
}
