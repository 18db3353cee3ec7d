import { mkdtempSync, rmSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq, like } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activateCatalogConfig } from '../../src/billing/catalog/catalog-versions.js';
import { systemActor } from '../../src/billing/context.js';
import { createCustomer } from '../../src/billing/customers/customers.js';
import { createInstance } from '../../src/billing/instances/instances.js';
import { usageForPeriod } from '../../src/billing/usage/read-usage.js';
import { formatImportSummary, importUsageFile, parseCsvLine } from '../../src/cli/commands/usage-import.js';
import { renderBar } from '../../src/cli/progress.js';
import { ManualClock, systemClock } from '../../src/shared/clock.js';
import { openDatabase } from '../../src/store/database.js';
import { runMigrations } from '../../src/store/migrate.js';
import { meta } from '../../src/store/schema.js';
import { describeDb } from '../support/db.js';
import { runTally } from '../support/processes.js';

const example = new URL('../../examples/billing.yaml', import.meta.url);
const readExample = async () => (await import('node:fs')).readFileSync(example, 'utf8');

describe('CSV lines and the progress bar', () => {
  it('splits quoted CSV fields, with "" for a quote, and refuses an unclosed quote', () => {
    expect(parseCsvLine('a,b,,c')).toEqual(['a', 'b', '', 'c']);
    expect(parseCsvLine('e1,team,events,1,2026-03-01T00:00:00Z,"{""unique_key"": ""u,1""}"')).toEqual(['e1', 'team', 'events', '1', '2026-03-01T00:00:00Z', '{"unique_key": "u,1"}']);
    expect(parseCsvLine('"open,b')).toBeNull();
    expect(parseCsvLine('"x"y,b')).toBeNull();
  });

  it('draws a bar that fits the terminal', () => {
    expect(renderBar(50, 100, 'half', 80, 2_000)).toBe(`[${'█'.repeat(12)}${'░'.repeat(12)}]  50%  half  2s`);
    expect(renderBar(1, 0, 'x', 80, 0)).toContain('100%');
    expect(renderBar(1, 2, 'a long status '.repeat(20), 40, 0)).toHaveLength(39);
  });
});

describeDb('tally usage import', (database) => {
  const clock = new ManualClock('2026-03-20T12:00:00Z');
  const dir = mkdtempSync(join(tmpdir(), 'tally-usage-import-'));
  const ctx = () => ({ db: database().db, clock, actor: systemActor('test') });
  let team: string;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  beforeAll(async () => {
    await activateCatalogConfig(database().db, clock, await readExample(), 'billing.yaml');
    const instance = await createInstance(ctx(), { slug: 'imp' });
    team = (await createCustomer(ctx(), { instanceId: instance.id, externalId: 'team_a', currency: 'usd' })).id;
    await createCustomer(ctx(), { instanceId: instance.id, externalId: 'team_b', currency: 'usd' });
  });

  const deps = () => ({ db: database().db, clock });
  const sum = (metric: string) => usageForPeriod(ctx(), team, metric, 'sum', new Date('2026-03-01T00:00:00Z'), new Date('2026-04-01T00:00:00Z'));
  const ev = (i: number, metric = 'events', value: number | string = 1) => JSON.stringify({ id: `j${i}`, customer: 'team_a', metric, value, timestamp: '2026-03-05T10:00:00Z' });

  it('imports JSON lines and reports each rejected line by number', async () => {
    const file = join(dir, 'small.jsonl');
    writeFileSync(file, [ev(1), ev(2), '{"id": "broken"', '', ev(3, 'nonsense'), ev(4, 'events', 'ten'), ev(1), ev(5, 'events', 2)].join('\n') + '\n');
    const s = await importUsageFile(deps(), file, { instance: 'imp', batch: 3 });
    expect(s).toMatchObject({ format: 'jsonl', complete: true, accepted: 3, duplicates: 1, rejected: 3, lastLine: 8, batches: 2 });
    expect(s.rejections.map((r) => [r.line, r.code, r.param])).toEqual([
      [3, 'line_malformed', null],
      [5, 'metric_unknown', 'metric'],
      [6, 'value_invalid', 'value'],
    ]);
    expect(s.rejections[0]?.reason).toMatch(/not valid JSON/);
    expect((await sum('events')).toString()).toBe('4');
    const text = formatImportSummary(s);
    expect(text).toContain('3 accepted, 1 duplicates, 3 rejected');
    expect(text).toContain('line 3: line_malformed');
    expect(text).toContain('line 5 (id j3): metric_unknown [metric]');
  });

  it('imports CSV with a header and JSON properties, and headerless CSV in the documented order', async () => {
    const withHeader = join(dir, 'with-header.csv');
    writeFileSync(
      withHeader,
      [
        'id,customer,metric,value,timestamp,properties',
        'c1,team_a,recordings,2,2026-03-06T10:00:00Z,"{""unique_key"": ""s,1""}"',
        'c2,team_a,recordings,3,2026-03-06T11:00:00Z,',
        'c3,team_a,recordings,3',
        'c4,team_a,recordings,4,2026-03-06T12:00:00Z,{not json}',
      ].join('\r\n'),
    );
    const a = await importUsageFile(deps(), withHeader, { instance: 'imp' });
    expect(a).toMatchObject({ format: 'csv', accepted: 2, rejected: 2, lastLine: 5 });
    expect(a.rejections.map((r) => [r.line, r.id, r.reason])).toEqual([
      [4, 'c3', 'expected 6 columns (id,customer,metric,value,timestamp,properties), got 4'],
      [5, 'c4', 'properties must be a JSON object'],
    ]);
    const bare = join(dir, 'bare.csv');
    writeFileSync(bare, 'c5,team_a,recordings,10,2026-03-07T10:00:00Z\n');
    expect(await importUsageFile(deps(), bare, { instance: 'imp' })).toMatchObject({ accepted: 1, rejected: 0 });
    expect((await sum('recordings')).toString()).toBe('15');
  });

  it('stops after a number of batches and resumes after the last committed one', async () => {
    const file = join(dir, 'big.jsonl');
    const lines = Array.from({ length: 2_500 }, (_, i) => JSON.stringify({ id: `b${i}`, customer: i % 2 ? 'team_a' : 'team_b', metric: 'feature_flag_requests', value: 1, timestamp: '2026-03-08T10:00:00Z' }));
    lines[1_700] = 'not json at all';
    writeFileSync(file, lines.join('\n'));
    // The "kill": the first run stops after two committed batches.
    const first = await importUsageFile(deps(), file, { instance: 'imp', batch: 500, maxBatches: 2 });
    expect(first).toMatchObject({ complete: false, batches: 2, lastLine: 1_000, accepted: 1_000, duplicates: 0 });
    expect(formatImportSummary(first)).toContain('continue with --resume');
    const [saved] = await database().db.select().from(meta).where(like(meta.key, 'usage_import:%'));
    expect(saved).toBeDefined();

    const notes: string[] = [];
    const second = await importUsageFile({ ...deps(), notice: (m) => notes.push(m) }, file, { instance: 'imp', batch: 500, resume: true });
    expect(second).toMatchObject({ complete: true, resumedAfterLine: 1_000, lastLine: 2_500, accepted: 1_499, duplicates: 0, rejected: 1, total: { accepted: 2_499, duplicates: 0, rejected: 1 } });
    expect(second.rejections).toEqual([expect.objectContaining({ line: 1_701, code: 'line_malformed' })]);
    expect(notes).toEqual([]);
    expect((await sum('feature_flag_requests')).toString()).toBe('1250');

    // Resuming a finished file does nothing; importing it again from the start only finds duplicates.
    expect(await importUsageFile(deps(), file, { instance: 'imp', resume: true })).toMatchObject({ alreadyDone: true, accepted: 0, total: { accepted: 2_499 } });
    const again = await importUsageFile(deps(), file, { instance: 'imp' });
    expect(again).toMatchObject({ accepted: 0, duplicates: 2_499, rejected: 1 });
    expect((await sum('feature_flag_requests')).toString()).toBe('1250');
  });

  it('treats a changed file as a new one', async () => {
    const file = join(dir, 'grows.jsonl');
    writeFileSync(file, `${ev(101)}\n${ev(102)}\n`);
    await importUsageFile(deps(), file, { instance: 'imp', batch: 1, maxBatches: 1 });
    appendFileSync(file, `${ev(103)}\n`);
    utimesSync(file, new Date('2026-03-20T12:00:00Z'), new Date('2026-03-20T12:00:05Z'));
    const notes: string[] = [];
    const s = await importUsageFile({ ...deps(), notice: (m) => notes.push(m) }, file, { instance: 'imp', resume: true });
    expect(s).toMatchObject({ resumedAfterLine: null, accepted: 2, duplicates: 1 });
    expect(notes[0]).toMatch(/No earlier import .* starting from the first line/);
  });

  it('draws progress on a terminal', async () => {
    const file = join(dir, 'progress.jsonl');
    writeFileSync(file, Array.from({ length: 30 }, (_, i) => ev(200 + i)).join('\n'));
    let drawn = '';
    const tty = { isTTY: true, columns: 120, write: (s: string) => ((drawn += s), true) };
    await importUsageFile({ ...deps(), progress: tty }, file, { instance: 'imp', batch: 10 });
    expect(drawn).toContain('\r[');
    expect(drawn).toContain('100%');
    expect(drawn.endsWith('\n')).toBe(true);
    let silent = '';
    await importUsageFile({ ...deps(), progress: { isTTY: false, write: (s: string) => ((silent += s), true) } }, file, { instance: 'imp' });
    expect(silent).toBe('');
  });

  it('refuses bad options naming them, before sending anything', async () => {
    const file = join(dir, 'x.jsonl');
    writeFileSync(file, ev(300));
    await expect(importUsageFile(deps(), file, { instance: 'imp', batch: 0 })).rejects.toMatchObject({ param: 'batch' });
    await expect(importUsageFile(deps(), file, { instance: 'imp', batch: '1001' })).rejects.toMatchObject({ param: 'batch' });
    await expect(importUsageFile(deps(), join(dir, 'x.txt'), { instance: 'imp' })).rejects.toMatchObject({ param: 'file' });
    await expect(importUsageFile(deps(), join(dir, 'missing.jsonl'), { instance: 'imp' })).rejects.toMatchObject({ param: 'file' });
    await expect(importUsageFile(deps(), file, { instance: 'nowhere' })).rejects.toMatchObject({ type: 'not_found', param: 'instance' });
    const bad = join(dir, 'bad-header.csv');
    writeFileSync(bad, 'id,customer,metric,amount,timestamp\n');
    await expect(importUsageFile(deps(), bad, { instance: 'imp' })).rejects.toMatchObject({ code: 'csv_header_invalid', param: 'file' });
    const [row] = await database().db.select().from(meta).where(eq(meta.key, 'never'));
    expect(row).toBeUndefined();
  });
});

describe('tally usage import (real process)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-usage-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the summary with line numbers and exits 1 when lines were rejected', async () => {
    const dataDir = join(dir, 'data');
    const database = await openDatabase({ kind: 'pglite', dataDir }, systemClock);
    try {
      await runMigrations(database);
      await activateCatalogConfig(database.db, systemClock, await readExample(), 'billing.yaml');
      const c = { db: database.db, clock: systemClock, actor: systemActor('test') };
      const instance = await createInstance(c, { slug: 'cli' });
      await createCustomer(c, { instanceId: instance.id, externalId: 'team_cli', currency: 'usd' });
    } finally {
      await database.close();
    }
    const now = new Date().toISOString();
    const file = join(dir, 'events.csv');
    writeFileSync(file, `id,customer,metric,value,timestamp\nk1,team_cli,events,5,${now}\nk2,team_nobody,events,5,${now}\n`);
    const run = runTally(['usage', 'import', file, '--instance', 'cli', '--batch', '10'], { TALLY_DATA_DIR: dataDir });
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('1 accepted, 0 duplicates, 1 rejected');
    expect(run.output()).toMatch(/line 3 \(id k2\): customer_unknown \[customer\]/);
  }, 120_000);
});
