/**
 * Events and signed webhook delivery. State changes emit `Stripe.Event`-shaped objects; when a target is
 * configured each event is POSTed to it with `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.body")>`,
 * the exact scheme the SDK's `stripe.webhooks.constructEvent` verifies. Deliveries run in emission order, one at a
 * time, after the API response that caused them (Stripe delivers asynchronously too); `idle()` waits for them.
 */
import { createHmac } from 'node:crypto';
import Stripe from 'stripe';
import { unixSeconds, type EmulatorClock } from './clock.js';
import { newId, randomBase62 } from './ids.js';

export type EventType = Stripe.Event['type'];
export type EventObject<T extends EventType> = Extract<Stripe.Event, { type: T }>['data']['object'];

export interface EventRequestInfo {
  id: string | null;
  idempotency_key: string | null;
}

export interface WebhookDelivery {
  eventId: string;
  eventType: string;
  kind: 'event' | 'replay' | 'forged';
  url: string;
  attempt: number;
  /** HTTP status of the receiver's answer; null when the request failed (connection refused, timeout). */
  status: number | null;
  ok: boolean;
  error?: string;
  responseBody?: string;
  signatureHeader: string | null;
  payload: string;
}

export interface WebhookTargetOptions {
  /** Attempts per event (Stripe retries failed deliveries for days; tests usually want 1, the default). */
  attempts?: number;
  retryDelayMs?: number;
  timeoutMs?: number;
}

export type ForgeryMode =
  /** Signed with a secret the receiver does not know. */
  | 'wrong-secret'
  /** Correctly signed, but with a timestamp outside Stripe's 300 s tolerance. */
  | 'stale'
  /** Correctly signed payload whose body was altered after signing. */
  | 'tampered'
  /** No `Stripe-Signature` header at all. */
  | 'unsigned';

export interface ForgedDeliveryOptions {
  mode?: ForgeryMode;
  /** Base the forgery on an emitted event (default: a synthetic `invoice.paid`). */
  eventId?: string;
  /** Raw body to send instead (still signed according to `mode`). */
  payload?: string;
  /** For `stale`: how old the signature is, in seconds (default 3600). */
  ageSeconds?: number;
}

interface Target {
  url: string;
  secret: string;
  options: Required<WebhookTargetOptions>;
}

export function signPayload(payload: string, secret: string, timestamp: number): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${payload}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export function newWebhookSecret(): string {
  return `whsec_${randomBase62(32)}`;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class WebhookDispatcher {
  private target: Target | undefined;
  private queue: Promise<void> = Promise.resolve();
  private readonly payloads = new Map<string, string>();
  readonly events: Stripe.Event[] = [];
  readonly deliveries: WebhookDelivery[] = [];

  constructor(private readonly clock: EmulatorClock) {}

  get secret(): string | undefined {
    return this.target?.secret;
  }

  setTarget(url: string, secret: string = newWebhookSecret(), options: WebhookTargetOptions = {}): string {
    this.target = {
      url,
      secret,
      options: { attempts: options.attempts ?? 1, retryDelayMs: options.retryDelayMs ?? 25, timeoutMs: options.timeoutMs ?? 5000 },
    };
    return secret;
  }

  clearTarget(): void {
    this.target = undefined;
  }

  /** Records an event (a snapshot of `object` as it is now) and queues its delivery. */
  emit<T extends EventType>(
    type: T,
    object: EventObject<T>,
    request: EventRequestInfo,
    previousAttributes?: Partial<EventObject<T>>,
  ): Stripe.Event {
    const event: Stripe.EventBase = {
      id: newId('evt'),
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: unixSeconds(this.clock.now()),
      data: previousAttributes ? { object, previous_attributes: previousAttributes } : { object },
      livemode: false,
      pending_webhooks: this.target ? 1 : 0,
      request,
      type,
    };
    // The wire form is the snapshot: later mutations of `object` must not change an emitted event.
    const payload = JSON.stringify(event, null, 2);
    const parsed = JSON.parse(payload) as Stripe.Event;
    this.payloads.set(event.id, payload);
    this.events.push(parsed);
    const target = this.target;
    if (target) this.enqueue(() => this.deliver(target, parsed.id, parsed.type, payload, 'event'));
    return parsed;
  }

  /** Sends an already emitted event again, same id and body, freshly signed (a replay as an attacker or Stripe's retry would). */
  replay(eventId: string): Promise<WebhookDelivery> {
    const payload = this.payloads.get(eventId);
    const target = this.target;
    if (payload === undefined) return Promise.reject(new Error(`replayEvent: no event ${eventId}`));
    if (!target) return Promise.reject(new Error('replayEvent: no webhook target configured'));
    const type = (JSON.parse(payload) as Stripe.Event).type;
    return this.enqueue(() => this.deliver(target, eventId, type, payload, 'replay'));
  }

  deliverForged(options: ForgedDeliveryOptions = {}): Promise<WebhookDelivery> {
    const target = this.target;
    if (!target) return Promise.reject(new Error('deliverForged: no webhook target configured'));
    const mode = options.mode ?? 'wrong-secret';
    let payload = options.payload;
    if (payload === undefined && options.eventId !== undefined) payload = this.payloads.get(options.eventId);
    if (payload === undefined) payload = this.syntheticPayload();
    const eventMeta = JSON.parse(payload) as { id?: string; type?: string };
    const now = unixSeconds(this.clock.now());
    let header: string | null;
    let body = payload;
    switch (mode) {
      case 'wrong-secret':
        header = signPayload(payload, newWebhookSecret(), now);
        break;
      case 'stale':
        header = signPayload(payload, target.secret, now - (options.ageSeconds ?? 3600));
        break;
      case 'tampered':
        header = signPayload(payload, target.secret, now);
        body = payload.replace(/"amount_paid": \d+/, '"amount_paid": 1').replace(/"livemode": false/, '"livemode": true');
        if (body === payload) body = `${payload} `;
        break;
      case 'unsigned':
        header = null;
        break;
    }
    const forged = body;
    return this.enqueue(() =>
      this.post(target, eventMeta.id ?? 'evt_forged', eventMeta.type ?? 'unknown', forged, header, 'forged', 1),
    );
  }

  /** Resolves once every queued delivery has finished. */
  async idle(): Promise<void> {
    let current: Promise<void>;
    do {
      current = this.queue;
      await current;
    } while (current !== this.queue);
  }

  reset(): void {
    this.events.length = 0;
    this.deliveries.length = 0;
    this.payloads.clear();
  }

  private syntheticPayload(): string {
    const forged = {
      id: `evt_${randomBase62(24)}`,
      object: 'event',
      api_version: Stripe.API_VERSION,
      created: unixSeconds(this.clock.now()),
      data: { object: { id: `in_${randomBase62(24)}`, object: 'invoice', status: 'paid', amount_paid: 100_000 } },
      livemode: false,
      pending_webhooks: 1,
      request: { id: null, idempotency_key: null },
      type: 'invoice.paid',
    };
    return JSON.stringify(forged, null, 2);
  }

  private enqueue(job: () => Promise<WebhookDelivery>): Promise<WebhookDelivery> {
    const result = this.queue.then(job);
    this.queue = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  private async deliver(
    target: Target,
    eventId: string,
    eventType: string,
    payload: string,
    kind: 'event' | 'replay',
  ): Promise<WebhookDelivery> {
    let last: WebhookDelivery | undefined;
    for (let attempt = 1; attempt <= target.options.attempts; attempt += 1) {
      if (attempt > 1) await sleep(target.options.retryDelayMs);
      const header = signPayload(payload, target.secret, unixSeconds(this.clock.now()));
      last = await this.post(target, eventId, eventType, payload, header, kind, attempt);
      if (last.ok) break;
    }
    return last as WebhookDelivery;
  }

  private async post(
    target: Target,
    eventId: string,
    eventType: string,
    payload: string,
    header: string | null,
    kind: WebhookDelivery['kind'],
    attempt: number,
  ): Promise<WebhookDelivery> {
    const headers: Record<string, string> = {
      'Content-Type': 'application/json; charset=utf-8',
      'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
    };
    if (header !== null) headers['Stripe-Signature'] = header;
    const delivery: WebhookDelivery = {
      eventId,
      eventType,
      kind,
      url: target.url,
      attempt,
      status: null,
      ok: false,
      signatureHeader: header,
      payload,
    };
    try {
      const response = await fetch(target.url, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(target.options.timeoutMs),
      });
      delivery.status = response.status;
      delivery.ok = response.status >= 200 && response.status < 300;
      delivery.responseBody = await response.text();
    } catch (error) {
      delivery.error = error instanceof Error ? error.message : String(error);
    }
    this.deliveries.push(delivery);
    return delivery;
  }
}
