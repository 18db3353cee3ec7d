/**
 * Job kinds of the payment provider, in a module with no imports, so the invoices and customers domains can
 * enqueue them in their own transactions without importing the provider code (which imports them).
 */
export const PUSH_INVOICE_JOB = 'provider.push_invoice';
export const SEND_INVOICE_JOB = 'provider.send_invoice';
export const PROCESS_WEBHOOK_JOB = 'provider.process_webhook';
/** Compares a customer with the provider and fixes what Tally owns (a contract going live queues it, R19). */
export const SYNC_CUSTOMER_JOB = 'provider.sync_customer';
