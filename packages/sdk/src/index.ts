export { TallyClient, type TallyClientOptions } from './client.js';
export { TallyApiError, TallyClosedError, TallyConnectionError, TallyQueueFullError, TallySdkError } from './errors.js';
export { UsageReporter, MAX_USAGE_BATCH, type FlushSummary, type UsageEventResult, type UsageReceipt, type UsageReporterOptions } from './usage-reporter.js';
export { EntitlementCache, type EntitlementCacheOptions } from './entitlement-cache.js';
export { Transport, type CallOptions, type TransportOptions } from './transport.js';
export { verifyWebhook, signWebhook, type VerifyWebhookOptions, type WebhookEvent, type WebhookVerification } from './webhooks.js';
export { verifyLicense, type LicenseFile, type LicenseInvalidReason, type LicensePayload, type LicensePublicKey, type LicenseVerification } from './license.js';
export type * from './api-types.js';
