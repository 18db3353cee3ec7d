/**
 * Stripe's idempotency contract for POSTs: the first result for a key is stored and replayed verbatim (with
 * `Idempotent-Replayed: true`) for 24 hours of emulator time; reusing a key with different parameters is an
 * `idempotency_error` (400); a second request while the first is still executing gets 409
 * `idempotency_key_in_use`, which the SDK retries.
 */
import { unixSeconds, DAY_SECONDS, type EmulatorClock } from './clock.js';
import { idempotencyInUse, idempotencyMismatch } from './errors.js';

export interface StoredResponse {
  status: number;
  body: string;
  requestId: string;
}

interface Entry extends StoredResponse {
  fingerprint: string;
  storedAt: number;
}

export type IdempotencyDecision = { kind: 'replay'; response: StoredResponse } | { kind: 'execute' };

export class IdempotencyStore {
  private readonly stored = new Map<string, Entry>();
  private readonly inFlight = new Map<string, string>();

  constructor(
    private readonly clock: EmulatorClock,
    private readonly ttlSeconds = DAY_SECONDS,
  ) {}

  /** Decides whether to replay, or marks the key in flight for execution. Throws 400/409 per Stripe. */
  begin(key: string, fingerprint: string): IdempotencyDecision {
    this.expire();
    if (this.inFlight.has(key)) throw idempotencyInUse(key);
    const entry = this.stored.get(key);
    if (entry) {
      if (entry.fingerprint !== fingerprint) throw idempotencyMismatch(key);
      return { kind: 'replay', response: { status: entry.status, body: entry.body, requestId: entry.requestId } };
    }
    this.inFlight.set(key, fingerprint);
    return { kind: 'execute' };
  }

  complete(key: string, response: StoredResponse): void {
    const fingerprint = this.inFlight.get(key);
    this.inFlight.delete(key);
    if (fingerprint === undefined) return;
    this.stored.set(key, { ...response, fingerprint, storedAt: unixSeconds(this.clock.now()) });
  }

  /** Releases a key whose request ended without a storable result (validation error, emulator fault). */
  abandon(key: string): void {
    this.inFlight.delete(key);
  }

  has(key: string): boolean {
    this.expire();
    return this.stored.has(key);
  }

  clear(): void {
    this.stored.clear();
    this.inFlight.clear();
  }

  private expire(): void {
    const cutoff = unixSeconds(this.clock.now()) - this.ttlSeconds;
    for (const [key, entry] of this.stored) if (entry.storedAt < cutoff) this.stored.delete(key);
  }
}
