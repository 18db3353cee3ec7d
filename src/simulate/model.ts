import type { Catalog } from '../core/catalog/model.js';
import type { ConfigPath } from '../core/catalog/config-errors.js';
import type { ItemRequest } from '../core/subscriptions/items.js';

/**
 * A scenario after checking: every time resolved to an instant, every alias known to be defined before
 * its use, every metric, product, plan and price known to the config. What the runner executes.
 */
export interface Scenario {
  /** The scenario file, for messages. */
  readonly sourceName: string;
  readonly configText: string;
  /** The config's name for the catalog version and its messages. */
  readonly configSourceName: string;
  readonly catalog: Catalog;
  readonly start: Date;
  readonly invoiceGraceMs: number;
  readonly instances: readonly string[];
  readonly steps: readonly PlannedStep[];
  /** Line of a path in the scenario file (nearest ancestor when absent), for runtime errors. */
  readonly lineOf: (path: ConfigPath) => number | null;
  /** The raw step value, to tell whether a service error's field exists in the step. */
  readonly rawSteps: readonly unknown[];
}

export interface PlannedStep {
  readonly index: number;
  /** When the action happens: the clock is moved here first, running every job due on the way. */
  readonly at: Date;
  /** Where the step leaves the scenario's time: `at`, except for advance (its target). */
  readonly end: Date;
  readonly action: Action;
}

export interface UsageEventPlan {
  readonly id: string;
  readonly metric: string;
  readonly value: number | string;
  readonly timestamp: Date;
  readonly properties: Record<string, unknown> | null;
  /** Path of the event in the scenario (for rejections). */
  readonly path: ConfigPath;
}

export interface SchedulePhasePlan {
  readonly start: Date;
  readonly months: number;
  readonly interval?: 'month' | 'year';
  readonly items: readonly ItemRequest[];
}

export type Action =
  | { readonly kind: 'customer'; readonly alias: string; readonly externalId: string; readonly currency: string; readonly billingEmail: string | null; readonly name: string | null; readonly instance: string }
  | { readonly kind: 'subscribe'; readonly customer: string; readonly items: readonly ItemRequest[]; readonly interval?: 'month' | 'year'; readonly anchor?: Date }
  | { readonly kind: 'change_plan'; readonly customer: string; readonly item: ItemRequest }
  | { readonly kind: 'cancel'; readonly customer: string; readonly atPeriodEnd: boolean }
  | { readonly kind: 'usage'; readonly customer: string; readonly events: readonly UsageEventPlan[] }
  | { readonly kind: 'credit'; readonly customer: string; readonly amount: bigint; readonly description: string }
  | {
      readonly kind: 'coupon';
      readonly customer: string;
      readonly name: string;
      readonly percentOff: number | null;
      readonly amountOff: bigint | null;
      readonly duration: 'once' | 'repeating' | 'forever';
      readonly durationInMonths: number | null;
      readonly products: readonly string[] | null;
      readonly stack: boolean;
    }
  | { readonly kind: 'billing_limit'; readonly customer: string; readonly product: string; readonly amount: bigint | null; readonly effective: 'now' | 'next_period' }
  | { readonly kind: 'trial'; readonly customer: string; readonly until: Date }
  | { readonly kind: 'schedule'; readonly customer: string; readonly phases: readonly SchedulePhasePlan[]; readonly endBehavior: 'release' | 'cancel' }
  | { readonly kind: 'advance'; readonly to: Date };

export type ActionKind = Action['kind'];
