import { readFileSync } from 'node:fs';
import { formatConfigErrors, parseBillingConfig } from '../../core/catalog/index.js';

/** `tally config validate FILE`: lists every error with its path and line; exit 1 when there is any. */
export function configValidateCommand(file: string): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    process.stderr.write(`tally: cannot read ${file}: ${(e as Error).message}\n`);
    return 1;
  }
  const r = parseBillingConfig(text, file);
  if (!r.ok) {
    process.stderr.write(`${formatConfigErrors(r.errors, file)}\n${r.errors.length} error(s) in ${file}\n`);
    return 1;
  }
  const c = r.catalog;
  process.stdout.write(
    `${file} is valid: ${c.products.size} products, ${c.plans.size} plans, ${c.prices.size} prices (hash ${r.hash.slice(0, 12)})\n`,
  );
  return 0;
}
