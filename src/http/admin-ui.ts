import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The admin UI's built files (web/dist, made by `npm run build`, which `npm install` runs) under /admin.
 * Static and unauthenticated: the UI signs in against /admin/v1 itself. Paths without a file are client
 * routes and get index.html; /admin/v1/… never falls through to the UI.
 */

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tally admin: not built</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; line-height: 1.5">
<h1>The admin UI has not been built</h1>
<p>Tally serves the admin UI from <code>web/dist</code>, which is missing. Build it in the Tally directory with</p>
<pre>npm run build</pre>
<p>(<code>npm install</code> and <code>npm ci</code> build it too), then reload this page. The admin API at <code>/admin/v1</code> works without it.</p>
</body></html>`;

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

export function installAdminUi(app: FastifyInstance, dir: string): void {
  const root = normalize(dir);
  const serve = async (req: FastifyRequest, reply: FastifyReply) => {
    const rest = (req.params as { '*'?: string })['*'] ?? '';
    // The admin API's unknown routes answer as API 404s, never with the UI's page.
    if (rest === 'v1' || rest.startsWith('v1/')) return reply.callNotFound();
    const index = join(root, 'index.html');
    if (!(await isFile(index))) return reply.status(503).type(TYPES['.html'] ?? 'text/html').header('cache-control', 'no-store').send(NOT_BUILT);
    let wanted = index;
    if (rest !== '') {
      const candidate = normalize(join(root, decodeURIComponent(rest)));
      if (!candidate.startsWith(root + sep)) return reply.callNotFound();
      if (await isFile(candidate)) wanted = candidate;
      // A missing asset (with an extension) is a 404; anything else is a client route.
      else if (extname(rest) !== '') return reply.callNotFound();
    }
    const body = await readFile(wanted);
    // Vite names assets by content hash: they never change. index.html must be re-read to pick up new builds.
    const cache = wanted.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
    return reply.type(TYPES[extname(wanted)] ?? 'application/octet-stream').header('cache-control', cache).send(body);
  };
  app.get('/admin', { schema: { hide: true } }, serve);
  app.get('/admin/*', { schema: { hide: true } }, serve);
}
