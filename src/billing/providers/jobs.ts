import { invalid } from '../../shared/errors.js';
import type { JobHandler } from '../../jobs/types.js';
import { pushInvoiceToProvider, sendInvoiceAtProvider } from './push.js';
import type { PaymentProvider } from './types.js';
import { setUpProviderCustomer } from './setup.js';
import { syncCustomers } from './sync.js';
import { processProviderWebhook } from './webhooks.js';

function field(payload: unknown, key: string): string {
  const v = (payload as Record<string, unknown> | null)?.[key];
  if (typeof v !== 'string' || !v) throw invalid('job_payload_invalid', `Job payload lacks '${key}'.`, key);
  return v;
}

/** Job handlers bound to the process's provider. Each is safe to rerun (see push.ts and webhooks.ts). */
export function providerJobHandlers(provider: PaymentProvider): { push: JobHandler; send: JobHandler; webhook: JobHandler; syncCustomer: JobHandler } {
  return {
    push: async (ctx, payload) => {
      await pushInvoiceToProvider(ctx, provider, field(payload, 'invoice_id'));
    },
    send: async (ctx, payload) => {
      await sendInvoiceAtProvider(ctx, provider, field(payload, 'invoice_id'), field(payload, 'sent_at'));
    },
    webhook: async (ctx, payload) => {
      await processProviderWebhook(ctx, provider, field(payload, 'event_id'));
    },
    // With the manual provider there is no other side to compare with: nothing to do. `setup` first puts the
    // customer at the provider (a contract going live: its invoice is paid at the provider, R19).
    syncCustomer: async (ctx, payload) => {
      if (provider.name === 'manual') return;
      const p = payload as Record<string, unknown>;
      const why = { reason: typeof p.reason === 'string' && p.reason ? p.reason : 'queued sync' };
      const customerId = field(payload, 'customer_id');
      if (p.setup === true) await setUpProviderCustomer(ctx, provider, customerId, why);
      await syncCustomers(ctx, provider, [customerId], why);
    },
  };
}
