/**
 * Route table. A route pairs a parser — which reads form parameters into the SDK's params type through a
 * `ParamReader` — with a handler that returns the SDK's response type, so both sides of every endpoint are
 * checked by the compiler. Parsing finishes (including the unknown-parameter check) before the handler runs,
 * so a rejected request never changes state.
 */
import type Stripe from 'stripe';
import { unixSeconds, type EmulatorClock } from './clock.js';
import type { FormObject } from './form.js';
import { ParamReader } from './params.js';
import type { Store } from './store.js';
import type { EventObject, EventType, WebhookDispatcher } from './webhooks.js';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
export type PathParams = Readonly<Record<string, string>>;

export class HandlerContext {
  constructor(
    readonly store: Store,
    readonly clock: EmulatorClock,
    private readonly webhooks: WebhookDispatcher,
    /** `req_...` of the API request being served; null for test-helper and time-driven changes. */
    readonly requestId: string | null,
    readonly idempotencyKey: string | null,
  ) {}

  /** Unix seconds on the emulator clock. */
  now(): number {
    return unixSeconds(this.clock.now());
  }

  emit<T extends EventType>(type: T, object: EventObject<T>, previousAttributes?: Partial<EventObject<T>>): void {
    this.webhooks.emit(type, object, { id: this.requestId, idempotency_key: this.idempotencyKey }, previousAttributes);
  }

  /** Every event emitted so far, oldest first. */
  events(): readonly Stripe.Event[] {
    return this.webhooks.events;
  }
}

export interface RouteSpec<P, R> {
  method: HttpMethod;
  /** `/v1/customers/:id`; literal segments win over parameters when both match. */
  path: string;
  parse(params: ParamReader<P>, path: PathParams): P;
  handle(params: P, ctx: HandlerContext, path: PathParams): R;
}

export interface Route {
  readonly method: HttpMethod;
  readonly path: string;
  readonly pattern: RegExp;
  readonly keys: readonly string[];
  readonly literalSegments: number;
  run(form: FormObject, path: PathParams, ctx: HandlerContext): unknown;
}

export function route<P, R>(spec: RouteSpec<P, R>): Route {
  const keys: string[] = [];
  const segments = spec.path.split('/').filter((s) => s !== '');
  const source = segments
    .map((segment) => {
      if (segment.startsWith(':')) {
        keys.push(segment.slice(1));
        return '/([^/]+)';
      }
      return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
    })
    .join('');
  return {
    method: spec.method,
    path: spec.path,
    pattern: new RegExp(`^${source}/?$`),
    keys,
    literalSegments: segments.filter((s) => !s.startsWith(':')).length,
    run(form, path, ctx) {
      const reader = ParamReader.root<P>(form);
      const params = spec.parse(reader, path);
      reader.assertNothingElse();
      return spec.handle(params, ctx, path);
    },
  };
}

export interface RouteMatch {
  route: Route;
  params: PathParams;
}

export class Router {
  private readonly routes: Route[];

  constructor(routes: readonly Route[]) {
    // Most literal segments first, so `/v1/customers/search` beats `/v1/customers/:id`.
    this.routes = [...routes].sort((a, b) => b.literalSegments - a.literalSegments);
  }

  match(method: string, path: string): RouteMatch | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route, params };
    }
    return undefined;
  }
}
