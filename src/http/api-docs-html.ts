/**
 * Renders an OpenAPI 3.1 document as one self-contained HTML page (no scripts, no external assets: a closed
 * network still shows it). Operations are grouped by tag; schemas are listed once and linked by `$ref`.
 */

type Json = Record<string, unknown>;

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
const anchor = (s: string): string => s.replace(/[^A-Za-z0-9_-]+/g, '-');
const isObj = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const MAX_DEPTH = 6;

function refName(ref: string): string {
  return ref.replace(/^#\/components\/schemas\//, '');
}

/** A one-line type: `string`, `integer | null`, `array of Invoice`, `"a" | "b"`. */
function typeLabel(s: Json): string {
  if (typeof s.$ref === 'string') return `<a href="#schema-${anchor(refName(s.$ref))}">${esc(refName(s.$ref))}</a>`;
  if ('const' in s) return `<code>${esc(JSON.stringify(s.const))}</code>`;
  if (Array.isArray(s.enum)) return s.enum.map((v) => `<code>${esc(JSON.stringify(v))}</code>`).join(' | ');
  const union = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : null) as Json[] | null;
  if (union) return union.map((u) => (isObj(u) ? typeLabel(u) : '')).join(' | ');
  const types = Array.isArray(s.type) ? (s.type as string[]) : typeof s.type === 'string' ? [s.type] : [];
  const parts = types.map((t) => (t === 'array' && isObj(s.items) ? `array of ${typeLabel(s.items)}` : esc(t)));
  if (typeof s.format === 'string') parts.push(`<span class="fmt">${esc(s.format)}</span>`);
  return parts.join(' | ') || 'any';
}

/** The object's fields, or the fields of the object an array or a nullable union holds, as a nested list. */
function fieldsOf(s: Json): Json | null {
  if (isObj(s.properties)) return s;
  if (isObj(s.items)) return fieldsOf(s.items);
  const union = (Array.isArray(s.anyOf) ? s.anyOf : Array.isArray(s.oneOf) ? s.oneOf : []) as unknown[];
  for (const u of union) if (isObj(u) && !u.$ref) {
    const f = fieldsOf(u);
    if (f) return f;
  }
  return null;
}

function schemaHtml(s: unknown, depth = 0): string {
  if (!isObj(s)) return '';
  const head = `<span class="type">${typeLabel(s)}</span>${s.description ? ` <span class="desc">${esc(s.description)}</span>` : ''}`;
  const obj = s.$ref ? null : fieldsOf(s);
  if (!obj || depth >= MAX_DEPTH) return head;
  const required = new Set(Array.isArray(obj.required) ? (obj.required as string[]) : []);
  const rows = Object.entries(obj.properties as Json).map(
    ([name, p]) => `<li><code class="field">${esc(name)}</code>${required.has(name) ? '' : '<span class="opt">optional</span>'} ${schemaHtml(p, depth + 1)}</li>`,
  );
  return `${head}<ul class="fields">${rows.join('')}</ul>`;
}

function jsonSchemaOf(content: unknown): unknown {
  return isObj(content) ? (isObj(content['application/json']) ? content['application/json'].schema : Object.values(content).find(isObj)?.schema) : undefined;
}

function operationHtml(path: string, method: string, op: Json): string {
  const id = anchor(`op-${method}-${path}`);
  const security = Array.isArray(op.security) ? (op.security as Json[]).flatMap((r) => Object.keys(r)) : [];
  const params = Array.isArray(op.parameters) ? (op.parameters as Json[]) : [];
  const paramRows = params.map(
    (p) =>
      `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td>${schemaHtml(p.schema)}${p.description ? ` <span class="desc">${esc(p.description)}</span>` : ''}</td></tr>`,
  );
  const body = isObj(op.requestBody) ? jsonSchemaOf(op.requestBody.content) : undefined;
  const responses = isObj(op.responses) ? Object.entries(op.responses) : [];
  const ok = responses.filter(([code]) => /^2/.test(code));
  const errors = responses.filter(([code]) => !/^2/.test(code)).map(([code]) => code);
  return `<section class="op" id="${id}">
<h3><span class="method ${esc(method)}">${esc(method.toUpperCase())}</span> <code>${esc(path)}</code></h3>
${op.summary ? `<p class="summary">${esc(op.summary)}</p>` : ''}${op.description ? `<p>${esc(op.description)}</p>` : ''}
<p class="auth">Auth: ${security.length ? security.map((s) => `<code>${esc(s)}</code>`).join(', ') : 'none (public)'}</p>
${paramRows.length ? `<h4>Parameters</h4><table><tr><th>Name</th><th>In</th><th>Required</th><th>Type</th></tr>${paramRows.join('')}</table>` : ''}
${body ? `<h4>Request body</h4><div class="schema">${schemaHtml(body)}</div>` : ''}
${ok.map(([code, r]) => `<h4>Response ${esc(code)}</h4><div class="schema">${isObj(r) ? schemaHtml(jsonSchemaOf(r.content)) || esc(r.description ?? '') : ''}</div>`).join('')}
${errors.length ? `<p class="errors">Errors: ${errors.map((c) => `<code>${esc(c)}</code>`).join(' ')} with the <a href="#schema-Error">Error</a> shape</p>` : ''}
</section>`;
}

const STYLE = `body{font:15px/1.5 system-ui,sans-serif;margin:0;display:flex;color:#1d2330}
nav{width:300px;flex:none;height:100vh;overflow:auto;position:sticky;top:0;background:#f5f6f8;padding:16px;box-sizing:border-box;font-size:13px}
nav a{display:block;color:#1d2330;text-decoration:none;padding:1px 0}nav h2{font-size:13px;margin:14px 0 4px;text-transform:uppercase;color:#667}
main{flex:1;padding:24px 40px;max-width:1000px}section.op{border-top:1px solid #e3e5ea;padding:8px 0 16px}
.method{display:inline-block;min-width:48px;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px;background:#667}
.method.get{background:#2b7a3d}.method.post{background:#2258b8}.method.delete{background:#b8322b}
code{font:13px ui-monospace,monospace}ul.fields{margin:2px 0;padding-left:20px;list-style:square}.desc{color:#556}.opt{font-size:11px;color:#889;margin-left:4px}
.fmt{font-size:11px;color:#889}table{border-collapse:collapse}td,th{border:1px solid #e3e5ea;padding:3px 8px;text-align:left;vertical-align:top}.summary{font-weight:600}`;

/** The whole page for `doc` (the object `GET /openapi.json` serves). */
export function renderApiDocsHtml(doc: Json): string {
  const info = isObj(doc.info) ? doc.info : {};
  const paths = isObj(doc.paths) ? doc.paths : {};
  const byTag = new Map<string, string[]>();
  const nav = new Map<string, string[]>();
  for (const [path, item] of Object.entries(paths)) {
    if (!isObj(item)) continue;
    for (const m of METHODS) {
      const op = item[m];
      if (!isObj(op)) continue;
      const tag = Array.isArray(op.tags) && typeof op.tags[0] === 'string' ? op.tags[0] : 'other';
      if (!byTag.has(tag)) {
        byTag.set(tag, []);
        nav.set(tag, []);
      }
      byTag.get(tag)?.push(operationHtml(path, m, op));
      nav.get(tag)?.push(`<a href="#${anchor(`op-${m}-${path}`)}"><b>${esc(m.toUpperCase())}</b> ${esc(path)}</a>`);
    }
  }
  // Instance API first, then admin, then the rest; alphabetical within each.
  const rank = (t: string) => (t.startsWith('admin') ? 1 : t === 'health' || t === 'other' ? 2 : 0);
  const tags = [...byTag.keys()].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
  const schemas = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {};
  const schemaSections = Object.keys(schemas)
    .sort()
    .map((name) => `<section class="op" id="schema-${anchor(name)}"><h3>${esc(name)}</h3><div class="schema">${schemaHtml({ ...(schemas[name] as Json), $ref: undefined })}</div></section>`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info.title ?? 'API')} reference</title><style>${STYLE}</style></head>
<body><nav><strong>${esc(info.title ?? 'API')}</strong> <span class="fmt">${esc(info.version ?? '')}</span>
${tags.map((t) => `<h2>${esc(t)}</h2>${(nav.get(t) ?? []).join('')}`).join('')}<h2>Schemas</h2>${Object.keys(schemas)
    .sort()
    .map((n) => `<a href="#schema-${anchor(n)}">${esc(n)}</a>`)
    .join('')}</nav>
<main><h1>${esc(info.title ?? 'API')} reference</h1><p>${esc(info.description ?? '')}</p>
<p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi ?? '')}).</p>
${tags.map((t) => `<h2 id="tag-${anchor(t)}">${esc(t)}</h2>${(byTag.get(t) ?? []).join('\n')}`).join('\n')}
<h2 id="schemas">Schemas</h2>${schemaSections.join('\n')}
</main></body></html>
`;
}
