import { notFound } from '../../shared/errors.js';
import type { ServiceContext } from '../context.js';
import { getCustomer, lockCustomer, type Customer } from './customers.js';

/** The instance whose customers `ctx` may touch: an instance acting sees only its own (R1); staff and system see all. */
export function instanceScope(ctx: ServiceContext): string | undefined {
  return ctx.actor.type === 'instance' ? ctx.actor.id : undefined;
}

/** True when the actor may see a customer of `instanceId`. */
export function seesInstance(ctx: ServiceContext, instanceId: string): boolean {
  const scope = instanceScope(ctx);
  return scope === undefined || scope === instanceId;
}

/** Throws `not_found` for a customer outside the actor's instance, as if it did not exist (R1). */
export function assertInScope(ctx: ServiceContext, customer: Pick<Customer, 'id' | 'instanceId'>): void {
  const scope = instanceScope(ctx);
  if (scope !== undefined && customer.instanceId !== scope) throw notFound('customer', customer.id, 'customer');
}

/** lockCustomer, refusing a customer of another instance when an instance acts. */
export async function lockCustomerInScope(ctx: ServiceContext, id: string): Promise<Customer> {
  const customer = await lockCustomer(ctx, id);
  assertInScope(ctx, customer);
  return customer;
}

/** getCustomer, scoped to the acting instance. */
export function getCustomerInScope(ctx: ServiceContext, id: string): Promise<Customer> {
  return getCustomer(ctx, id, instanceScope(ctx));
}
