/**
 * Delivery of public events to webhook endpoints, in two job kinds:
 *
 * - `webhook.fan_out` (one per event, queued by recordEvent in the event's transaction): creates one
 *   delivery per enabled endpoint of the event's instance that wants the type, each with its own
 *   `webhook.deliver` job, all in one transaction; the (endpoint, event) unique key makes a rerun a no-op.
 *   After events that can change what a customer may use, it also records `customer.entitlements_updated`
 *   when the customer's features differ from the last ones announced.
 * - `webhook.deliver`: POSTs the delivery's frozen body, signed, and records the attempt; on failure it
 *   queues the next attempt per the retry schedule. A job is "in charge" only while the delivery's jobId
 *   names it, so a redelivery supersedes a pending retry instead of doubling it.
 *
 * At least once: the POST happens before the result is recorded, so a worker dying in between leaves the
 * job leased; when the lease expires another worker sends the same body, with the same event id, again.
 */
import { and, eq, inArray, isNull } from 'drizzle-orm';
import { performance } from 'node:perf_hooks';
import { enqueueJob } from '../../jobs/enqueue.js';
import type { JobRow } from '../../jobs/types.js';
import { customers, events, webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, webhookEntitlementStates } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { newId } from '../../shared/ids.js';
import { isTallyError } from '../../shared/errors.js';
import { withDb, type ServiceContext } from '../context.js';
import { getAvailableFeatures } from '../entitlements/entitlements.js';
import { recordEvent } from '../events/record-event.js';
import { privateNetworksSetting, refusedDestination, type PrivateNetworks } from './destination-policy.js';
import { endpointWants, signingSecrets } from './endpoints.js';
import { DELIVER_JOB_MAX_ATTEMPTS, WEBHOOK_DELIVER_JOB } from './job-kinds.js';
import { ENTITLEMENT_TRIGGERS, toPublicEvent } from './public-events.js';
import { nextAttemptAt } from './retry-schedule.js';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signatureHeader } from './signature.js';

export const DEFAULT_TIMEOUT_MS = 10_000;
const RESPONSE_EXCERPT_CHARS = 1_000;

/** The per-attempt timeout: TALLY_WEBHOOK_TIMEOUT_MS, else 10 s. */
export function webhookTimeoutMs(): number {
  const raw = process.env.TALLY_WEBHOOK_TIMEOUT_MS;
  const n = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_TIMEOUT_MS;
}

function field(payload: unknown, name: string): string {
  const v = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>)[name] : undefined;
  if (typeof v !== 'string' || !v) throw new Error(`job payload lacks '${name}'`);
  return v;
}

// ── Fan-out ──────────────────────────────────────────────────────────────────────────────────────────

export async function fanOutJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  await fanOutEvent(ctx, field(payload, 'event_id'));
}

/** Creates the deliveries of one event (idempotent). Returns how many were created by this call. */
export async function fanOutEvent(ctx: ServiceContext, eventId: string): Promise<number> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const [event] = await tx.select().from(events).where(eq(events.id, eventId));
    if (!event || event.instanceId === null) return 0;
    const live = await tx
      .select()
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.instanceId, event.instanceId), eq(webhookEndpoints.status, 'enabled'), isNull(webhookEndpoints.deletedAt)));
    // Only worth computing features when some endpoint would receive the announcement.
    if (ENTITLEMENT_TRIGGERS.has(event.type) && event.customerId && live.some((e) => endpointWants(e, 'customer.entitlements_updated'))) {
      await announceEntitlements(c, event.instanceId, event.customerId, event.id);
    }
    // An endpoint gets the events recorded since it was created, not ones queued before it existed.
    const endpoints = live.filter((e) => endpointWants(e, event.type) && e.createdAt <= event.createdAt);
    if (endpoints.length === 0) return 0;
    const externalId = event.customerId ? ((await tx.select({ externalId: customers.externalId }).from(customers).where(eq(customers.id, event.customerId)))[0]?.externalId ?? null) : null;
    const body = toPublicEvent(event, externalId);
    if (!body) return 0;
    const text = JSON.stringify(body);
    const now = c.clock.now();
    let created = 0;
    for (const endpoint of endpoints) {
      const id = newId('webhookDelivery', now);
      const inserted = await tx
        .insert(webhookDeliveries)
        .values({ id, endpointId: endpoint.id, eventId: event.id, eventType: event.type, body: text, status: 'pending', retryFrom: now, nextAttemptAt: now, createdAt: now, updatedAt: now })
        .onConflictDoNothing({ target: [webhookDeliveries.endpointId, webhookDeliveries.eventId] })
        .returning({ id: webhookDeliveries.id });
      if (inserted.length === 0) continue;
      const job = await enqueueJob(c, { kind: WEBHOOK_DELIVER_JOB, payload: { delivery_id: id }, runAt: now, maxAttempts: DELIVER_JOB_MAX_ATTEMPTS });
      await tx.update(webhookDeliveries).set({ jobId: job.id }).where(eq(webhookDeliveries.id, id));
      created++;
    }
    return created;
  });
}

type FeatureView = { key: string; name: string; limit: number | null; source: string; product: string };

/** What counts as a change: the set of feature keys and their limits (not where a feature comes from). */
const comparable = (features: readonly FeatureView[]) =>
  JSON.stringify(
    features
      .map((f) => [f.key, f.limit] as const)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );

/**
 * Records `customer.entitlements_updated` when the customer's features now differ from the last ones
 * announced (or none were yet). The state row is locked, so two fan-outs for one customer announce once.
 */
async function announceEntitlements(ctx: ServiceContext, instanceId: string, customerId: string, causeId: string): Promise<void> {
  let features: FeatureView[];
  try {
    features = (await getAvailableFeatures(ctx, customerId)).features.map((f) => ({ key: f.key, name: f.name, limit: f.limit, source: f.source, product: f.product }));
  } catch (e) {
    // No catalog loaded, or the customer is gone: nothing to announce.
    if (isTallyError(e)) return;
    throw e;
  }
  const now = ctx.clock.now();
  const created = await ctx.db.insert(webhookEntitlementStates).values({ customerId, features, updatedAt: now }).onConflictDoNothing().returning({ id: webhookEntitlementStates.customerId });
  let previous: FeatureView[] | null = null;
  if (created.length === 0) {
    const [state] = await ctx.db.select().from(webhookEntitlementStates).where(eq(webhookEntitlementStates.customerId, customerId)).for('update');
    previous = (state?.features ?? null) as FeatureView[] | null;
    if (previous !== null && comparable(previous) === comparable(features)) return;
    await ctx.db.update(webhookEntitlementStates).set({ features, updatedAt: now }).where(eq(webhookEntitlementStates.customerId, customerId));
  }
  await recordEvent(ctx, { type: 'customer.entitlements_updated', instanceId, customerId, objectId: customerId, data: { features, previous_features: previous, caused_by: causeId } });
}

// ── Delivery ─────────────────────────────────────────────────────────────────────────────────────────

export interface AttemptResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  responseExcerpt: string | null;
  durationMs: number;
}

/** POSTs `body` signed with `secrets` at `at`. Never throws: a network error or timeout is a failed attempt. */
export async function postWebhook(url: string, body: string, eventId: string, secrets: readonly string[], at: Date, timeoutMs: number): Promise<AttemptResult> {
  const started = performance.now();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Tally-Webhooks/1',
        // A fresh connection per attempt: reusing an idle keep-alive socket races the receiver closing it,
        // which would fail an attempt the receiver never saw.
        connection: 'close',
        [EVENT_ID_HEADER]: eventId,
        [SIGNATURE_HEADER]: signatureHeader(secrets, at, body),
      },
      // A redirect is not a success: the receiver should be configured with its final URL.
      redirect: 'manual',
      signal,
    });
    const text = await readExcerpt(res);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, statusCode: res.status, error: ok ? null : `HTTP ${res.status}`, responseExcerpt: text, durationMs: Math.round(performance.now() - started) };
  } catch (e) {
    const timedOut = signal.aborted;
    const message = timedOut ? `timed out after ${timeoutMs} ms` : describeFetchError(e);
    return { ok: false, statusCode: null, error: message, responseExcerpt: null, durationMs: Math.round(performance.now() - started) };
  }
}

/**
 * The start of the response body, reading no more than needed: a receiver answering with a huge (or endless)
 * body must not fill the worker's memory. Null when the body could not be read (e.g. cut off by the timeout).
 */
async function readExcerpt(res: Response): Promise<string | null> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length < RESPONSE_EXCERPT_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    return text.slice(0, RESPONSE_EXCERPT_CHARS);
  } catch {
    return text === '' ? null : text.slice(0, RESPONSE_EXCERPT_CHARS);
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function describeFetchError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? `: ${(cause as { code?: string }).code ?? cause.message}` : '';
  return `${e.message}${detail}`.slice(0, 500);
}

export interface DeliverOptions {
  timeoutMs?: number;
  /** Default: TALLY_WEBHOOK_PRIVATE_NETWORKS (see destination-policy.ts). */
  privateNetworks?: PrivateNetworks;
}

/** What one `webhook.deliver` run did. */
export type DeliverOutcome = 'succeeded' | 'retry_scheduled' | 'failed' | 'canceled' | 'superseded';

export async function deliverJob(ctx: ServiceContext, payload: unknown, job: JobRow): Promise<void> {
  await deliverOnce(ctx, field(payload, 'delivery_id'), job.id);
}

/**
 * Makes the attempt `jobId` is in charge of: sends, then records the attempt and what comes next under the
 * delivery's row lock. prepareAttempt, postWebhook and recordAttempt are its three steps (tests stop between them).
 */
export async function deliverOnce(ctx: ServiceContext, deliveryId: string, jobId: string, options: DeliverOptions = {}): Promise<DeliverOutcome> {
  const prepared = await prepareAttempt(ctx, deliveryId, jobId);
  if (typeof prepared === 'string') return prepared;
  // Checked at every attempt, so a name that comes to resolve to a refused address is caught then.
  const refused = await refusedDestination(prepared.endpoint.url, options.privateNetworks ?? privateNetworksSetting());
  const result = refused
    ? { ok: false, statusCode: null, error: `not sent: ${refused}`, responseExcerpt: null, durationMs: 0 }
    : await postWebhook(prepared.endpoint.url, prepared.delivery.body, prepared.delivery.eventId, prepared.secrets, prepared.at, options.timeoutMs ?? webhookTimeoutMs());
  return recordAttempt(ctx, deliveryId, jobId, prepared.at, result);
}

type Prepared = { delivery: typeof webhookDeliveries.$inferSelect; endpoint: typeof webhookEndpoints.$inferSelect; secrets: string[]; at: Date };

/** Loads what the attempt needs, or says why there is nothing to send (and records a cancel). */
export async function prepareAttempt(ctx: ServiceContext, deliveryId: string, jobId: string): Promise<Prepared | DeliverOutcome> {
  const [row] = await ctx.db
    .select({ delivery: webhookDeliveries, endpoint: webhookEndpoints })
    .from(webhookDeliveries)
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId));
  if (!row || row.delivery.status !== 'pending' || row.delivery.jobId !== jobId) return 'superseded';
  const at = ctx.clock.now();
  if (row.endpoint.status !== 'enabled' || row.endpoint.deletedAt !== null) {
    await ctx.db
      .update(webhookDeliveries)
      .set({ status: 'canceled', jobId: null, nextAttemptAt: null, completedAt: at, updatedAt: at })
      .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.jobId, jobId), inArray(webhookDeliveries.status, ['pending'])));
    return 'canceled';
  }
  return { delivery: row.delivery, endpoint: row.endpoint, secrets: signingSecrets(row.endpoint, at), at };
}

export async function recordAttempt(ctx: ServiceContext, deliveryId: string, jobId: string, at: Date, result: AttemptResult): Promise<DeliverOutcome> {
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const [d] = await tx.select().from(webhookDeliveries).where(eq(webhookDeliveries.id, deliveryId)).for('update');
    if (!d || d.status !== 'pending' || d.jobId !== jobId) return 'superseded';
    const attempt = d.attempts + 1;
    await tx.insert(webhookDeliveryAttempts).values({
      deliveryId,
      attempt,
      at,
      durationMs: result.durationMs,
      statusCode: result.statusCode,
      error: result.error,
      responseExcerpt: result.responseExcerpt,
    });
    const now = c.clock.now();
    const common = { attempts: attempt, lastAttemptAt: at, lastStatusCode: result.statusCode, lastError: result.error, updatedAt: now };
    if (result.ok) {
      await tx
        .update(webhookDeliveries)
        .set({ ...common, status: 'succeeded', jobId: null, nextAttemptAt: null, completedAt: now })
        .where(eq(webhookDeliveries.id, deliveryId));
      return 'succeeded';
    }
    const next = nextAttemptAt(deliveryId, attempt, d.retryFrom, now);
    if (next === null) {
      await tx
        .update(webhookDeliveries)
        .set({ ...common, status: 'failed', jobId: null, nextAttemptAt: null, completedAt: now })
        .where(eq(webhookDeliveries.id, deliveryId));
      return 'failed';
    }
    const job = await enqueueJob(c, { kind: WEBHOOK_DELIVER_JOB, payload: { delivery_id: deliveryId }, runAt: next, maxAttempts: DELIVER_JOB_MAX_ATTEMPTS });
    await tx
      .update(webhookDeliveries)
      .set({ ...common, jobId: job.id, nextAttemptAt: next })
      .where(eq(webhookDeliveries.id, deliveryId));
    return 'retry_scheduled';
  });
}
