import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_SCHEMA_PATH, generateConfigSchema } from '../../../scripts/generate-config-schema.js';

describe('schema/billing-config.schema.json', () => {
  it('is exactly what scripts/generate-config-schema.ts generates (run it after changing config-schema.ts)', () => {
    expect(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')).toBe(generateConfigSchema());
  });

  it('is a strict draft 2020-12 schema with one pricing form per price', () => {
    const schema = JSON.parse(generateConfigSchema()) as Record<string, unknown>;
    expect(schema).toMatchObject({
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      title: 'Tally billing config',
      additionalProperties: false,
      required: ['version', 'products'],
    });
    const text = generateConfigSchema();
    expect(text).toContain('"oneOf": [');
    expect(text).toContain('minor units (cents for USD)');
  });
});
