import type { z } from 'zod';
import type { ConfigPath, ErrorCollector } from './config-errors.js';

/**
 * Zod issues → config errors. Messages are written here (Zod's defaults read "Invalid input: …") except
 * where a schema carries its own; codes are ours, so callers never depend on Zod's vocabulary.
 */

type RawIssue = z.core.$ZodRawIssue;
type Issue = z.core.$ZodIssue;

/** The per-parse error map: used for every issue whose schema has no message of its own. */
export function issueMessage(issue: RawIssue): string {
  if (issue.input === undefined && issue.code !== 'unrecognized_keys') return 'missing required field';
  switch (issue.code) {
    case 'invalid_type':
      return `expected ${expectedName(issue.expected)}, got ${describeValue(issue.input)}`;
    case 'invalid_value':
      return `expected ${issue.values.map((v) => quote(v)).join(' or ')}, got ${describeValue(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item(s)`;
      if (issue.origin === 'string') return 'must not be empty';
      return `must be ${issue.inclusive ? 'at least' : 'greater than'} ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'array') return `allows at most ${String(issue.maximum)} item(s)`;
      if (issue.origin === 'string') return `must be at most ${String(issue.maximum)} characters`;
      return `must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_format':
      return `${describeValue(issue.input)} is not in the expected format`;
    case 'invalid_union':
      return `${describeValue(issue.input)} matches none of the allowed forms`;
    default:
      return `${describeValue(issue.input)} is not allowed here`;
  }
}

/** Reports every issue of a failed parse, prefixed by `base` (the path of the value that was parsed). */
export function reportSchemaIssues(issues: readonly Issue[], base: ConfigPath, sink: ErrorCollector): void {
  for (const issue of issues) {
    const path = [...base, ...issue.path.map(toSegment)];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) sink.add([...path, key], 'unknown_key', `unknown key '${key}'`);
      continue;
    }
    if (issue.code === 'invalid_key') {
      const inner = issue.issues[0];
      sink.add(path, 'invalid_key', inner ? inner.message : issue.message);
      continue;
    }
    sink.add(path, codeOf(issue), issue.message);
  }
}

function codeOf(issue: Issue): string {
  // Parsing runs with reportInput, so an absent `input` means the field itself is absent.
  if (!('input' in issue) || issue.input === undefined) return 'missing_field';
  switch (issue.code) {
    case 'invalid_type':
    case 'invalid_union':
      return 'invalid_type';
    case 'invalid_format':
      return 'invalid_format';
    default:
      return 'invalid_value';
  }
}

function toSegment(seg: PropertyKey): string | number {
  return typeof seg === 'number' ? seg : String(seg);
}

function expectedName(expected: string): string {
  switch (expected) {
    case 'int':
      return 'a whole number';
    case 'object':
      return 'a map';
    case 'array':
      return 'a list';
    case 'string':
      return 'a string';
    case 'number':
      return 'a number';
    case 'boolean':
      return 'true or false';
    default:
      return expected;
  }
}

export function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  switch (typeof v) {
    case 'string':
      return quote(v);
    case 'number':
    case 'boolean':
      return String(v);
    case 'object':
      return 'a map';
    default:
      return typeof v;
  }
}

function quote(v: unknown): string {
  return typeof v === 'string' ? `'${v}'` : String(v);
}
