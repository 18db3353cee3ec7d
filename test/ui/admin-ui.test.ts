import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, SCREENSHOTS, type Browser } from '../support/browser.js';
import { ROOT, runTally, type Proc } from '../support/processes.js';

/**
 * The admin UI end to end: a real `tally serve` on a fresh PGlite database, driven by headless chromium.
 * Staff of different roles are created through the admin API by the first-run owner.
 */
describe('admin UI (chromium against tally serve)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tally-ui-e2e-'));
  const PASSWORD = 'correct horse battery staple';
  let tally: Proc;
  let url: string;
  let instanceKey: string;
  let browser: Browser;
  let customerId: string;
  let couponId: string;
  let support: Page;
  let contractPath: string;

  const api = async (method: 'GET' | 'POST', path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
    const json = (await res.json()) as Record<string, unknown>;
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };

  const signIn = async (email: string): Promise<Page> => {
    const page = await browser.newPage();
    await page.goto(`${url}/admin/`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Customers', level: 1 }).waitFor();
    return page;
  };

  const nav = async (page: Page, label: string, heading: string) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: label }).click();
    await page.getByRole('heading', { name: heading, level: 1 }).waitFor();
  };

  beforeAll(async () => {
    // npm install/ci build the UI (prepare); build it here too when a checkout has not.
    if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) {
      const b = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'web/vite.config.ts'], { cwd: ROOT, encoding: 'utf8' });
      if (b.status !== 0) throw new Error(`vite build failed:\n${b.stdout}\n${b.stderr}`);
    }
    tally = runTally(['serve'], { TALLY_DATA_DIR: join(dir, 'data'), PORT: '0', TALLY_ADMIN_PASSWORD: PASSWORD });
    [, url] = (await tally.waitFor(/Tally is running at (http:\/\/\S+)/, 90_000)) as unknown as [string, string];
    [, instanceKey] = (await tally.waitFor(/Instance key\s+(tally_ik_[0-9A-Za-z]+)/, 10_000)) as unknown as [string, string];
    expect(tally.output()).toContain(`Admin URL       ${url}/admin`);

    const owner = (await api('POST', '/admin/v1/sessions', '', { email: 'owner@tally.local', password: PASSWORD })) as { token: string };
    for (const [email, name, role] of [
      ['sam.support@example.com', 'Sam Support', 'support'],
      ['alex.approver@example.com', 'Alex Approver', 'approver'],
      ['bea.billing@example.com', 'Bea Billing', 'billing_admin'],
    ]) {
      await api('POST', '/admin/v1/staff', owner.token, { email, name, role, password: PASSWORD, reason: 'UI test staff' });
    }

    const customer = (await api('POST', '/v1/customers', instanceKey, { external_id: 'team_4242', name: 'Acme Robotics', billing_email: 'billing@acme.test', currency: 'usd' })) as { id: string };
    customerId = customer.id;
    await api('POST', `/v1/customers/${customerId}/subscription`, instanceKey, { items: [{ product: 'product_analytics', plan: 'paid' }, { product: 'session_replay', plan: 'free' }] });
    const today = new Date().toISOString().slice(0, 10);
    await api('POST', '/v1/usage', instanceKey, {
      events: [
        { id: 'e1', customer: customerId, metric: 'events', value: 1_500_000, timestamp: `${today}T00:00:01Z` },
        { id: 'e2', customer: customerId, metric: 'recordings', value: 120, timestamp: `${today}T00:00:02Z` },
      ],
    });
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    if (tally) {
      tally.child.kill('SIGTERM');
      await tally.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('signs in and finds a customer by team ID', async () => {
    const page = await browser.newPage();
    await page.goto(`${url}/admin/`);
    await page.getByLabel('Email').waitFor();
    await screenshot(page, '01-sign-in');
    await page.getByLabel('Email').fill('sam.support@example.com');
    await page.getByLabel('Password').fill('wrong password!!');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-as').filter({ hasText: 'Sam Support · Support' }).waitFor();
    support = page;

    await page.getByLabel('Find a customer').fill('team_4242');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('link', { name: 'Acme Robotics' }).click();
    await page.getByRole('heading', { name: /Acme Robotics/, level: 1 }).waitFor();
    await page.getByRole('img', { name: /Product analytics: daily events/ }).waitFor();
    const identity = page.locator('section', { has: page.getByRole('heading', { name: 'Identity' }) });
    await expect(identity.textContent()).resolves.toContain('billing@acme.test');
    // Dates in UTC, the viewer's local time on hover.
    const since = identity.locator('time').first();
    expect(await since.getAttribute('title')).toContain('(your time)');
    await page.locator('section', { has: page.getByRole('heading', { name: 'Credit ledger' }) }).getByText('Balance:').waitFor();
    await screenshot(page, '02-customer');
  }, 60_000);

  it('creates a coupon (code shown once) and applies it to the customer with a reason', async () => {
    const page = support;
    await nav(page, 'Coupons', 'Coupons');
    await page.getByLabel('Name (why it is issued)').fill('Launch week 20%');
    await page.getByRole('textbox', { name: 'Percent off' }).fill('20');
    await page.getByLabel('Generate a customer-facing code').check();
    // Without a reason the form refuses and says why.
    await page.getByRole('button', { name: 'Create coupon' }).click();
    await page.getByRole('alert').filter({ hasText: 'reason or a ticket' }).waitFor();
    await page.getByLabel('Reason (for the audit log)').fill('Launch week promotion');
    await page.getByRole('button', { name: 'Create coupon' }).click();
    const created = await page.getByRole('status').filter({ hasText: /Created coupon_/ }).textContent();
    couponId = /(coupon_\w+)/.exec(created ?? '')![1]!;
    expect(await page.getByTestId('coupon-code').textContent()).toMatch(/^[0-9A-Za-z]{12}$/);
    await page.getByTestId('coupon-row').filter({ hasText: couponId }).waitFor();
    await screenshot(page, '03-coupons');

    await page.goto(`${url}/admin/customers/${customerId}`);
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Apply a coupon' }) });
    await form.getByLabel('Coupon', { exact: true }).locator(`option[value="${couponId}"]`).waitFor({ state: 'attached' });
    await form.getByLabel('Coupon', { exact: true }).selectOption(couponId);
    await form.getByLabel('Ticket reference').fill('SUP-101');
    await form.getByRole('button', { name: 'Apply coupon' }).click();
    await form.getByRole('status').filter({ hasText: 'Coupon applied.' }).waitFor();
    await page.getByTestId('current-coupon').filter({ hasText: 'Launch week 20%' }).waitFor();
    expect(await page.getByTestId('current-coupon').textContent()).toContain('20% off');
  }, 60_000);

  it('requests a credit as support; another staff member approves it', async () => {
    const page = support;
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Request a credit' }) });
    await form.getByLabel('Amount (USD)').fill('25.50');
    await form.getByLabel('Reason (for the audit log)').fill('Ingestion outage on the 20th');
    await form.getByRole('button', { name: 'Request credit' }).click();
    await form.getByRole('status').filter({ hasText: '$25.50 requested' }).waitFor();

    // The requester sees the request but cannot decide it.
    await nav(page, 'Approvals', 'Approvals');
    const mine = page.getByTestId('approval').filter({ hasText: 'Ingestion outage' });
    await mine.getByText('You requested this').or(mine.getByText('needs the approver role')).first().waitFor();
    expect(await mine.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);

    const approver = await signIn('alex.approver@example.com');
    await nav(approver, 'Approvals', 'Approvals');
    const item = approver.getByTestId('approval').filter({ hasText: 'Ingestion outage' });
    await item.getByText('$25.50').waitFor();
    await item.getByText('Earlier credits to this customer').waitFor();
    await item.getByText('Sam Support').first().waitFor();
    await screenshot(approver, '04-approvals');
    await item.getByLabel(/Decision note/).fill('Confirmed with the incident report');
    await item.getByRole('button', { name: 'Approve' }).click();
    await approver.getByText('Nothing pending.').waitFor();

    // The credit is in the customer's ledger, as a negative balance (credit to the customer).
    await approver.goto(`${url}/admin/customers/${customerId}`);
    const ledger = approver.locator('section', { has: approver.getByRole('heading', { name: 'Credit ledger' }) });
    await ledger.getByRole('cell', { name: 'credit', exact: true }).waitFor();
    expect(await ledger.textContent()).toMatch(/Balance: -\$25\.50/);
    // An approver reads customers but has no change actions.
    await approver.getByText('can read but not change customers').waitFor();
    await approver.close();
  }, 90_000);

  it('drafts a manual invoice, finalizes it and downloads its PDF', async () => {
    const page = await signIn('bea.billing@example.com');
    await nav(page, 'Invoices', 'Invoices');
    await page.getByLabel('Customer ID', { exact: true }).last().fill(customerId);
    await page.getByLabel('Line description').fill('Onboarding workshop');
    await page.getByLabel('Unit amount (major units)').fill('1200.00');
    await page.getByLabel('Reason (for the audit log)').fill('Quote Q-17 accepted');
    await page.getByRole('button', { name: 'Create draft' }).click();
    await page.getByRole('heading', { name: /Draft invoice/, level: 1 }).waitFor();
    await page.getByRole('cell', { name: 'Onboarding workshop' }).waitFor();

    const finalize = page.locator('form', { has: page.getByRole('heading', { name: 'Finalize' }) });
    await finalize.getByRole('button', { name: 'Finalize' }).click();
    await page.getByRole('heading', { name: /^Invoice \S+ open$/, level: 1 }).waitFor();
    const summary = page.locator('section', { has: page.getByRole('heading', { name: 'Summary' }) });
    // $1,200.00 total (manual invoices carry no coupon unless given one); the approved $25.50 credit is
    // applied at finalization: $1,174.50 due.
    const text = await summary.textContent();
    expect(text).toContain('Total$1,200.00');
    expect(text).toContain('Amount due$1,174.50');
    await screenshot(page, '05-invoice');

    const link = page.getByTestId('pdf-download');
    await link.waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toMatch(/\.pdf$/);
    const saved = join(SCREENSHOTS, '..', download.suggestedFilename());
    await download.saveAs(saved);
    expect(readFileSync(saved).subarray(0, 5).toString()).toBe('%PDF-');
    await page.close();
  }, 90_000);

  it('filters the audit log by customer and shows the catalog in force', async () => {
    const page = support;
    await nav(page, 'Audit log', 'Audit log');
    await page.getByLabel('Customer', { exact: true }).fill(customerId);
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.getByTestId('audit-row').filter({ hasText: 'coupon.apply' }).filter({ hasText: 'SUP-101' }).waitFor();
    // Only this customer's entries: staff accounts were created with no customer.
    await page.getByTestId('audit-row').filter({ hasText: 'staff.create' }).first().waitFor({ state: 'detached' });
    await page.getByTestId('audit-row').filter({ hasText: 'credit.approve' }).waitFor();
    await screenshot(page, '06-audit');

    await nav(page, 'Catalog', 'Catalog');
    await page.getByTestId('catalog-version').filter({ hasText: 'billing.yaml' }).waitFor();
    await page.getByRole('heading', { name: 'Product analytics (product_analytics)' }).waitFor();
    await screenshot(page, '07-catalog');
  }, 60_000);

  it('previews the next invoice for a plan change, then changes the plan now', async () => {
    const page = support;
    await page.goto(`${url}/admin/customers/${customerId}`);
    const form = page.locator('form', { has: page.getByRole('heading', { name: 'Change plan' }) });
    await form.getByLabel('Product', { exact: true }).locator('option[value="session_replay"]').waitFor({ state: 'attached' });
    await form.getByLabel('Product', { exact: true }).selectOption('session_replay');
    await form.getByLabel(/^New plan/).selectOption('team');
    await form.getByRole('button', { name: 'Preview the next invoice' }).click();
    const preview = page.getByTestId('plan-preview');
    await preview.waitFor();
    // Events 1.5M on paid: 0.5M × 0.005¢ = $25.00; 120 recordings on team: the $45.00 flat first tier.
    // $70.00 less the 20% coupon = $56.00; the credit went to the manual invoice.
    await preview.getByRole('cell', { name: '$45.00' }).waitFor();
    expect(await preview.textContent()).toContain('Total $56.00');
    await form.getByLabel('Reason (for the audit log)').fill('Customer asked for Team on the call');
    await form.getByRole('button', { name: 'Change plan now' }).click();
    await form.getByRole('status').filter({ hasText: 'Changed session_replay to team' }).waitFor();
    const subscription = page.locator('section', { has: page.getByRole('heading', { name: 'Subscription' }) });
    await subscription.getByRole('cell', { name: 'team', exact: true }).waitFor();
  }, 60_000);

  it('imports an order form, fixes its contact email with a reason, creates the contract and shows its amortization', async () => {
    const page = await signIn('bea.billing@example.com');
    await nav(page, 'Contracts', 'Contracts');
    // The fixture's start must be ahead of the server clock, and its customer in the first-run instance.
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 2, 1)).toISOString().slice(0, 10);
    const text = readFileSync(join(ROOT, 'test', 'fixtures', 'order-forms', 'acme-annual.yaml'), 'utf8').replace('start_date: 2026-02-01', `start_date: ${start}`).replace('instance: us', 'instance: demo');
    expect(text).toContain(`start_date: ${start}`);

    // A document that does not parse lists its problem and imports nothing.
    await page.getByLabel('Format').first().selectOption('csv');
    await page.getByLabel('Order form text').fill('quote,Q-1\n');
    await page.getByLabel('Reason (for the audit log)').fill('Order form signed');
    await page.getByRole('button', { name: 'Import order form' }).click();
    await page.getByTestId('import-problems').filter({ hasText: 'invalid_csv' }).waitFor();

    await page.getByLabel('Format').first().selectOption('yaml');
    await page.getByLabel('Order form text').fill(text);
    await page.getByLabel('Reason (for the audit log)').fill('Order form signed');
    await page.getByRole('button', { name: 'Import order form' }).click();
    await page.getByRole('heading', { name: /Contract Q-2026-0042 review/, level: 1 }).waitFor();
    const problem = page.getByTestId('contract-problem');
    await problem.filter({ hasText: 'customer.contact_email' }).waitFor();
    expect(await problem.count()).toBe(1);
    expect(await problem.textContent()).toContain('3 signer emails');
    const create = page.locator('form', { has: page.getByRole('heading', { name: 'Create the contract' }) });
    expect(await create.getByRole('button', { name: 'Create contract' }).isDisabled()).toBe(true);
    await screenshot(page, '09-contract-review');

    const fix = page.locator('form', { has: page.getByRole('heading', { name: 'Fix a field' }) });
    await page.getByRole('button', { name: 'Fix customer.contact_email' }).click();
    expect(await fix.getByLabel('Field path').inputValue()).toBe('customer.contact_email');
    // The shortcut puts the cursor on the value; the signers are offered as values.
    expect(await fix.getByLabel('New value').evaluate((el) => el === el.ownerDocument.activeElement)).toBe(true);
    expect(await fix.locator('datalist option').evaluateAll((os) => os.map((o) => o.getAttribute('value')))).toEqual(expect.arrayContaining(['cfo@acme.example', 'ap@acme.example']));
    await fix.getByLabel('New value').fill('cfo@acme.example');
    // Like every change, the fix needs a reason or a ticket.
    await fix.getByRole('button', { name: 'Save fix' }).click();
    await fix.getByRole('alert').filter({ hasText: 'reason or a ticket' }).waitFor();
    await fix.getByLabel('Ticket reference').fill('OPS-42');
    await fix.getByRole('button', { name: 'Save fix' }).click();
    await page.getByText('None: the order form is valid.').waitFor();
    const summary = page.locator('section', { has: page.getByRole('heading', { name: 'Order form', exact: true }) });
    await summary.getByText('$60,000.00').waitFor();
    expect(await summary.textContent()).toContain('cfo@acme.example');

    await create.getByLabel('Reason (for the audit log)').fill('Reviewed with sales ops');
    await create.getByRole('button', { name: 'Create contract' }).click();
    await page.getByRole('heading', { name: /Contract Q-2026-0042 created/, level: 1 }).waitFor();
    contractPath = new URL(page.url()).pathname;

    // 12 equal monthly slices of the $60,000.00 up front: $5,000.00 ($4,000.00 analytics + $1,000.00 replay).
    const rows = page.getByTestId('amortization-row');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(12);
    for (const row of await rows.all()) {
      const cells = await row.getByRole('cell').allTextContents();
      expect(cells.slice(-3)).toEqual(['$4,000.00', '$1,000.00', '$5,000.00']);
    }
    expect(await rows.first().getByRole('cell').first().textContent()).toBe(start.slice(0, 7));

    // Going live before the start is refused, and the UI says why.
    const goLive = page.locator('form', { has: page.getByRole('heading', { name: 'Go live' }) });
    await goLive.getByLabel('Reason (for the audit log)').fill('Customer asked to start early');
    await goLive.getByRole('button', { name: 'Go live now' }).click();
    await goLive.getByRole('alert').filter({ hasText: `Not started yet: Contract` }).waitFor();
    await screenshot(page, '10-contract');

    // The created customer and invoice are linked.
    const facts = page.locator('section', { has: page.getByRole('heading', { name: 'Contract', exact: true }) });
    await facts.getByRole('link', { name: /^cus_/ }).waitFor();
    await facts.getByRole('link', { name: /^inv_/ }).click();
    await page.getByRole('heading', { name: /Draft invoice/, level: 1 }).waitFor();
    await page.getByRole('cell', { name: '$48,000.00' }).first().waitFor();

    await nav(page, 'Contracts', 'Contracts');
    await page.getByTestId('contract-row').filter({ hasText: 'Q-2026-0042' }).filter({ hasText: 'created' }).filter({ hasText: '$60,000.00' }).waitFor();
    await screenshot(page, '11-contracts');

    await page.getByRole('link', { name: 'Revenue schedule' }).click();
    await page.getByRole('heading', { name: 'Revenue schedule', level: 1 }).waitFor();
    await page.getByLabel('Group by').selectOption('product');
    await page.getByTestId('revenue-row').filter({ hasText: 'session_replay' }).first().waitFor();
    expect(await page.getByTestId('revenue-month').count()).toBe(12);
    const firstMonth = await page.getByTestId('revenue-month').first().textContent();
    expect(firstMonth).toBe(`${start.slice(0, 7)}total$5,000.00`);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('revenue-download').click()]);
    expect(download.suggestedFilename()).toBe('revenue-schedule-by-product.csv');
    const saved = join(SCREENSHOTS, '..', download.suggestedFilename());
    await download.saveAs(saved);
    const csv = readFileSync(saved, 'utf8').split('\n');
    expect(csv[0]).toBe('month,product,currency,amount_minor');
    expect(csv).toContain(`${start.slice(0, 7)},product_analytics,USD,400000`);
    await screenshot(page, '12-revenue-schedule');
    await page.close();
  }, 120_000);

  it('fits a narrow window without sideways scrolling of the page', async () => {
    const page = support;
    await page.setViewportSize({ width: 400, height: 900 });
    await page.goto(`${url}/admin/customers/${customerId}`);
    await page.getByRole('img', { name: /Product analytics: daily events/ }).waitFor();
    await page.getByTestId('current-coupon').waitFor();
    await page.getByText('Balance:').waitFor();
    await page.getByRole('link', { name: /DEMO-/ }).first().waitFor();
    // Evaluated in the page; a string keeps the DOM globals out of the Node-typed test code.
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    await screenshot(page, '08-customer-narrow');

    // Support reads contracts but has no contract actions; the amortization table scrolls inside its card.
    expect(contractPath).toMatch(/^\/admin\/contracts\/ctr_/);
    await page.goto(`${url}${contractPath}`);
    await page.getByTestId('amortization-row').first().waitFor();
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    expect((await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number).toBeLessThanOrEqual(1);
    await nav(page, 'Contracts', 'Contracts');
    await page.getByText('can read contracts but not import').waitFor();
  }, 60_000);
});
