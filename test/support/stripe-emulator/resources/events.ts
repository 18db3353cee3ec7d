/** The events API: what the emulator emitted, for integrations that re-fetch an event after a webhook. */
import type Stripe from 'stripe';
import { notFound } from '../errors.js';
import { paginate } from '../lists.js';
import { matchesRange, readPagination, readRange } from '../params.js';
import { route, type Route } from '../router.js';
import { readExpand } from './common.js';

export const eventRoutes: Route[] = [
  route<Stripe.EventRetrieveParams, Stripe.Event>({
    method: 'GET',
    path: '/v1/events/:id',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => {
      const event = ctx.events().find((e) => e.id === path.id);
      if (!event) throw notFound('event', path.id as string);
      return event;
    },
  }),
  route<Stripe.EventListParams, Stripe.ApiList<Stripe.Event>>({
    method: 'GET',
    path: '/v1/events',
    parse: (p) => ({
      ...readPagination(p),
      created: readRange(p, 'created'),
      expand: readExpand(p),
      type: p.string('type'),
      types: p.strings('types'),
    }),
    handle: (params, ctx) => {
      const matchesType = (type: string, pattern: string): boolean =>
        pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : type === pattern;
      const events = [...ctx.events()]
        .reverse()
        .filter((e) => params.type === undefined || matchesType(e.type, params.type))
        .filter((e) => params.types === undefined || params.types.some((t) => matchesType(e.type, t)))
        .filter((e) => matchesRange(e.created, params.created));
      return paginate(events, params, '/v1/events');
    },
  }),
];
