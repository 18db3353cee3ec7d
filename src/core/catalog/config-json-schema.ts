import { z } from 'zod';
import { billingConfigSchema, priceSchema, PRICING_FORMS } from './config-schema.js';

/**
 * The JSON Schema published for editors (`schema/billing-config.schema.json`), derived from the Zod
 * schema so the two cannot disagree. It describes what a user writes (`io: 'input'`: defaulted fields are
 * optional), and adds the one structural rule Zod keeps in code: a price has exactly one pricing form.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(billingConfigSchema, {
    target: 'draft-2020-12',
    io: 'input',
    override: (ctx) => {
      if (ctx.zodSchema === priceSchema) {
        ctx.jsonSchema.oneOf = PRICING_FORMS.map((form) => ({ required: [form] }));
      }
    },
  });
  const { $schema, ...rest } = schema;
  return { $schema, title: 'Tally billing config', ...rest };
}

/** The file's exact text: 2-space JSON with a final newline. */
export function renderConfigJsonSchema(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`;
}
