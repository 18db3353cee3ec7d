/**
 * `tally usage import FILE.(jsonl|csv) --instance SLUG [--batch 1000] [--resume]`: backfills usage events
 * through the same `ingestUsage` as POST /v1/usage, batch by batch, streaming the file (any size).
 *
 * Resumable: after each batch, in the batch's own transaction, the progress (last committed line and its
 * byte offset) is saved in `tally_meta` under a key hashed from the file's path, size and mtime (and the
 * instance); `--resume` continues after the last committed batch. Re-sending a batch would be harmless
 * anyway: event ids are idempotent per customer, so events already counted come back as duplicates and
 * are never counted twice.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { eq } from 'drizzle-orm';
import { createLogger } from '../../app/logger.js';
import { openStore } from '../../app/open-store.js';
import { readSettings } from '../../app/settings.js';
import { systemActor, withDb, type ServiceContext } from '../../billing/context.js';
import { resolveInstance } from '../../billing/instances/instances.js';
import { evaluateTouched } from '../../billing/limits/index.js';
import { ingestUsage } from '../../billing/usage/ingest-usage.js';
import { MAX_BATCH, type UsageEventInput } from '../../billing/usage/usage-event.js';
import type { Clock } from '../../shared/clock.js';
import { clockFromEnv } from '../../shared/file-clock.js';
import { invalid } from '../../shared/errors.js';
import type { Db } from '../../store/database.js';
import { meta } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { ProgressBar, type ProgressStream } from '../progress.js';

export interface UsageImportOptions {
  instance: string;
  /** Events per batch (and transaction), 1–1000; default 1000. */
  batch?: number | string;
  /** Continue after the last committed batch of an earlier run on the same file. */
  resume?: boolean;
  /** Stop after this many batches (continue later with `resume`). */
  maxBatches?: number | string;
}

export interface Rejection {
  line: number;
  id: string | null;
  code: string;
  param: string | null;
  reason: string;
}

export interface UsageImportSummary {
  file: string;
  format: 'jsonl' | 'csv';
  instance: string;
  /** The line an earlier run had committed up to, when this run resumed after it. */
  resumedAfterLine: number | null;
  /** The last line committed (of the whole file, when `complete`). */
  lastLine: number;
  /** Counts of this run. */
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Counts of every run on this file, this one included. */
  total: { accepted: number; duplicates: number; rejected: number };
  /** The first 20 rejections of this run, with their line numbers. */
  rejections: Rejection[];
  batches: number;
  /** The whole file is imported. */
  complete: boolean;
  /** `resume` found the file already imported: nothing was sent. */
  alreadyDone: boolean;
  elapsedMs: number;
}

interface SavedProgress {
  file: string;
  size: number;
  mtime_ms: number;
  line: number;
  offset: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  done: boolean;
}

const MAX_REPORTED = 20;
const CSV_COLUMNS = ['id', 'customer', 'metric', 'value', 'timestamp', 'properties'] as const;

function positiveInt(v: number | string | undefined, param: string, max: number, fallback: number | null): number | null {
  if (v === undefined) return fallback;
  const n = typeof v === 'number' ? v : /^\d+$/.test(v.trim()) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw invalid('option_invalid', `--${param} must be a whole number from 1 to ${max}; got '${String(v)}'.`, param);
  return n;
}

/** Splits one CSV record (RFC 4180 quoting, `""` for a quote); null when a quoted field is not closed. */
export function parseCsvLine(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let field = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return null;
        const ch = line[i]!;
        if (ch === '"') {
          if (line[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += ch;
        i++;
      }
      if (i < line.length && line[i] !== ',') return null; // text after a closing quote
    } else {
      const next = line.indexOf(',', i);
      field = next < 0 ? line.slice(i) : line.slice(i, next);
      i = next < 0 ? line.length : next;
    }
    out.push(field);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

type Parsed = { ok: true; event: UsageEventInput } | { ok: false; id: string | null; reason: string };

function parseJsonLine(text: string): Parsed {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, id: null, reason: `not valid JSON (${(e as Error).message})` };
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return { ok: false, id: null, reason: 'a line must be one JSON object {id, customer, metric, value, timestamp, properties?}' };
  return { ok: true, event: v as UsageEventInput };
}

function parseCsvRecord(text: string, columns: readonly string[]): Parsed {
  const fields = parseCsvLine(text);
  if (!fields) return { ok: false, id: null, reason: 'unbalanced quotes in a CSV field' };
  const id = fields[columns.indexOf('id')] ?? null;
  if (fields.length !== columns.length && !(fields.length === columns.length - 1 && columns.at(-1) === 'properties')) {
    return { ok: false, id, reason: `expected ${columns.length} columns (${columns.join(',')}), got ${fields.length}` };
  }
  const get = (name: string) => fields[columns.indexOf(name)];
  const rawProps = get('properties');
  let properties: Record<string, unknown> | null = null;
  if (rawProps !== undefined && rawProps.trim() !== '') {
    try {
      const p: unknown = JSON.parse(rawProps);
      if (p === null || typeof p !== 'object' || Array.isArray(p)) throw new Error('not an object');
      properties = p as Record<string, unknown>;
    } catch {
      return { ok: false, id, reason: 'properties must be a JSON object' };
    }
  }
  return { ok: true, event: { id: get('id') ?? '', customer: get('customer') ?? '', metric: get('metric') ?? '', value: (get('value') ?? '').trim(), timestamp: (get('timestamp') ?? '').trim(), properties } };
}

/** The CSV columns: from a header line (`id,customer,…`) when there is one, else the documented order. */
function csvColumns(firstLine: string | null): { columns: string[]; header: boolean } {
  const fields = firstLine === null ? null : parseCsvLine(firstLine.replace(/^\uFEFF/, ''));
  if (!fields || fields[0]?.trim().toLowerCase() !== 'id') return { columns: [...CSV_COLUMNS], header: false };
  const columns = fields.map((f) => f.trim().toLowerCase());
  const unknown = columns.find((c) => !(CSV_COLUMNS as readonly string[]).includes(c));
  if (unknown !== undefined) throw invalid('csv_header_invalid', `Unknown CSV column '${unknown}'; the columns are ${CSV_COLUMNS.join(', ')} (properties optional).`, 'file');
  const missing = CSV_COLUMNS.filter((c) => c !== 'properties' && !columns.includes(c));
  if (missing.length) throw invalid('csv_header_invalid', `The CSV header lacks ${missing.join(', ')}.`, 'file');
  return { columns, header: true };
}

function readFirstLine(path: string): string | null {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(64 * 1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n === 0) return null;
    const nl = buf.subarray(0, n).indexOf(10);
    return buf.toString('utf8', 0, nl < 0 ? n : nl).replace(/\r$/, '');
  } finally {
    closeSync(fd);
  }
}

/** Lines from byte `start` on, numbered after `lineBefore`, each with the byte offset just past it. */
async function* readLines(path: string, start: number, lineBefore: number): AsyncGenerator<{ text: string; line: number; end: number }> {
  let offset = start;
  let line = lineBefore;
  let rest: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(path, { start, highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let from = 0;
    for (let nl = buf.indexOf(10, from); nl >= 0; nl = buf.indexOf(10, from)) {
      const stop = nl > from && buf[nl - 1] === 13 ? nl - 1 : nl;
      offset += nl + 1 - from;
      yield { text: buf.toString('utf8', from, stop), line: ++line, end: offset };
      from = nl + 1;
    }
    rest = buf.subarray(from);
  }
  if (rest.length) yield { text: rest.toString('utf8').replace(/\r$/, ''), line: line + 1, end: offset + rest.length };
}

export interface ImportDeps {
  db: Db;
  clock: Clock;
  /** Where the progress bar goes (drawn only when it is a TTY); none when omitted. */
  progress?: ProgressStream;
  /** Notes for the person running it (resume hints). */
  notice?: (message: string) => void;
  /** Called after each batch has committed (with its progress), e.g. to log where a crash would resume. */
  onBatch?: (progress: { lastLine: number; batches: number; accepted: number; duplicates: number; rejected: number }) => void;
}

/** Imports a usage file into an instance; see the module comment. The function behind the CLI command. */
export async function importUsageFile(deps: ImportDeps, file: string, opts: UsageImportOptions): Promise<UsageImportSummary> {
  const started = performance.now();
  const batchSize = positiveInt(opts.batch, 'batch', MAX_BATCH, MAX_BATCH)!;
  const maxBatches = positiveInt(opts.maxBatches, 'max-batches', Number.MAX_SAFE_INTEGER, null);
  const path = resolve(file);
  const ext = extname(path).toLowerCase();
  const format = ext === '.jsonl' || ext === '.ndjson' ? 'jsonl' : ext === '.csv' ? 'csv' : null;
  if (!format) throw invalid('file_format_unknown', `'${file}' must end in .jsonl (JSON lines) or .csv.`, 'file');
  let stat;
  try {
    stat = statSync(path);
  } catch {
    throw invalid('file_not_found', `No file '${file}'.`, 'file');
  }
  if (!stat.isFile()) throw invalid('file_not_found', `'${file}' is not a file.`, 'file');

  const ctx: ServiceContext = { db: deps.db, clock: deps.clock, actor: systemActor('usage_import') };
  const instance = await resolveInstance(ctx, opts.instance);
  // The same file imported into another instance is another import.
  const key = `usage_import:${createHash('sha256').update(`${path}\u0000${stat.size}\u0000${stat.mtimeMs}\u0000${instance.id}`).digest('hex').slice(0, 32)}`;
  const [saved] = await deps.db.select().from(meta).where(eq(meta.key, key));
  const previous = (saved?.value as SavedProgress | undefined) ?? null;

  const summary: UsageImportSummary = {
    file: path,
    format,
    instance: instance.slug,
    resumedAfterLine: null,
    lastLine: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    total: { accepted: 0, duplicates: 0, rejected: 0 },
    rejections: [],
    batches: 0,
    complete: false,
    alreadyDone: false,
    elapsedMs: 0,
  };
  let startOffset = 0;
  if (opts.resume && previous) {
    if (previous.done) {
      return { ...summary, lastLine: previous.line, total: { accepted: previous.accepted, duplicates: previous.duplicates, rejected: previous.rejected }, complete: true, alreadyDone: true, elapsedMs: performance.now() - started };
    }
    startOffset = previous.offset;
    summary.lastLine = previous.line;
    summary.resumedAfterLine = previous.line;
    summary.total = { accepted: previous.accepted, duplicates: previous.duplicates, rejected: previous.rejected };
  } else if (opts.resume) {
    deps.notice?.(`No earlier import of ${file} (with this size and modification time) to resume: starting from the first line.`);
  } else if (previous && !previous.done) {
    deps.notice?.(`An earlier import of ${file} stopped after line ${previous.line}; starting over (pass --resume to continue after it instead).`);
  }

  const { columns, header } = format === 'csv' ? csvColumns(readFirstLine(path)) : { columns: [], header: false };
  const bar = deps.progress ? new ProgressBar(deps.progress, stat.size) : null;
  const status = () => `line ${summary.lastLine.toLocaleString('en-US')} · ${summary.accepted.toLocaleString('en-US')} accepted · ${summary.duplicates.toLocaleString('en-US')} duplicates · ${summary.rejected.toLocaleString('en-US')} rejected`;

  const reject = (r: Rejection) => {
    summary.rejected++;
    if (summary.rejections.length < MAX_REPORTED) summary.rejections.push(r);
  };

  let pending: { event: UsageEventInput; line: number }[] = [];
  let localRejects: Rejection[] = [];
  let lastLine = summary.lastLine;
  let lastOffset = startOffset;

  /** Sends the batch and saves the progress in one transaction; quotas are evaluated after the commit. */
  const flush = async () => {
    const batch = pending;
    const local = localRejects;
    pending = [];
    localRejects = [];
    const result = await inTransaction(deps.db, async (tx) => {
      const r = batch.length ? await ingestUsage(withDb(ctx, tx), instance.id, batch.map((b) => b.event)) : null;
      const totals = {
        accepted: summary.total.accepted + (r?.accepted ?? 0),
        duplicates: summary.total.duplicates + (r?.duplicates ?? 0),
        rejected: summary.total.rejected + (r?.rejected ?? 0) + local.length,
      };
      const progress: SavedProgress = { file: path, size: stat.size, mtime_ms: stat.mtimeMs, line: lastLine, offset: lastOffset, ...totals, done: false };
      const now = deps.clock.now();
      await tx.insert(meta).values({ key, value: progress, updatedAt: now }).onConflictDoUpdate({ target: meta.key, set: { value: progress, updatedAt: now } });
      return { r, totals };
    });
    summary.total = result.totals;
    summary.lastLine = lastLine;
    summary.batches++;
    // Rejections in line order: the batch's results and the lines that never parsed.
    const all: Rejection[] = [...local];
    if (result.r) {
      summary.accepted += result.r.accepted;
      summary.duplicates += result.r.duplicates;
      result.r.results.forEach((res, i) => {
        if (res.status === 'rejected') all.push({ line: batch[i]!.line, id: res.id || null, code: res.code ?? 'rejected', param: res.param ?? null, reason: res.reason ?? 'rejected' });
      });
      if (result.r.touched.length) await evaluateTouched(ctx, result.r.touched);
    }
    all.sort((a, b) => a.line - b.line).forEach(reject);
    bar?.update(lastOffset, status());
    deps.onBatch?.({ lastLine: summary.lastLine, batches: summary.batches, accepted: summary.accepted, duplicates: summary.duplicates, rejected: summary.rejected });
    // A turn of the event loop per batch: with PGlite and a file already read into memory, nothing else
    // would yield, so log lines and Ctrl-C would wait for the whole import.
    await new Promise((r) => setImmediate(r));
  };

  let stopped = false;
  for await (const { text, line, end } of readLines(path, startOffset, summary.lastLine)) {
    lastLine = line;
    lastOffset = end;
    if (line === 1 && header) continue;
    if (text.trim() === '') continue;
    const parsed = format === 'jsonl' ? parseJsonLine(text) : parseCsvRecord(text, columns);
    if (parsed.ok) pending.push({ event: parsed.event, line });
    else localRejects.push({ line, id: parsed.id, code: 'line_malformed', param: null, reason: parsed.reason });
    if (pending.length >= batchSize) {
      await flush();
      if (maxBatches !== null && summary.batches >= maxBatches) {
        stopped = true;
        break;
      }
    }
  }
  if (!stopped) {
    if (pending.length || localRejects.length) await flush();
    const done: SavedProgress = { file: path, size: stat.size, mtime_ms: stat.mtimeMs, line: lastLine, offset: lastOffset, ...summary.total, done: true };
    const now = deps.clock.now();
    await deps.db.insert(meta).values({ key, value: done, updatedAt: now }).onConflictDoUpdate({ target: meta.key, set: { value: done, updatedAt: now } });
    summary.lastLine = lastLine;
    summary.complete = true;
  }
  bar?.done(lastOffset, status());
  summary.elapsedMs = performance.now() - started;
  return summary;
}

const n = (x: number) => x.toLocaleString('en-US');

/** The summary a person reads at the end. */
export function formatImportSummary(s: UsageImportSummary): string {
  const lines: string[] = [];
  if (s.alreadyDone) {
    lines.push(`${s.file} was already imported into ${s.instance} (${n(s.lastLine)} lines: ${n(s.total.accepted)} accepted, ${n(s.total.duplicates)} duplicates, ${n(s.total.rejected)} rejected). Nothing to do.`);
    return `${lines.join('\n')}\n`;
  }
  const from = s.resumedAfterLine !== null ? ` (resumed after line ${n(s.resumedAfterLine)})` : '';
  lines.push(
    `${s.complete ? 'Imported' : 'Partly imported'} ${s.file} into ${s.instance}${from}: ${n(s.accepted)} accepted, ${n(s.duplicates)} duplicates, ${n(s.rejected)} rejected, in ${n(s.batches)} batches (${(s.elapsedMs / 1000).toFixed(1)} s).`,
  );
  if (s.resumedAfterLine !== null) lines.push(`All runs on this file: ${n(s.total.accepted)} accepted, ${n(s.total.duplicates)} duplicates, ${n(s.total.rejected)} rejected.`);
  if (s.rejections.length) {
    lines.push(`Rejected${s.rejected > s.rejections.length ? ` (first ${s.rejections.length} of ${n(s.rejected)})` : ''}:`);
    for (const r of s.rejections) lines.push(`  line ${n(r.line)}${r.id ? ` (id ${r.id})` : ''}: ${r.code}${r.param ? ` [${r.param}]` : ''} — ${r.reason}`);
  }
  if (!s.complete) {
    lines.push(`Stopped after line ${n(s.lastLine)}; continue with --resume. (Sending a batch twice is harmless: event ids are idempotent, repeats count as duplicates.)`);
  }
  return `${lines.join('\n')}\n`;
}

/** `tally usage import FILE --instance SLUG [--batch N] [--resume] [--max-batches N]`: exit code 1 when lines were rejected. */
export async function usageImportCommand(file: string, opts: UsageImportOptions): Promise<number> {
  const settings = readSettings();
  const logger = createLogger({ level: settings.logLevel, pretty: settings.prettyLogs });
  const clock = clockFromEnv();
  const database = await openStore(settings, clock);
  try {
    const onBatch: ImportDeps['onBatch'] = (p) => logger.debug(p, 'usage import: batch committed');
    const s = await importUsageFile({ db: database.db, clock, progress: process.stderr, notice: (m) => process.stderr.write(`${m}\n`), onBatch }, file, opts);
    process.stdout.write(formatImportSummary(s));
    return s.rejected > 0 ? 1 : 0;
  } finally {
    await database.close();
  }
}
