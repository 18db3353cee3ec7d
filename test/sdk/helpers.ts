import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../src/shared/clock.js';
import type { Database } from '../../src/store/database.js';
import { testApp } from '../support/app.js';

/** The real Tally app listening on a loopback port, so the SDK talks to it over real HTTP. */
export async function listeningTally(database: Database, clock: Clock): Promise<{ app: FastifyInstance; url: string }> {
  const app = await testApp(database, clock);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no TCP address');
  return { app, url: `http://127.0.0.1:${addr.port}` };
}

export interface SeenRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * A fetch that records what the SDK sends and lets a test interfere: `intercept` runs before (and may replace)
 * the real call, e.g. to let the server process a request and then drop its answer.
 */
export function recordingFetch(intercept?: (req: SeenRequest, real: () => Promise<Response>, n: number) => Promise<Response>): { fetch: typeof fetch; seen: SeenRequest[] } {
  const seen: SeenRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const headers = Object.fromEntries(Object.entries((init?.headers ?? {}) as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
    const req: SeenRequest = { method: init?.method ?? 'GET', path: url.pathname + url.search, headers, body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined };
    seen.push(req);
    const real = () => fetch(input, init);
    return intercept ? intercept(req, real, seen.length) : real();
  };
  return { fetch: wrapped, seen };
}
