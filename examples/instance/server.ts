// A tiny product deployment that bills through Tally with the SDK: "PixelCount", an analytics service.
//   TALLY_URL=http://127.0.0.1:4242 TALLY_API_KEY=tally_ik_… node bin/run-ts.js examples/instance/server.ts
// On start it makes sure its one team is a Tally customer on the pay-as-you-go plan. Then:
//   GET  /             the team's billing page (plan, usage, amount, limit, quota), read from Tally
//   POST /capture      {"count": n}: ingest n analytics events — refused with 429 once Tally says quota-limited
//   POST /limit        {"amount": cents | null}: set or remove the team's monthly billing limit
//   GET  /billing.json the billing state as Tally returns it
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TallyApiError, TallyClient, type BillingState } from '../../packages/sdk/src/index.js';

const PRODUCT = 'product_analytics';
const METRIC = 'events';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is not set`);
  return v;
};

const tally = new TallyClient({
  baseUrl: env('TALLY_URL', 'http://127.0.0.1:4242'),
  apiKey: env('TALLY_API_KEY'),
  // Usage goes out in batches of up to 1,000 events, at most a second after it happened.
  usage: { flushIntervalMs: 1_000, maxQueueSize: 50_000 },
  entitlements: { maxStalenessMs: 30_000 },
});
const teamId = env('TEAM_ID', 'team_pixelcount_demo');

/** Finds or creates the team's customer and puts it on the paid plan (a real product does this at sign-up). */
async function ensureCustomer(): Promise<string> {
  const notFound = (e: unknown) => {
    if (e instanceof TallyApiError && e.status === 404) return null;
    throw e;
  };
  const existing = await tally.customers.getByExternalId(teamId).catch(notFound);
  const id = existing?.id ?? (await tally.customers.create({ external_id: teamId, name: 'PixelCount demo team', currency: 'usd' })).id;
  const sub = await tally.subscriptions.get(id).catch(notFound);
  if (!sub || sub.status === 'canceled') await tally.subscriptions.create(id, { items: [{ product: PRODUCT, plan: 'paid' }] });
  return id;
}

/**
 * Whether Tally says the team has used what its billing limit buys. Tally evaluates the quota as it ingests,
 * so the state read after each flush is current; between flushes the last answer stands.
 */
let quotaLimited = false;
async function refreshQuota(customer: string): Promise<BillingState> {
  const state = await tally.billing.state(customer);
  quotaLimited = state.products.some((p) => p.product === PRODUCT && p.quota_limited);
  return state;
}

const money = (cents: number | null | undefined, currency: string) => (cents == null ? '—' : `${(cents / 100).toFixed(2)} ${currency.toUpperCase()}`);
const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);

function billingPage(s: BillingState): string {
  const p = s.products.find((x) => x.product === PRODUCT);
  const banner = p?.quota_limited
    ? `<p class="quota" id="quota">Quota reached: your billing limit is used up, so new events are not accepted until the next period or a higher limit.</p>`
    : `<p id="quota">Within quota.</p>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>PixelCount billing</title></head><body>
<h1>Billing</h1>${banner}
<table>
<tr><th>Plan</th><td id="plan">${esc(p?.plan ?? '—')}</td></tr>
<tr><th>Period</th><td>${esc(s.period_start ?? '—')} – ${esc(s.period_end ?? '—')}</td></tr>
<tr><th>Events this period</th><td id="usage">${esc(p?.usage ?? '0')}</td></tr>
<tr><th>Amount so far</th><td id="amount">${money(s.totals.amount_after_discount, s.currency)}</td></tr>
<tr><th>Projected</th><td>${money(s.totals.projected_amount_after_discount, s.currency)}</td></tr>
<tr><th>Billing limit</th><td id="limit">${money(p?.billing_limit?.amount, s.currency)}</td></tr>
<tr><th>Events the limit allows</th><td id="unit-limit">${esc(p?.unit_limit ?? 'unlimited')}</td></tr>
</table>
<p>Features: ${s.available_features.map((f) => esc(f.name)).join(', ')}</p>
</body></html>`;
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type });
  res.end(type === 'application/json' ? JSON.stringify(body) : String(body));
}

async function handle(customer: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  if (req.method === 'GET' && path === '/') return send(res, 200, billingPage(await refreshQuota(customer)), 'text/html; charset=utf-8');
  if (req.method === 'GET' && path === '/billing.json') return send(res, 200, await refreshQuota(customer));

  if (req.method === 'POST' && path === '/capture') {
    if (quotaLimited) return send(res, 429, { error: 'quota_limited', message: 'The billing limit is used up; raise it to keep capturing.' });
    const count = Number((await readJson(req)).count ?? 1);
    if (!Number.isInteger(count) || count < 1) return send(res, 400, { error: 'count must be a positive integer' });
    // One usage event per request (the product's own batch); the SDK batches these in turn.
    const receipt = tally.usage.report({ customer, metric: METRIC, value: count });
    // This demo waits for Tally's verdict so the page is exact; a busy service would not await it.
    await tally.usage.flush();
    const result = await receipt.result;
    await refreshQuota(customer);
    return send(res, result.status === 'accepted' || result.status === 'duplicate' ? 202 : 502, { usage: result, quota_limited: quotaLimited });
  }

  if (req.method === 'POST' && path === '/limit') {
    const amount = (await readJson(req)).amount;
    if (amount !== null && !(typeof amount === 'number' && Number.isInteger(amount) && amount >= 0)) return send(res, 400, { error: 'amount must be cents or null' });
    const limit = amount === null ? await tally.limits.remove(customer, PRODUCT) : await tally.limits.set(customer, { product: PRODUCT, amount });
    quotaLimited = limit.quota_limited;
    return send(res, 200, limit);
  }
  return send(res, 404, { error: 'not found' });
}

const customer = await ensureCustomer();
await refreshQuota(customer);
const server = createServer((req, res) => {
  handle(customer, req, res).catch((e: unknown) => {
    const status = e instanceof TallyApiError ? 502 : 500;
    send(res, status, { error: e instanceof Error ? e.message : String(e), ...(e instanceof TallyApiError ? { tally: e.error } : {}) });
  });
});
server.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () => {
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : process.env.PORT;
  process.stdout.write(`PixelCount is listening at http://127.0.0.1:${port} (customer ${customer})\n`);
});

const stop = () => {
  server.close();
  // Whatever is still queued goes to Tally before the process ends.
  void tally.usage.close().finally(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
