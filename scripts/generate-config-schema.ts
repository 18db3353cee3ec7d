// Writes schema/billing-config.schema.json from the Zod schema of the billing config:
//   node bin/run-ts.js scripts/generate-config-schema.ts
// A test compares the committed file with `generateConfigSchema()`, so edit the Zod schema, then rerun this.
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderConfigJsonSchema } from '../src/core/catalog/config-json-schema.js';

export const CONFIG_SCHEMA_PATH = fileURLToPath(new URL('../schema/billing-config.schema.json', import.meta.url));

/** The exact text the schema file must have. */
export function generateConfigSchema(): string {
  return renderConfigJsonSchema();
}

export function writeConfigSchema(path: string = CONFIG_SCHEMA_PATH): void {
  writeFileSync(path, generateConfigSchema());
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  writeConfigSchema();
  console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
}
