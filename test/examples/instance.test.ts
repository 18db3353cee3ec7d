import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runTally, runTs, type Proc } from '../support/processes.js';

// The example product deployment end to end: a real `tally serve`, the example server on the SDK, driven over
// HTTP until Tally says the customer is quota-limited and the example stops accepting work.
describe('examples/instance against a real tally serve', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-example-'));
  const procs: Proc[] = [];
  afterAll(async () => {
    for (const p of procs.reverse()) {
      p.child.kill('SIGTERM');
      await p.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates its customer, reports usage, shows billing state, sets a limit and refuses work once quota-limited', async () => {
    const tally = runTally(['serve'], { TALLY_DATA_DIR: join(dir, 'data'), PORT: '0', TALLY_ADMIN_PASSWORD: 'example test password' });
    procs.push(tally);
    const [, tallyUrl] = await tally.waitFor(/Tally is running at (http:\/\/\S+)/, 60_000);
    const [, key] = await tally.waitFor(/Instance key\s+(tally_ik_[0-9A-Za-z]+)/, 10_000);

    const example = runTs('examples/instance/server.ts', { TALLY_URL: tallyUrl as string, TALLY_API_KEY: key as string, PORT: '0', TEAM_ID: 'team_example' });
    procs.push(example);
    const [, url, customer] = await example.waitFor(/PixelCount is listening at (http:\/\/\S+) \(customer (cus_\w+)\)/, 60_000);
    const post = (path: string, body: object) => fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const page = async () => (await fetch(`${url}/`)).text();
    const cell = (html: string, id: string) => new RegExp(`id="${id}">([^<]*)<`).exec(html)?.[1];

    // Its customer exists in Tally, on the paid plan.
    const inTally = await fetch(`${tallyUrl}/v1/customers/by-external-id/team_example`, { headers: { authorization: `Bearer ${key}` } });
    expect(inTally.status).toBe(200);
    expect(((await inTally.json()) as { id: string }).id).toBe(customer);
    let html = await page();
    expect(cell(html, 'plan')).toBe('paid');
    expect(cell(html, 'usage')).toBe('0');
    expect(html).toContain('Within quota.');

    // $10 buys the first 1,000,000 events free plus 200,099 at 0.005¢ (round(200,099 × 0.005) = 1,000¢).
    const limit = await post('/limit', { amount: 1_000 });
    expect(limit.status).toBe(200);
    expect(await limit.json()).toMatchObject({ amount: 1_000, unit_limit: '1200099', quota_limited: false });

    const first = await post('/capture', { count: 1_000_000 });
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ usage: { status: 'accepted' }, quota_limited: false });
    html = await page();
    expect(cell(html, 'usage')).toBe('1000000');
    expect(cell(html, 'amount')).toBe('0.00 USD');
    expect(cell(html, 'limit')).toBe('10.00 USD');
    expect(cell(html, 'unit-limit')).toBe('1200099');

    const second = await post('/capture', { count: 200_099 });
    expect(second.status).toBe(202);
    expect(await second.json()).toMatchObject({ usage: { status: 'accepted' }, quota_limited: true });

    // Tally says quota-limited: the example refuses further work and its page says why.
    const refused = await post('/capture', { count: 1 });
    expect(refused.status).toBe(429);
    expect(await refused.json()).toMatchObject({ error: 'quota_limited' });
    html = await page();
    expect(html).toContain('Quota reached');
    expect(cell(html, 'usage')).toBe('1200099');
    expect(cell(html, 'amount')).toBe('10.00 USD'); // 200,099 × 0.005¢ = 1,000.495¢ → 1,000¢

    // Tally's own record agrees: the refused event was never reported.
    const state = (await (await fetch(`${tallyUrl}/v1/customers/${customer}/billing`, { headers: { authorization: `Bearer ${key}` } })).json()) as { products: { product: string }[] };
    expect(state.products.find((p: { product: string }) => p.product === 'product_analytics')).toMatchObject({ usage: '1200099', quota_limited: true });

    // Raising the limit lets work through again.
    const raised = await post('/limit', { amount: 2_000 });
    expect(await raised.json()).toMatchObject({ amount: 2_000, quota_limited: false });
    expect((await post('/capture', { count: 1 })).status).toBe(202);
  }, 180_000);
});
