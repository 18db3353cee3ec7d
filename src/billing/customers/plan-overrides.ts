import { eq } from 'drizzle-orm';
import { findPlan, findProduct } from '../../core/catalog/lookup.js';
import { invalid, TallyError } from '../../shared/errors.js';
import { customers } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { withDb, type Justification, type ServiceContext } from '../context.js';
import { recordEvent } from '../events/record-event.js';
import { bumpCustomerRevision, getCustomer, lockCustomer, type Customer } from './customers.js';

/**
 * Staff override of a customer's plan map (R8): `{product: plan}` sets the plan whose features the
 * customer gets for that product, `{product: null}` removes the override. Merged into the existing map.
 * It changes features only — billing follows the subscription's items. Staff only, with a reason, audited.
 */
export async function setPlanOverrides(ctx: ServiceContext, customerId: string, overrides: Readonly<Record<string, string | null>>, why: Justification): Promise<Customer> {
  if (ctx.actor.type !== 'staff') throw new TallyError('permission', 'staff_only', 'Only staff can override a customer\'s plans.');
  requireJustification(ctx, why);
  const entries = Object.entries(overrides ?? {});
  if (entries.length === 0) throw invalid('overrides_required', 'Give at least one product to override (a plan, or null to remove).', 'overrides');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const { catalog } = await currentCatalogVersion(tx);
    for (const [product, plan] of entries) {
      const p = findProduct(catalog, product);
      if (!p) throw invalid('unknown_product', `Unknown product '${product}'.`, `overrides.${product}`);
      if (plan !== null && !findPlan(catalog, product, plan)) {
        throw invalid('unknown_plan', `Product '${product}' has no plan '${plan}' (plans: ${p.planKeys.join(', ')}).`, `overrides.${product}`);
      }
    }
    const before = await lockCustomer(c, customerId);
    const next: Record<string, string> = { ...before.planOverrides };
    for (const [product, plan] of entries) {
      if (plan === null) delete next[product];
      else next[product] = plan;
    }
    await tx.update(customers).set({ planOverrides: next, updatedAt: c.clock.now() }).where(eq(customers.id, customerId));
    await bumpCustomerRevision(c, customerId);
    await recordEvent(c, { type: 'customer.plan_overrides_updated', instanceId: before.instanceId, customerId, objectId: customerId, data: { plan_overrides: next, changed: overrides } });
    await recordAudit(c, { action: 'customer.plan_overrides', targetType: 'customer', targetId: customerId, customerId, before: { plan_overrides: before.planOverrides }, after: { plan_overrides: next }, ...why });
    return getCustomer(c, customerId);
  });
}
