/**
 * Webhook endpoints of an instance: where its public events go. Managed by staff (audited, with a reason)
 * or by the instance itself. The signing secret is returned only by create and rotate.
 */
import { randomBytes } from 'node:crypto';
import { and, asc, desc, eq, gt, isNull, lt } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';
import { isPublicEventType, PUBLIC_EVENT_TYPES } from './public-events.js';
import { DELIVER_JOB_MAX_ATTEMPTS, WEBHOOK_DELIVER_JOB } from './job-kinds.js';
import { literalAddress, privateNetworksSetting, refusedAddress } from './destination-policy.js';

export const SECRET_PREFIX = 'whsec_';
/** How long a rotated-out secret keeps signing, so receivers can switch without losing events. */
export const PREVIOUS_SECRET_TTL_MS = 24 * 60 * 60 * 1_000;
export const MAX_ENDPOINTS_PER_INSTANCE = 16;
const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type AttemptRow = typeof webhookDeliveryAttempts.$inferSelect;

/** An endpoint as shown: never its secrets. */
export interface WebhookEndpoint {
  id: string;
  instanceId: string;
  url: string;
  description: string | null;
  enabledEvents: string[];
  status: 'enabled' | 'disabled';
  /** Until when the rotated-out secret still signs, if it does. */
  previousSecretExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointWithSecret {
  endpoint: WebhookEndpoint;
  secret: string;
}

export function toEndpoint(r: EndpointRow, now: Date): WebhookEndpoint {
  const previousLive = r.previousSecret !== null && r.previousSecretExpiresAt !== null && r.previousSecretExpiresAt > now;
  return {
    id: r.id,
    instanceId: r.instanceId,
    url: r.url,
    description: r.description,
    enabledEvents: r.enabledEvents as string[],
    status: r.status,
    previousSecretExpiresAt: previousLive ? r.previousSecretExpiresAt : null,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

/** The secrets that sign now: the current one, then the rotated-out one while it is still valid. */
export function signingSecrets(r: EndpointRow, now: Date): string[] {
  const previousLive = r.previousSecret !== null && r.previousSecretExpiresAt !== null && r.previousSecretExpiresAt > now;
  return previousLive ? [r.secret, r.previousSecret!] : [r.secret];
}

/** For the audit log: what changed, never a secret. */
const snapshot = (r: EndpointRow) => ({ url: r.url, description: r.description, enabled_events: r.enabledEvents, status: r.status, deleted: r.deletedAt !== null });

export function newSigningSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64url');
}

export function checkUrl(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw invalid('url_invalid', 'url must be an absolute http or https URL.', 'url');
  if (value.length > MAX_URL_LENGTH) throw invalid('url_invalid', `url may be at most ${MAX_URL_LENGTH} characters.`, 'url');
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw invalid('url_invalid', `'${value}' is not an absolute URL.`, 'url');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw invalid('url_invalid', `Webhook URLs must use http or https, not ${u.protocol.replace(':', '')}.`, 'url');
  // Credentials in the URL would be shown in every list and log; put them in the path or use the signature.
  if (u.username !== '' || u.password !== '') throw invalid('url_invalid', 'Webhook URLs may not contain a user name or password.', 'url');
  if (u.hash !== '') throw invalid('url_invalid', 'Webhook URLs may not contain a fragment (#…).', 'url');
  // An address written out is refused here already; host names are checked at every delivery attempt.
  const literal = literalAddress(u);
  const why = literal ? refusedAddress(literal, privateNetworksSetting()) : null;
  if (why) throw invalid('url_refused', `Webhook URLs may not point at ${why}.`, 'url');
  return u.toString();
}

export function checkEnabledEvents(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('enabled_events_invalid', "enabled_events must list event types, or be ['*'] for all.", 'enabled_events');
  const out: string[] = [];
  for (const [i, t] of value.entries()) {
    if (typeof t !== 'string') throw invalid('enabled_events_invalid', 'enabled_events must be strings.', `enabled_events.${i}`);
    if (t !== '*' && !isPublicEventType(t)) {
      throw invalid('event_type_unknown', `'${t}' is not a public event type. Known: ${PUBLIC_EVENT_TYPES.join(', ')}, or '*'.`, `enabled_events.${i}`);
    }
    if (!out.includes(t)) out.push(t);
  }
  return out.includes('*') ? ['*'] : out;
}

function checkDescription(value: string | null | undefined): string | null {
  if (value === undefined || value === null || value.trim() === '') return null;
  if (value.length > MAX_DESCRIPTION_LENGTH) throw invalid('description_too_long', `description may be at most ${MAX_DESCRIPTION_LENGTH} characters.`, 'description');
  return value;
}

export function endpointWants(r: Pick<EndpointRow, 'enabledEvents'>, type: string): boolean {
  const wanted = r.enabledEvents as string[];
  return wanted.includes('*') || wanted.includes(type);
}

async function audit(ctx: ServiceContext, action: string, row: EndpointRow, before: EndpointRow | null, why: Justification): Promise<void> {
  if (ctx.actor.type !== 'staff') return;
  await recordAudit(ctx, { action, targetType: 'webhook_endpoint', targetId: row.id, before: before ? snapshot(before) : null, after: snapshot(row), ...why });
}

/** The endpoint, if it belongs to `instanceId` and is not deleted; a foreign one is "not found" too. */
async function loadEndpoint(ctx: ServiceContext, instanceId: string, id: string, lock = false): Promise<EndpointRow> {
  const q = ctx.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.instanceId, instanceId), isNull(webhookEndpoints.deletedAt)));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw notFound('webhook endpoint', id, 'endpoint');
  return row;
}

export interface CreateEndpointInput {
  url: string;
  enabledEvents: readonly string[];
  description?: string | null | undefined;
  status?: 'enabled' | 'disabled' | undefined;
}

export async function createEndpoint(ctx: ServiceContext, instanceId: string, input: CreateEndpointInput, why: Justification = {}): Promise<EndpointWithSecret> {
  requireJustification(ctx, why);
  const url = checkUrl(input.url);
  const enabledEvents = checkEnabledEvents(input.enabledEvents);
  const description = checkDescription(input.description);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const live = await tx
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.instanceId, instanceId), isNull(webhookEndpoints.deletedAt)))
      .limit(MAX_ENDPOINTS_PER_INSTANCE);
    if (live.length >= MAX_ENDPOINTS_PER_INSTANCE) throw conflict('too_many_endpoints', `An instance may have at most ${MAX_ENDPOINTS_PER_INSTANCE} webhook endpoints.`, 'url');
    const now = c.clock.now();
    const secret = newSigningSecret();
    const [row] = await tx
      .insert(webhookEndpoints)
      .values({ id: newId('webhookEndpoint', now), instanceId, url, description, enabledEvents, status: input.status ?? 'enabled', secret, createdAt: now, updatedAt: now })
      .returning();
    if (!row) throw new Error('webhook endpoint insert returned no row');
    await audit(c, 'webhook_endpoint.create', row, null, why);
    return { endpoint: toEndpoint(row, now), secret };
  });
}

export async function listEndpoints(ctx: ServiceContext, instanceId: string, page: PageRequest): Promise<Page<WebhookEndpoint>> {
  const limit = clampLimit(page.limit);
  const rows = await ctx.db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.instanceId, instanceId), isNull(webhookEndpoints.deletedAt), page.startingAfter ? gt(webhookEndpoints.id, page.startingAfter) : undefined))
    .orderBy(asc(webhookEndpoints.id))
    .limit(limit + 1);
  const now = ctx.clock.now();
  return toPage(
    rows.map((r) => toEndpoint(r, now)),
    limit,
  );
}

export async function getEndpoint(ctx: ServiceContext, instanceId: string, id: string): Promise<WebhookEndpoint> {
  return toEndpoint(await loadEndpoint(ctx, instanceId, id), ctx.clock.now());
}

export interface UpdateEndpointInput {
  url?: string | undefined;
  enabledEvents?: readonly string[] | undefined;
  description?: string | null | undefined;
  status?: 'enabled' | 'disabled' | undefined;
}

/** Changes the URL, event types, description or status. Disabling stops every delivery not yet made. */
export async function updateEndpoint(ctx: ServiceContext, instanceId: string, id: string, patch: UpdateEndpointInput, why: Justification = {}): Promise<WebhookEndpoint> {
  requireJustification(ctx, why);
  const set: Partial<typeof webhookEndpoints.$inferInsert> = {};
  if (patch.url !== undefined) set.url = checkUrl(patch.url);
  if (patch.enabledEvents !== undefined) set.enabledEvents = checkEnabledEvents(patch.enabledEvents);
  if (patch.description !== undefined) set.description = checkDescription(patch.description);
  if (patch.status !== undefined) set.status = patch.status;
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await loadEndpoint(c, instanceId, id, true);
    if (Object.keys(set).length === 0) return toEndpoint(before, c.clock.now());
    const now = c.clock.now();
    const [after] = await tx
      .update(webhookEndpoints)
      .set({ ...set, updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!after) throw new Error('webhook endpoint vanished under its lock');
    if (after.status === 'disabled') await cancelPending(c, id);
    await audit(c, 'webhook_endpoint.update', after, before, why);
    return toEndpoint(after, now);
  });
}

/**
 * A new signing secret, returned once. The one it replaces keeps signing (a second v1 in the header) for
 * 24 hours; a secret rotated out before that is dropped at once.
 */
export async function rotateSecret(ctx: ServiceContext, instanceId: string, id: string, why: Justification = {}): Promise<EndpointWithSecret> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await loadEndpoint(c, instanceId, id, true);
    const now = c.clock.now();
    const secret = newSigningSecret();
    const [after] = await tx
      .update(webhookEndpoints)
      .set({ secret, previousSecret: before.secret, previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_TTL_MS), updatedAt: now })
      .where(eq(webhookEndpoints.id, id))
      .returning();
    if (!after) throw new Error('webhook endpoint vanished under its lock');
    await audit(c, 'webhook_endpoint.rotate_secret', after, before, why);
    return { endpoint: toEndpoint(after, now), secret };
  });
}

/** Deletes an endpoint: it is no longer listed or sent to; its deliveries stay for the record. */
export async function deleteEndpoint(ctx: ServiceContext, instanceId: string, id: string, why: Justification = {}): Promise<WebhookEndpoint> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await loadEndpoint(c, instanceId, id, true);
    const now = c.clock.now();
    const [after] = await tx.update(webhookEndpoints).set({ status: 'disabled', deletedAt: now, updatedAt: now }).where(eq(webhookEndpoints.id, id)).returning();
    if (!after) throw new Error('webhook endpoint vanished under its lock');
    await cancelPending(c, id);
    await audit(c, 'webhook_endpoint.delete', after, before, why);
    return toEndpoint(after, now);
  });
}

async function cancelPending(ctx: ServiceContext, endpointId: string): Promise<void> {
  const now = ctx.clock.now();
  await ctx.db
    .update(webhookDeliveries)
    .set({ status: 'canceled', jobId: null, nextAttemptAt: null, completedAt: now, updatedAt: now })
    .where(and(eq(webhookDeliveries.endpointId, endpointId), eq(webhookDeliveries.status, 'pending')));
}

export interface DeliveryWithAttempts {
  delivery: DeliveryRow;
  attempts: AttemptRow[];
}

/** The endpoint's deliveries, newest first. */
export async function listDeliveries(ctx: ServiceContext, instanceId: string, endpointId: string, page: PageRequest): Promise<Page<DeliveryRow>> {
  await loadEndpoint(ctx, instanceId, endpointId);
  const limit = clampLimit(page.limit);
  const rows = await ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.endpointId, endpointId), page.startingAfter ? lt(webhookDeliveries.id, page.startingAfter) : undefined))
    .orderBy(desc(webhookDeliveries.id))
    .limit(limit + 1);
  return toPage(rows, limit);
}

async function loadDelivery(ctx: ServiceContext, endpointId: string, deliveryId: string, lock = false): Promise<DeliveryRow> {
  const q = ctx.db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.id, deliveryId), eq(webhookDeliveries.endpointId, endpointId)));
  const [row] = lock ? await q.for('update') : await q;
  if (!row) throw notFound('webhook delivery', deliveryId, 'delivery');
  return row;
}

export async function getDelivery(ctx: ServiceContext, instanceId: string, endpointId: string, deliveryId: string): Promise<DeliveryWithAttempts> {
  await loadEndpoint(ctx, instanceId, endpointId);
  const delivery = await loadDelivery(ctx, endpointId, deliveryId);
  const attempts = await ctx.db.select().from(webhookDeliveryAttempts).where(eq(webhookDeliveryAttempts.deliveryId, deliveryId)).orderBy(asc(webhookDeliveryAttempts.attempt));
  return { delivery, attempts };
}

/**
 * Sends a delivery again, now, with the same event id and body, and retries it on the usual schedule
 * (counted from now) if it fails. A pending retry it replaces is dropped, so the event is not sent twice
 * by this call. The endpoint must be enabled.
 */
export async function redeliver(ctx: ServiceContext, instanceId: string, endpointId: string, deliveryId: string, why: Justification = {}): Promise<DeliveryRow> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const endpoint = await loadEndpoint(c, instanceId, endpointId);
    if (endpoint.status !== 'enabled') throw conflict('endpoint_disabled', `Webhook endpoint ${endpointId} is disabled; enable it before redelivering.`, 'endpoint');
    const before = await loadDelivery(c, endpointId, deliveryId, true);
    const now = c.clock.now();
    const job = await enqueueJob(c, { kind: WEBHOOK_DELIVER_JOB, payload: { delivery_id: deliveryId }, runAt: now, maxAttempts: DELIVER_JOB_MAX_ATTEMPTS });
    const [after] = await tx
      .update(webhookDeliveries)
      .set({ status: 'pending', jobId: job.id, retryFrom: now, nextAttemptAt: now, completedAt: null, updatedAt: now })
      .where(eq(webhookDeliveries.id, deliveryId))
      .returning();
    if (!after) throw new Error('webhook delivery vanished under its lock');
    if (c.actor.type === 'staff') {
      await recordAudit(c, {
        action: 'webhook_delivery.redeliver',
        targetType: 'webhook_delivery',
        targetId: deliveryId,
        customerId: null,
        before: { status: before.status, attempts: before.attempts },
        after: { status: after.status, event: after.eventId, endpoint: endpointId },
        ...why,
      });
    }
    return after;
  });
}
