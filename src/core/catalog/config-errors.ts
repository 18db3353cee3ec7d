/**
 * Errors of the billing config, each pointing at the place in the file that has to change: a path in
 * the config's own (snake_case) terms and, when the YAML told us, a 1-based line number.
 */
export interface ConfigError {
  /** Like `products[1].plans.paid.prices[0].tiers[2].up_to`; empty for errors about the file as a whole. */
  readonly path: string;
  readonly line: number | null;
  readonly message: string;
  /** Stable machine-readable code (`duplicate_product_key`, `unknown_key`, …). */
  readonly code: string;
}

export type PathSegment = string | number;
export type ConfigPath = readonly PathSegment[];

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `['products', 1, 'plans', 'paid']` → `products[1].plans.paid`; odd map keys are quoted (`metadata["a b"]`). */
export function formatPath(path: ConfigPath): string {
  return path.reduce<string>(appendPath, '');
}

/** `formatPath([...path, seg])` given `formatPath(path)`. */
export function appendPath(formatted: string, seg: PathSegment): string {
  if (typeof seg === 'number') return `${formatted}[${seg}]`;
  if (IDENTIFIER.test(seg)) return formatted === '' ? seg : `${formatted}.${seg}`;
  return `${formatted}[${JSON.stringify(seg)}]`;
}

/** Finds the line of a path, or of its nearest ancestor when the path itself is absent (a missing field). */
export type LineLocator = (path: ConfigPath) => number | null;

/** Collects errors in the order they are found; `index.ts` sorts them by line for display. */
export class ErrorCollector {
  readonly errors: ConfigError[] = [];

  constructor(readonly lineOf: LineLocator) {}

  add(path: ConfigPath, code: string, message: string): void {
    this.errors.push({ path: formatPath(path), line: this.lineOf(path), message, code });
  }

  /** `products[0].key, line 12` — how a message names a second location. */
  where(path: ConfigPath): string {
    const line = this.lineOf(path);
    return line === null ? formatPath(path) : `${formatPath(path)}, line ${line}`;
  }
}

/** Errors by line (file-level and unlocated ones last), keeping discovery order within a line. */
export function sortConfigErrors(errors: readonly ConfigError[]): ConfigError[] {
  return errors
    .map((e, i) => ({ e, i }))
    .sort((a, b) => {
      const la = a.e.line ?? Number.MAX_SAFE_INTEGER;
      const lb = b.e.line ?? Number.MAX_SAFE_INTEGER;
      return la - lb || a.i - b.i;
    })
    .map(({ e }) => e);
}

/** One line per error: `billing.yaml:42 products[1].key: duplicate product key 'x' (also at products[0].key, line 12)`. */
export function formatConfigErrors(errors: readonly ConfigError[], sourceName: string): string {
  return errors.map((e) => formatConfigError(e, sourceName)).join('\n');
}

export function formatConfigError(error: ConfigError, sourceName: string): string {
  const where = error.line === null ? sourceName : `${sourceName}:${error.line}`;
  return error.path === '' ? `${where}: ${error.message}` : `${where} ${error.path}: ${error.message}`;
}
