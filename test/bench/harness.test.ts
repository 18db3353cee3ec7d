/**
 * `npm run bench` in quick mode, end to end as a real process, so the harness cannot rot: every benchmark
 * runs (the PostgreSQL ones where a server answers) and one summary table closes the output.
 */
import { spawn } from 'node:child_process';
import { cpus } from 'node:os';
import { describe, expect, it } from 'vitest';
import { postgresAnswers } from '../../bench/usage-read.js';
import { ROOT } from '../support/processes.js';

function runBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/run.ts'], { cwd: ROOT, env: { ...process.env, BENCH_QUICK: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run bench (BENCH_QUICK=1)', () => {
  it('runs every benchmark and prints one summary table with the database and core count of each row', async () => {
    const pg = await postgresAnswers();
    const { code, stdout, stderr } = await runBench();
    expect(code, stderr).toBe(0);
    expect(stdout.match(/^benchmark\s+figure\s+value\s+database\s+cores$/gm)).toHaveLength(1);
    expect(stdout).toContain(`${cpus().length} cores`);
    expect(stdout).toContain('QUICK');
    const rows = stdout.split('\n').filter((l) => /\s\d+$/.test(l) && !l.startsWith('Tally'));
    const figure = (bench: string, name: string): string | undefined => {
      const row = rows.find((l) => l.startsWith(bench) && new RegExp(`\\s${name}\\s`).test(l));
      return row?.split(/\s{2,}/)[2];
    };
    const num = (s: string | undefined) => Number((s ?? 'NaN').replaceAll(',', ''));
    expect(num(figure('rating', 'linesPerSecond'))).toBeGreaterThan(0);
    expect(num(figure('entitlements ', 'p99Ms'))).toBeGreaterThan(0);
    expect(num(figure('entitlements (HTTP)', 'p99Ms'))).toBeGreaterThan(0);
    expect(num(figure('entitlements (HTTP)', 'non2xx'))).toBe(0);
    for (const row of rows) expect(row).toMatch(new RegExp(`\\s${cpus().length}$`));
    if (pg) {
      expect(num(figure('ingest', 'httpEventsPerSecond'))).toBeGreaterThan(0);
      expect(num(figure('ingest', 'ratioToCopy'))).toBeGreaterThan(0);
      expect(num(figure('usage-read', 'p99 \\(ms\\)'))).toBeGreaterThan(0);
      expect(num(figure('period close', 'invoices'))).toBe(30);
      expect(num(figure('period close', 'invoicesPerSecond'))).toBeGreaterThan(0);
    } else {
      expect(stdout).toMatch(/ingest\s+status\s+skipped: no PostgreSQL/);
    }
  }, 180_000);
});
