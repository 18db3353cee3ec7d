import { invalid } from '../../shared/errors.js';
import type { JobHandler } from '../../jobs/types.js';
import { pushInvoiceToProvider, sendInvoiceAtProvider } from './push.js';
import type { PaymentProvider } from './types.js';
import { processProviderWebhook } from './webhooks.js';

function field(payload: unknown, key: string): string {
  const v = (payload as Record<string, unknown> | null)?.[key];
  if (typeof v !== 'string' || !v) throw invalid('job_payload_invalid', `Job payload lacks '${key}'.`, key);
  return v;
}

/** Job handlers bound to the process's provider. Each is safe to rerun (see push.ts and webhooks.ts). */
export function providerJobHandlers(provider: PaymentProvider): { push: JobHandler; send: JobHandler; webhook: JobHandler } {
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
  };
}
