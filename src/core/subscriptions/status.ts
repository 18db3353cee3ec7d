import { conflict } from '../../shared/errors.js';

export type SubscriptionStatus = 'trialing' | 'active' | 'past_due' | 'canceled';

/**
 * The legal status moves. `canceled` is final: a customer who comes back gets a new subscription, so the
 * old one keeps its history untouched (and the one-live-subscription index only counts non-canceled rows).
 */
const NEXT: Readonly<Record<SubscriptionStatus, readonly SubscriptionStatus[]>> = {
  trialing: ['active', 'past_due', 'canceled'],
  active: ['past_due', 'canceled'],
  past_due: ['active', 'canceled'],
  canceled: [],
};

export function canTransition(from: SubscriptionStatus, to: SubscriptionStatus): boolean {
  return NEXT[from].includes(to);
}

/** Throws a `conflict` naming both statuses unless `from → to` is a legal move. */
export function assertTransition(from: SubscriptionStatus, to: SubscriptionStatus): void {
  if (!canTransition(from, to)) {
    const allowed = NEXT[from].length ? NEXT[from].join(', ') : 'nothing (it is final)';
    throw conflict('illegal_status_transition', `A ${from} subscription cannot become ${to}; from ${from} it can become ${allowed}.`, 'status');
  }
}

export const isLive = (status: SubscriptionStatus): boolean => status !== 'canceled';
