/** `npm run soak` for a quarter of a minute: it must run against a real server and print its summary. */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { slope } from '../../bench/soak.js';
import { ROOT } from '../support/processes.js';

describe('npm run soak (short)', () => {
  it('fits a least-squares slope', () => {
    expect(slope([0, 1, 2, 3], [10, 12, 14, 16])).toBe(2);
    expect(slope([0, 1, 2], [5, 5, 5])).toBe(0);
    expect(slope([1], [3])).toBe(0);
  });

  it('ingests and reads against a real server, sampling its memory, and prints growth and throughput', async () => {
    const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/soak.ts', '--minutes', '0.25', '--sample-seconds', '2'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('exit', (c) => resolve({ code: c, stdout: out, stderr: err }));
    });
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/server at http:\/\/127\.0\.0\.1:\d+/);
    expect((stderr.match(/^ {2}t=/gm) ?? []).length).toBeGreaterThanOrEqual(5);
    expect(stdout).toMatch(/^rss\s+start [\d.]+ MB {2}end [\d.]+ MB {2}max [\d.]+ MB {2}slope -?[\d.]+ MB\/min$/m);
    expect(stdout).toMatch(/^heap\s+start [\d.]+ MB/m);
    const events = Number(stdout.match(/throughput\s+([\d,]+) events\/s/)?.[1]?.replaceAll(',', ''));
    expect(events).toBeGreaterThan(0);
    expect(stdout).toMatch(/errors\s+0/);
  }, 120_000);
});
