/**
 * Real Tally processes sharing one PostgreSQL database and one test clock file (TALLY_TEST_CLOCK_FILE),
 * for scale-out and fault tests.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFileClock } from '../../src/shared/file-clock.js';
import { runTally, type Proc } from './processes.js';

export const ADMIN_PASSWORD = 'correct horse battery staple';

export interface Node {
  proc: Proc;
  /** http://127.0.0.1:PORT for serve nodes; null for workers. */
  url: string | null;
}

export interface Cluster {
  dir: string;
  clockFile: string;
  configFile: string;
  /** Moves every process's clock. */
  setTime(at: string | Date): void;
  env(extra?: Record<string, string>): Record<string, string>;
  /** Starts `tally serve`; `firstRun` waits for the first-run secrets too (the first node on an empty database). */
  serve(extra?: Record<string, string>, firstRun?: boolean): Promise<Node & { url: string; instanceKey: string | null }>;
  worker(extra?: Record<string, string>): Promise<Node>;
  /** SIGTERM to every process still running (SIGKILL after 10 s), then removes the directory. */
  stop(): Promise<void>;
}

export function cluster(databaseUrl: string, config: string, start: string): Cluster {
  const dir = mkdtempSync(join(tmpdir(), 'tally-cluster-'));
  const clockFile = join(dir, 'clock');
  const configFile = join(dir, 'billing.yaml');
  writeFileSync(configFile, config);
  setFileClock(clockFile, start);
  const procs: Proc[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    TALLY_CONFIG: configFile,
    TALLY_TEST_CLOCK_FILE: clockFile,
    TALLY_ADMIN_PASSWORD: ADMIN_PASSWORD,
    PORT: '0',
    ...extra,
  });
  return {
    dir,
    clockFile,
    configFile,
    setTime: (at) => setFileClock(clockFile, at),
    env,
    async serve(extra = {}, firstRun = false) {
      const proc = runTally(['serve'], env(extra));
      procs.push(proc);
      const [, url] = await proc.waitFor(/Tally is running at (http:\/\/\S+)/, 90_000);
      const key = firstRun ? (await proc.waitFor(/Instance key\s+(tally_ik_\S+)/, 10_000))[1]! : null;
      return { proc, url: url!, instanceKey: key };
    },
    async worker(extra = {}) {
      const proc = runTally(['worker'], env(extra));
      procs.push(proc);
      await proc.waitFor(/Tally worker \S+ is running/, 90_000);
      return { proc, url: null };
    },
    async stop() {
      await Promise.all(
        procs.map(async (p) => {
          if (p.child.exitCode !== null || p.child.signalCode !== null) return;
          p.child.kill('SIGTERM');
          const t = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
          await p.exited;
          clearTimeout(t);
        }),
      );
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns a value that is not undefined, or throws after `ms`. */
export async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = performance.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** JSON over HTTP with a bearer key. The body is loosely typed: tests assert its shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call(url: string, key: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed };
}
