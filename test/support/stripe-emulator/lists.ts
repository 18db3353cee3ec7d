/** Stripe list objects and cursor pagination (`limit`, `starting_after`, `ending_before`). */
import type Stripe from 'stripe';
import { invalidRequest } from './errors.js';

/** `items` must already be in list order (newest first for top-level lists). */
export function paginate<T extends { id: string }>(
  items: readonly T[],
  params: Stripe.PaginationParams,
  url: string,
): Stripe.ApiList<T> {
  const limit = params.limit ?? 10;
  if (params.starting_after !== undefined && params.ending_before !== undefined) {
    throw invalidRequest('You may only specify one of these parameters: starting_after, ending_before.', 'ending_before');
  }
  let page: readonly T[];
  let hasMore: boolean;
  if (params.ending_before !== undefined) {
    const index = items.findIndex((item) => item.id === params.ending_before);
    if (index === -1) throw invalidRequest(`No such object: '${params.ending_before}'`, 'ending_before', 'resource_missing');
    const before = items.slice(0, index);
    page = before.slice(Math.max(0, before.length - limit));
    hasMore = before.length > limit;
  } else {
    let start = 0;
    if (params.starting_after !== undefined) {
      const index = items.findIndex((item) => item.id === params.starting_after);
      if (index === -1) {
        throw invalidRequest(`No such object: '${params.starting_after}'`, 'starting_after', 'resource_missing');
      }
      start = index + 1;
    }
    page = items.slice(start, start + limit);
    hasMore = start + limit < items.length;
  }
  return { object: 'list', data: [...page], has_more: hasMore, url };
}

/** An embedded list that is always complete (e.g. a customer's tax ids when expanded). */
export function fullList<T>(items: readonly T[], url: string): Stripe.ApiList<T> {
  return { object: 'list', data: [...items], has_more: false, url };
}
