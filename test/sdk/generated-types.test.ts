import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generateSdkTypes, SDK_TYPES_PATH } from '../../scripts/generate-sdk-types.js';

it("the SDK's generated types match the current OpenAPI document (else run npm run sdk:types)", async () => {
  const committed = readFileSync(SDK_TYPES_PATH, 'utf8');
  expect(committed === (await generateSdkTypes()), 'packages/sdk/src/generated/openapi.ts is stale: run `npm run sdk:types`').toBe(true);
}, 60_000);
