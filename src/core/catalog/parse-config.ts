import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { isTallyError } from '../../shared/errors.js';
import { Decimal } from '../money/decimal.js';
import { appendPath, formatPath, type ConfigError, type LineLocator } from './config-errors.js';

/**
 * YAML text → plain JS value plus the line of every path in it. The value is built from the YAML AST
 * rather than `doc.toJS()` so that each map key and list item can be tied to its line, and so that a
 * number whose float would lose digits keeps its exact source text (see `exactNumber`).
 */
export type ParsedYaml =
  | { readonly ok: true; readonly value: unknown; readonly lineOf: LineLocator }
  | { readonly ok: false; readonly errors: ConfigError[] };

/** Bounds alias expansion, so a "billion laughs" document cannot exhaust memory. */
const MAX_NODES = 100_000;

class TooLarge extends Error {}

export function parseYamlConfig(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    schema: 'core',
    merge: false,
  });
  const lineAt = (offset: number): number => lineCounter.linePos(offset).line;

  // Warnings too (an unresolved `!tag`, say): a billing config has no use for anything YAML only tolerates.
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length > 0) {
    return {
      ok: false,
      errors: problems.map((e) => ({ path: '', line: lineAt(e.pos[0]), message: e.message, code: 'yaml_syntax' })),
    };
  }

  const lines = new Map<string, number>();
  const errors: ConfigError[] = [];
  const walker = new Walker(doc, lines, errors, lineAt);
  let value: unknown;
  try {
    value = walker.toPlain(doc.contents, '');
  } catch (e) {
    if (!(e instanceof TooLarge)) throw e;
    return {
      ok: false,
      errors: [
        {
          path: '',
          line: null,
          message: `the document expands to more than ${MAX_NODES} nodes (aliases?)`,
          code: 'yaml_too_large',
        },
      ],
    };
  }
  if (errors.length > 0) return { ok: false, errors };

  const lineOf: LineLocator = (path) => {
    for (let n = path.length; n >= 0; n--) {
      const line = lines.get(formatPath(path.slice(0, n)));
      if (line !== undefined) return line;
    }
    return null;
  };
  return { ok: true, value, lineOf };
}

class Walker {
  private nodes = 0;
  // Resolving an alias searches the document; a document may repeat one alias node many times.
  private readonly aliasTargets = new Map<object, unknown>();

  constructor(
    private readonly doc: Document,
    private readonly lines: Map<string, number>,
    private readonly errors: ConfigError[],
    private readonly lineAt: (offset: number) => number,
  ) {}

  /** `key` is the formatted path of `node`. */
  toPlain(node: unknown, key: string): unknown {
    if (++this.nodes > MAX_NODES) throw new TooLarge();
    if (node === null || node === undefined) return null;
    const n = node as Node;
    // The first recorded line wins: a map key's line beats its value's (which may start on the next line).
    if (n.range && !this.lines.has(key)) this.lines.set(key, this.lineAt(n.range[0]));

    if (isAlias(n)) {
      if (!this.aliasTargets.has(n)) this.aliasTargets.set(n, n.resolve(this.doc));
      const target = this.aliasTargets.get(n);
      if (target === undefined) {
        const line = this.lines.get(key) ?? null;
        this.errors.push({ path: key, line, message: `unresolved alias *${n.source}`, code: 'yaml_syntax' });
        return null;
      }
      return this.toPlain(target, key);
    }
    if (isScalar(n)) {
      return typeof n.value === 'number' ? exactNumber(n.value, n.source) : n.value;
    }
    if (isSeq(n)) {
      return n.items.map((item, i) => this.toPlain(item, appendPath(key, i)));
    }
    if (isMap(n)) {
      const out: Record<string, unknown> = {};
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const k = pair.key;
        if (!isScalar(k) || (typeof k.value !== 'string' && typeof k.value !== 'number' && typeof k.value !== 'boolean')) {
          const line = isNode(k) && k.range ? this.lineAt(k.range[0]) : null;
          this.errors.push({ path: key, line, message: 'map keys must be plain strings', code: 'yaml_syntax' });
          continue;
        }
        const name = String(k.value);
        const childPath = appendPath(key, name);
        if (k.range) this.lines.set(childPath, this.lineAt(k.range[0]));
        // defineProperty, so a `__proto__` key stays an ordinary (and, to the schema, unknown) key.
        Object.defineProperty(out, name, {
          value: this.toPlain(pair.value, childPath),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    return null;
  }
}

/**
 * YAML numbers arrive as floats. Where the float differs from what was written (`123456789.123456789012`
 * has more significant digits than a double holds) or would hide too many decimal places
 * (`0.1000000000000000001` reads as 0.1), the written text is kept instead, as a string, so the amount is
 * converted exactly or rejected exactly. Everything else stays a number.
 */
function exactNumber(value: number, source: string | undefined): number | string {
  if (source === undefined || !Number.isFinite(value)) return value;
  let written: Decimal;
  try {
    written = Decimal.parse(source);
  } catch (e) {
    // Hex/octal forms are not decimals but are exact as floats; too many places must stay visible.
    return isTallyError(e) && e.code === 'too_many_decimal_places' ? source : value;
  }
  try {
    return Decimal.from(value).eq(written) ? value : source;
  } catch {
    return source;
  }
}
