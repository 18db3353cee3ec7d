import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CONFIG_DOCS_PATH, generateConfigDocs } from '../../scripts/generate-config-docs.js';
import { CONFIG_SCHEMA_PATH } from '../../scripts/generate-config-schema.js';

it('docs/billing-config.md matches schema/billing-config.schema.json (else run npm run docs:config)', () => {
  const committed = readFileSync(CONFIG_DOCS_PATH, 'utf8');
  expect(committed === generateConfigDocs(), 'docs/billing-config.md is stale: run `npm run docs:config`').toBe(true);
});

it('documents every field of the schema with its description', () => {
  const page = generateConfigDocs();
  const walk = (s: Record<string, unknown>): void => {
    for (const [name, field] of Object.entries((s.properties ?? {}) as Record<string, Record<string, unknown>>)) {
      expect(page).toContain(`| \`${name}\` |`);
      if (typeof field.description === 'string') expect(page).toContain(field.description.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;'));
      for (const next of [field, field.items, field.additionalProperties]) if (next && typeof next === 'object') walk(next as Record<string, unknown>);
    }
  };
  walk(JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')));
  // A change to the schema changes the page.
  const schema = JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8'));
  schema.properties.products.items.properties.unit.description = 'Changed for the test.';
  expect(generateConfigDocs(JSON.stringify(schema))).toContain('Changed for the test.');
});
