// Writes docs/billing-config.md, the billing config reference, from schema/billing-config.schema.json:
//   npm run docs:config
// A test compares the committed page with `generateConfigDocs()`: after changing the config schema, run
// `node bin/run-ts.js scripts/generate-config-schema.ts` and then this.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CONFIG_SCHEMA_PATH } from './generate-config-schema.js';

export const CONFIG_DOCS_PATH = fileURLToPath(new URL('../docs/billing-config.md', import.meta.url));

type Schema = Record<string, unknown>;
const isObj = (v: unknown): v is Schema => v !== null && typeof v === 'object' && !Array.isArray(v);
const code = (v: unknown): string => `\`${typeof v === 'string' ? v : JSON.stringify(v)}\``;
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
/** Prose from the schema: `<product>` would otherwise be read as an HTML tag. */
const prose = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

interface Section {
  path: string;
  schema: Schema;
}

/** A readable type: `string`, `integer`, `"month" \| "year"`, `number or decimal string`, `list of …`. */
function typeOf(s: Schema, childLink?: string): string {
  if ('const' in s) return code(s.const);
  if (Array.isArray(s.enum)) return s.enum.map(code).join(' or ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Schema[]).map((b) => typeOf(b)).join(' or ');
  const t = s.type;
  if (t === 'array') return `list of ${isObj(s.items) ? typeOf(s.items, childLink) : 'values'}`;
  if (t === 'object') {
    if (childLink) return `[object](#${childLink})`;
    if (isObj(s.additionalProperties)) return `map of ${typeOf(s.additionalProperties)}`;
    return 'object';
  }
  if (t === 'string' && typeof s.pattern === 'string' && s.pattern.startsWith('^') && Array.isArray(s.anyOf) === false) {
    return s.pattern === '^inf$' ? code('inf') : 'string';
  }
  return typeof t === 'string' ? t : 'any';
}

/** Constraints worth telling a config author: patterns, bounds, lengths. */
function constraintsOf(s: Schema): string[] {
  const out: string[] = [];
  const branches = Array.isArray(s.anyOf) ? (s.anyOf as Schema[]) : [s];
  for (const b of branches) {
    if (typeof b.pattern === 'string') out.push(`pattern ${code(b.pattern)}`);
    if (typeof b.minimum === 'number') out.push(`≥ ${b.minimum}`);
    if (typeof b.exclusiveMinimum === 'number') out.push(`> ${b.exclusiveMinimum}`);
    if (typeof b.maximum === 'number') out.push(`≤ ${b.maximum}`);
    if (typeof b.minLength === 'number' && b.minLength > 0) out.push('not empty');
    if (typeof b.minItems === 'number') out.push(`at least ${b.minItems} item${b.minItems === 1 ? '' : 's'}`);
  }
  return out;
}

const anchorOf = (path: string): string =>
  path
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '') || 'top-level';

/** The object a field opens, if any: an object, a list of objects, or a map of objects. */
function nestedObject(s: Schema): { schema: Schema; suffix: string } | null {
  if (s.type === 'object' && isObj(s.properties)) return { schema: s, suffix: '' };
  if (s.type === 'array' && isObj(s.items) && isObj(s.items.properties)) return { schema: s.items, suffix: '[]' };
  if (s.type === 'object' && isObj(s.additionalProperties) && isObj(s.additionalProperties.properties)) return { schema: s.additionalProperties, suffix: '.<key>' };
  return null;
}

function collect(path: string, schema: Schema, out: Section[]): void {
  out.push({ path, schema });
  for (const [name, field] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const nested = nestedObject(field);
    if (nested) collect(`${path ? `${path}.` : ''}${name}${nested.suffix}`, nested.schema, out);
  }
}

function sectionMarkdown({ path, schema }: Section): string {
  const title = path ? `\`${path}\`` : 'Top level';
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  // An explicit anchor: renderers disagree on how they slug `products[].plans.<key>`.
  const lines = [`<a id="${anchorOf(path)}"></a>`, '', `## ${title}`, ''];
  if (path && typeof schema.description === 'string') lines.push(prose(schema.description), '');
  const oneOf = Array.isArray(schema.oneOf) ? (schema.oneOf as Schema[]).flatMap((b) => (Array.isArray(b.required) ? (b.required as string[]) : [])) : [];
  if (oneOf.length) lines.push(`Exactly one of ${oneOf.map(code).join(', ')} is required.`, '');
  lines.push('| Field | Type | Required | Default | Description |', '| --- | --- | --- | --- | --- |');
  for (const [name, field] of Object.entries((schema.properties ?? {}) as Record<string, Schema>)) {
    const nested = nestedObject(field);
    const childPath = nested ? `${path ? `${path}.` : ''}${name}${nested.suffix}` : null;
    const type = typeOf(field, childPath ? anchorOf(childPath) : undefined);
    const desc = [typeof field.description === 'string' ? prose(field.description) : '', ...constraintsOf(field).map((c) => `(${c})`)].filter(Boolean).join(' ');
    const dflt = 'default' in field ? code(field.default) : '';
    lines.push(`| ${code(name)} | ${cell(type)} | ${required.has(name) ? 'yes' : 'no'} | ${cell(dflt)} | ${cell(desc)} |`);
  }
  if (schema.additionalProperties === false) lines.push('', 'Other fields are an error.');
  return lines.join('\n');
}

/** The exact text docs/billing-config.md must have. */
export function generateConfigDocs(schemaText: string = readFileSync(CONFIG_SCHEMA_PATH, 'utf8')): string {
  const schema = JSON.parse(schemaText) as Schema;
  const sections: Section[] = [];
  collect('', schema, sections);
  const toc = sections.map((s) => `- [${s.path ? `\`${s.path}\`` : 'Top level'}](#${anchorOf(s.path)})`).join('\n');
  return `<!-- Generated by \`npm run docs:config\` from schema/billing-config.schema.json. Do not edit: a test fails when it drifts. -->

# Billing config reference

${typeof schema.description === 'string' ? `${prose(schema.description)}\n\n` : ''}The billing config is one YAML file (\`TALLY_CONFIG\`, default \`examples/billing.yaml\`). Check a file with \`tally config validate FILE\`; editors validate and complete it with the JSON Schema in
[schema/billing-config.schema.json](../schema/billing-config.schema.json) (add
\`# yaml-language-server: $schema=../schema/billing-config.schema.json\` at the top). Amounts are numbers or decimal
strings with up to 12 decimal places. \`<key>\` stands for a key you choose (a plan key
such as \`paid\`, a metadata key).

${toc}

${sections.map(sectionMarkdown).join('\n\n')}
`;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  writeFileSync(CONFIG_DOCS_PATH, generateConfigDocs());
  console.log(`wrote ${CONFIG_DOCS_PATH}`);
}
