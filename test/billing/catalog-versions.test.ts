import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { activateCatalogConfig, currentCatalogVersion, getCatalogVersion, listCatalogVersions } from '../../src/billing/catalog/catalog-versions.js';
import { ManualClock } from '../../src/shared/clock.js';
import { describeDb } from '../support/db.js';

const example = readFileSync(new URL('../../examples/billing.yaml', import.meta.url), 'utf8');

describeDb('catalog versions', (database) => {
  const clock = new ManualClock('2026-03-01T00:00:00Z');

  it('loads a config as the version in force; reloading the same content changes nothing', async () => {
    const db = database().db;
    const first = await activateCatalogConfig(db, clock, example, 'billing.yaml');
    expect(first.created).toBe(true);
    expect(first.changed).toBe(true);
    const again = await activateCatalogConfig(db, clock, `# a comment only\n${example}`, 'billing.yaml');
    expect(again.created).toBe(false);
    expect(again.changed).toBe(false);
    expect(again.version.id).toBe(first.version.id);
    expect((await currentCatalogVersion(db)).id).toBe(first.version.id);
  });

  it('a changed price makes a new version; the old one stays readable with its old price', async () => {
    const db = database().db;
    const before = await currentCatalogVersion(db);
    const changedText = example.replace('{ up_to: 2000000, unit_amount: 0.005 }', '{ up_to: 2000000, unit_amount: 0.006 }');
    expect(changedText).not.toBe(example);
    clock.advance(1000);
    const next = await activateCatalogConfig(db, clock, changedText, 'billing.yaml');
    expect(next.created).toBe(true);
    expect(next.version.id).not.toBe(before.id);
    expect((await currentCatalogVersion(db)).id).toBe(next.version.id);

    const key = 'product_analytics.paid.usd.month';
    const tierOf = (c: typeof before.catalog) => {
      const p = c.prices.get(key);
      if (p?.scheme.type !== 'tiered') throw new Error('expected tiered');
      return p.scheme.tiers[1]?.unitAmount.toString();
    };
    expect(tierOf((await getCatalogVersion(db, before.id)).catalog)).toBe('0.005');
    expect(tierOf((await getCatalogVersion(db, next.version.id)).catalog)).toBe('0.006');
    expect((await listCatalogVersions(db)).map((v) => v.id)).toEqual([before.id, next.version.id]);
  });

  it('refuses an invalid config and keeps the version in force', async () => {
    const db = database().db;
    const before = await currentCatalogVersion(db);
    await expect(activateCatalogConfig(db, clock, 'version: 1\nproducts: [{key: x}]', 'bad.yaml')).rejects.toMatchObject({ code: 'config_invalid' });
    expect((await currentCatalogVersion(db)).id).toBe(before.id);
  });
});
