import type { FastifyInstance } from 'fastify';
import { renderApiDocsHtml } from '../api-docs-html.js';

/**
 * `GET /docs/api`: the OpenAPI document as a readable page, public like /openapi.json. Rendered once, on the
 * first request (the document is complete only after every route is registered).
 */
export function registerApiDocsRoute(app: FastifyInstance): void {
  let html: string | null = null;
  app.get('/docs/api', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => {
    html ??= renderApiDocsHtml(app.swagger() as unknown as Record<string, unknown>);
    return reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(html);
  });
}
