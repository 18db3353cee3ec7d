/** Shared setup for the emulator's own tests. */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startStripeEmulator, type StripeEmulator, type StripeEmulatorOptions } from '../support/stripe-emulator/index.js';

/** One emulator per test file, reset before each test. */
export function useEmulator(options: StripeEmulatorOptions = {}): { readonly emulator: StripeEmulator; readonly stripe: Stripe } {
  let emulator: StripeEmulator | undefined;
  let stripe: Stripe | undefined;
  beforeAll(async () => {
    emulator = await startStripeEmulator(options);
    stripe = emulator.client();
  });
  beforeEach(() => emulator?.reset());
  afterAll(async () => {
    await emulator?.close();
  });
  return {
    get emulator() {
      if (!emulator) throw new Error('emulator not started');
      return emulator;
    },
    get stripe() {
      if (!stripe) throw new Error('emulator not started');
      return stripe;
    },
  };
}

/**
 * Stripe's example objects: a copy of Stripe's published fixtures3.json (MIT, its LICENSE beside it) in
 * test/fixtures/stripe, so a clone alone runs the tests; STRIPE_FIXTURES_PATH points elsewhere.
 */
export function loadFixtures(): Record<string, Record<string, unknown>> {
  const path =
    process.env.STRIPE_FIXTURES_PATH ?? fileURLToPath(new URL('../fixtures/stripe/fixtures3.json', import.meta.url));
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { resources: Record<string, Record<string, unknown>> };
  return parsed.resources;
}

export interface ReceivedWebhook {
  headers: IncomingHttpHeaders;
  body: string;
}

/** A local webhook endpoint that records what it receives and answers with `status()`. */
export async function startReceiver(
  status: (hook: ReceivedWebhook) => number = () => 200,
): Promise<{ url: string; received: ReceivedWebhook[]; close(): Promise<void> }> {
  const received: ReceivedWebhook[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hook = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(hook);
      res.writeHead(status(hook), { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhooks/stripe`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
