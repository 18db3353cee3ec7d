/**
 * Annual contracts from order forms (R18–R20). Lifecycle:
 *  - `importContract`: the form is read and checked (syntax, human numbers, catalog, customer) and stored
 *    in `review` with every problem listed; staff fix fields with `updateContract` (each fix audited).
 *  - `createContract`: in ONE transaction — the customer (new or existing), a draft send_invoice invoice
 *    with one up-front line per product (due start + payment terms, ACH + card, memo naming the quote),
 *    the customer prices for custom overage rates, the revenue schedule (amortization) attached to the
 *    invoice, and a subscription schedule from the contract start for the term.
 *  - `goLiveContract`: at the contract start (a job; or staff once the start has come): the schedule's
 *    subscription is linked to the contract, the reviewed draft is finalized and sent — so a contract
 *    starting next quarter issues no invoice before then, and it is due start + 30 days — and
 *    `contract.live` is recorded for the provider sync (see PROVIDER_SYNC_POINT).
 */
import { and, desc, eq, lt, ne } from 'drizzle-orm';
import { findPlan, findProduct, type Catalog } from '../../core/catalog/index.js';
import { amortize, type AmortizationSlice } from '../../core/contracts/amortization.js';
import { getPath, orderFormJson, UNSAFE_SEGMENTS, readOrderFormText, setPath, validateOrderForm, type FormProblem, type OrderForm, type OrderFormFormat } from '../../core/contracts/order-form.js';
import type { DraftLine } from '../../core/invoicing/index.js';
import { Decimal } from '../../core/money/decimal.js';
import { addInterval } from '../../core/periods/calendar.js';
import { parseDateOnly } from '../../core/periods/date-only.js';
import { conflict, invalid, notFound } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { enqueueJob } from '../../jobs/enqueue.js';
import { SYNC_CUSTOMER_JOB } from '../providers/job-kinds.js';
import { contracts, invoices, revenueSchedules } from '../../store/schema.js';
import { inTransaction } from '../../store/transaction.js';
import { recordAudit, requireJustification } from '../audit/record-audit.js';
import { currentCatalogVersion } from '../catalog/catalog-versions.js';
import { systemActor, withDb, type Justification, type ServiceContext } from '../context.js';
import { createCustomer, findCustomerByExternalId, getCustomer, updateCustomer, type Customer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { findInstanceBySlug } from '../instances/instances.js';
import { createDraftInvoice } from '../invoices/drafts.js';
import { getInvoice } from '../invoices/read.js';
import { finalizeInvoice, sendInvoice } from '../invoices/transitions.js';
import { createCustomerPrice, firstTierMismatch, meteredTieredPrice } from '../pricing/customer-prices.js';
import { liveSubscriptionRow } from '../subscriptions/internal.js';
import { advanceSchedule, createSchedule } from '../subscriptions/schedules.js';

export const CONTRACT_GO_LIVE_JOB = 'contract.go_live';
/**
 * Going live records `contract.live` and queues `provider.sync_customer` (R19 "going live … syncs").
 */
export const PROVIDER_SYNC_POINT = 'contract.live';

export type ContractStatus = 'review' | 'created' | 'live';
type Row = typeof contracts.$inferSelect;

export interface Contract {
  id: string;
  status: ContractStatus;
  format: OrderFormFormat;
  source: unknown;
  form: Record<string, unknown> | null;
  problems: FormProblem[];
  quote: string | null;
  customerId: string | null;
  invoiceId: string | null;
  scheduleId: string | null;
  subscriptionId: string | null;
  invoiceIssueAt: Date | null;
  importedBy: string;
  createdAt: Date;
  updatedAt: Date;
  contractCreatedAt: Date | null;
  liveAt: Date | null;
}

const toContract = (r: Row): Contract => ({ ...r, form: (r.form as Record<string, unknown> | null) ?? null, problems: (r.problems as FormProblem[]) ?? [] });

const DAY_MS = 86_400_000;

/** The plan a contract product goes on: as the form says, else the product's default paid plan, else its default. */
function planFor(catalog: Catalog, product: string, plan: string | null): string | null {
  if (plan) return plan;
  const p = findProduct(catalog, product);
  return p ? (p.defaultPaidPlan ?? p.defaultPlan) : null;
}

/** Problems that need the catalog and the database: unknown products/plans, R7 tiers, the customer. */
async function storeProblems(ctx: ServiceContext, form: OrderForm, catalog: Catalog, productPath: (i: number) => string): Promise<FormProblem[]> {
  const out: FormProblem[] = [];
  const add = (path: string, code: string, message: string) => out.push({ path, code, message });
  const indexOf = new Map(form.products.map((p, i) => [p.product, i]));
  form.products.forEach((p, i) => {
    const path = productPath(i);
    const product = findProduct(catalog, p.product);
    if (!product) return add(`${path}.product`, 'unknown_product', `Unknown product '${p.product}' (products: ${[...catalog.products.keys()].join(', ')}).`);
    const plan = planFor(catalog, p.product, p.plan);
    if (!plan || !findPlan(catalog, p.product, plan)) return add(`${path}.plan`, 'unknown_plan', `Product '${p.product}' has no plan '${plan ?? ''}'.`);
    const metered = meteredTieredPrice(catalog, p.product, plan, form.currency);
    if (!metered) add(`${path}.plan`, 'plan_not_metered', `Plan '${plan}' of '${p.product}' has no metered tiered price in ${form.currency}: the subscription meters overage with one.`);
    // R7: an add-on's tier boundaries must equal its product's (the product's custom tiers if the form sets them).
    const parentInForm = product.addonOf ? form.products[indexOf.get(product.addonOf) ?? -1] : undefined;
    if (!p.overage && parentInForm?.overage) {
      add(`${path}.overage`, 'addon_tiers_mismatch', `'${p.product}' is an add-on of '${product.addonOf}', which gets custom tiers here; give the add-on custom overage rates with the same tier boundaries (R7).`);
    }
    if (p.overage && product.addonOf) {
      const parentIndex = indexOf.get(product.addonOf);
      const parent = parentIndex !== undefined ? form.products[parentIndex]! : null;
      const parentTiers = parent?.overage ?? (() => {
        const pp = meteredTieredPrice(catalog, product.addonOf!, planFor(catalog, product.addonOf!, parent?.plan ?? null) ?? '', form.currency);
        return pp && pp.scheme.type === 'tiered' ? pp.scheme.tiers : null;
      })();
      if (parentTiers) {
        const j = firstTierMismatch(p.overage, parentTiers);
        if (j >= 0) {
          const ours = p.overage[j]?.upTo?.toString() ?? (j < p.overage.length ? 'inf' : 'none');
          const theirs = parentTiers[j]?.upTo?.toString() ?? (j < parentTiers.length ? 'inf' : 'none');
          add(`${path}.overage.${Math.min(j, p.overage.length - 1)}.up_to`, 'addon_tiers_mismatch', `Tier ${j} of add-on '${p.product}' ends at ${ours} but tier ${j} of '${product.addonOf}' ends at ${theirs}; add-on tier boundaries must equal the product's (R7).`);
        }
      }
    }
  });
  const c = form.customer;
  if (c.kind === 'existing') {
    let customer: Customer | null = null;
    if (c.id) customer = await getCustomer(ctx, c.id).catch(() => null);
    else if (c.externalId && c.instance) {
      const instance = await findInstanceBySlug(ctx, c.instance);
      if (!instance) add('customer.instance', 'unknown_instance', `No instance '${c.instance}'.`);
      else customer = await findCustomerByExternalId(ctx, instance.id, c.externalId);
    }
    if (!customer && !out.some((x) => x.path === 'customer.instance')) add(c.id ? 'customer.id' : 'customer.external_id', 'unknown_customer', `No customer ${c.id ?? `'${c.externalId ?? ''}' in instance '${c.instance ?? ''}'`}; give the details of a new customer instead (name, address).`);
    if (customer && customer.currency !== form.currency) add('currency', 'currency_mismatch', `The contract is in ${form.currency}; customer ${customer.id} pays in ${customer.currency}.`);
    if (customer && !c.contactEmail && !customer.billingEmail) add('customer.contact_email', 'required', `Customer ${customer.id} has no billing email; set contact_email.`);
  } else {
    const instance = await findInstanceBySlug(ctx, c.instance);
    if (!instance) add('customer.instance', 'unknown_instance', `No instance '${c.instance}'.`);
    else if (await findCustomerByExternalId(ctx, instance.id, c.externalId)) {
      add('customer.external_id', 'customer_exists', `Instance '${c.instance}' already has a customer '${c.externalId}'; refer to it by id or external_id instead.`);
    }
  }
  const start = parseDateOnly(form.startDate, 'start_date');
  if (start.getTime() < ctx.clock.now().getTime()) add('start_date', 'start_in_past', `The contract starts ${form.startDate}, before now; the subscription schedule cannot start in the past.`);
  return out;
}

/** Unknown product and plan names in a raw form (used when the form has other problems too). */
function catalogNameProblems(source: unknown, catalog: Catalog): FormProblem[] {
  const out: FormProblem[] = [];
  const products = (source as { products?: unknown } | null)?.products;
  const entries: [string, unknown][] = Array.isArray(products)
    ? products.map((p, i) => [`products.${i}`, p])
    : typeof products === 'object' && products !== null
      ? Object.entries(products).map(([k, v]) => [`products.${k}`, { ...(typeof v === 'object' && v !== null ? v : {}), product: k }])
      : [];
  for (const [path, entry] of entries) {
    const e = (typeof entry === 'object' && entry !== null ? entry : {}) as { product?: unknown; plan?: unknown };
    if (typeof e.product !== 'string' || !e.product.trim()) continue;
    if (!findProduct(catalog, e.product.trim())) out.push({ path: `${path}.product`, code: 'unknown_product', message: `Unknown product '${e.product}' (products: ${[...catalog.products.keys()].join(', ')}).` });
    else if (typeof e.plan === 'string' && e.plan.trim() && !findPlan(catalog, e.product.trim(), e.plan.trim())) out.push({ path: `${path}.plan`, code: 'unknown_plan', message: `Product '${e.product}' has no plan '${e.plan}'.` });
  }
  return out;
}

async function check(ctx: ServiceContext, source: unknown): Promise<{ form: OrderForm | null; problems: FormProblem[] }> {
  const result = validateOrderForm(source);
  if (!result.ok) {
    // Still name unknown products and plans now, so review sees them together with the form's own problems.
    const { catalog } = await currentCatalogVersion(ctx.db);
    const extra = catalogNameProblems(source, catalog).filter((x) => !result.problems.some((p) => p.path === x.path));
    return { form: null, problems: [...result.problems, ...extra] };
  }
  const { catalog } = await currentCatalogVersion(ctx.db);
  // A form may list products as a mapping by key; problems then name `products.<key>` as the parser does.
  const products = (source as { products?: unknown }).products;
  const keyed = typeof products === 'object' && products !== null && !Array.isArray(products);
  const problems = await storeProblems(ctx, result.form, catalog, (i) => (keyed ? `products.${result.form.products[i]!.product}` : `products.${i}`));
  return { form: problems.length ? null : result.form, problems };
}

export interface ImportInput {
  /** The document's text, or an already parsed object (a JSON body). */
  text?: string;
  raw?: unknown;
  format: OrderFormFormat;
}

/** Reads and checks an order form and stores it for review, problems and all; a document that does not parse is refused. */
export async function importContract(ctx: ServiceContext, input: ImportInput, why: Justification = {}): Promise<Contract> {
  let raw = input.raw;
  if (input.text !== undefined) {
    const read = readOrderFormText(input.text, input.format);
    if (!read.ok) throw invalid('invalid_order_form', read.problems.map((p) => p.message).join(' '), 'order_form', { problems: read.problems });
    raw = read.raw;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw invalid('invalid_order_form', 'An order form is a mapping of fields.', 'order_form');
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const { form, problems } = await check(c, raw);
    const now = c.clock.now();
    const id = newId('contract', now);
    const [row] = await tx
      .insert(contracts)
      .values({
        id,
        status: 'review',
        format: input.format,
        source: raw as object,
        form: form ? orderFormJson(form) : null,
        problems,
        quote: typeof (raw as Record<string, unknown>).quote === 'string' ? ((raw as Record<string, unknown>).quote as string) : null,
        importedBy: c.actor.id,
        createdAt: now,
        updatedAt: now,
      })
      .returning();
    const contract = toContract(row!);
    await recordAudit(c, { action: 'contract.import', targetType: 'contract', targetId: id, after: { status: 'review', quote: contract.quote, problems }, reason: why.reason ?? 'order form imported', ticket: why.ticket });
    return contract;
  });
}

export async function getContract(ctx: ServiceContext, id: string): Promise<Contract> {
  const [row] = await ctx.db.select().from(contracts).where(eq(contracts.id, id));
  if (!row) throw notFound('contract', id, 'contract');
  return toContract(row);
}

async function lockContract(ctx: ServiceContext, id: string): Promise<Contract> {
  const [row] = await ctx.db.select().from(contracts).where(eq(contracts.id, id)).for('update');
  if (!row) throw notFound('contract', id, 'contract');
  return toContract(row);
}

export interface ContractList {
  data: Contract[];
  hasMore: boolean;
}

/** Newest first; `startingAfter` is the last id of the previous page. */
export async function listContracts(ctx: ServiceContext, opts: { status?: ContractStatus; limit: number; startingAfter?: string }): Promise<ContractList> {
  const conds = [];
  if (opts.status) conds.push(eq(contracts.status, opts.status));
  if (opts.startingAfter) conds.push(lt(contracts.id, opts.startingAfter));
  const rows = await ctx.db
    .select()
    .from(contracts)
    .where(conds.length ? and(...conds) : undefined)
    .orderBy(desc(contracts.id))
    .limit(opts.limit + 1);
  return { data: rows.slice(0, opts.limit).map(toContract), hasMore: rows.length > opts.limit };
}

/**
 * Staff fixes during review: `set` maps field paths of the form (`customer.contact_email`,
 * `products.0.up_front`) to new values (null removes the field). The form is checked again; every fix
 * is audited with the values before and after.
 */
export async function updateContract(ctx: ServiceContext, id: string, set: Record<string, unknown>, why: Justification = {}): Promise<Contract> {
  requireJustification(ctx, why);
  const paths = Object.keys(set);
  if (paths.length === 0) throw invalid('nothing_to_update', 'Give at least one field to set.', 'set');
  for (const path of paths) {
    if (!/^[a-z_][a-z0-9_]*(\.([a-z_][a-z0-9_]*|\d+))*$/i.test(path) || path.split('.').some((s) => UNSAFE_SEGMENTS.has(s))) throw invalid('invalid_field_path', `'${path}' is not a field path (e.g. customer.contact_email, products.0.up_front).`, `set.${path}`);
  }
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockContract(c, id);
    if (before.status !== 'review') throw conflict('contract_not_in_review', `Contract ${id} is ${before.status}; only a contract in review can be edited.`, 'status');
    const source = structuredClone(before.source) as Record<string, unknown>;
    const changes = paths.map((path) => ({ path, before: getPath(source, path) ?? null, after: set[path] ?? null }));
    for (const path of paths) setPath(source, path, set[path] === null ? undefined : set[path]);
    const { form, problems } = await check(c, source);
    const now = c.clock.now();
    const [row] = await tx
      .update(contracts)
      .set({ source, form: form ? orderFormJson(form) : null, problems, quote: typeof source.quote === 'string' ? source.quote : null, updatedAt: now })
      .where(eq(contracts.id, id))
      .returning();
    await recordAudit(c, { action: 'contract.update', targetType: 'contract', targetId: id, customerId: before.customerId, before: { changes: changes.map((x) => ({ path: x.path, value: x.before })), problems: before.problems }, after: { changes: changes.map((x) => ({ path: x.path, value: x.after })), problems }, ...why });
    return toContract(row!);
  });
}

const productName = (catalog: Catalog, key: string): string => findProduct(catalog, key)?.name ?? key;

/** The revenue schedule rows of one invoice: the total, and one per product line. */
async function attachRevenueSchedule(ctx: ServiceContext, p: { invoiceId: string; contractId: string; customerId: string; currency: string; start: Date; months: number; lines: { productKey: string; amount: bigint }[] }): Promise<void> {
  const now = ctx.clock.now();
  const total = p.lines.reduce((s, l) => s + l.amount, 0n);
  const rows = [{ productKey: null as string | null, amount: total }, ...p.lines.map((l) => ({ productKey: l.productKey as string | null, amount: l.amount }))];
  await ctx.db.insert(revenueSchedules).values(
    rows.map((r) => ({
      id: newId('revenueSchedule', now),
      invoiceId: p.invoiceId,
      contractId: p.contractId,
      customerId: p.customerId,
      productKey: r.productKey,
      currency: p.currency,
      total: r.amount,
      startDate: p.start,
      months: p.months,
      slices: sliceJson(amortize(r.amount, p.start, p.months)),
      createdAt: now,
    })),
  );
}

const sliceJson = (slices: AmortizationSlice[]) => slices.map((s) => ({ month: s.month, start: s.start.toISOString(), end: s.end.toISOString(), amount: s.amount.toString() }));

/**
 * Creates the contract's billing objects in one transaction (see the module comment). Refused while the
 * form has problems; the checks run again first, since the catalog or customers may have changed.
 */
export async function createContract(ctx: ServiceContext, id: string, why: Justification = {}): Promise<Contract> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockContract(c, id);
    if (before.status !== 'review') throw conflict('contract_already_created', `Contract ${id} is ${before.status}; it was created already.`, 'status');
    const { form, problems } = await check(c, before.source);
    if (!form) throw invalid('contract_has_problems', `Contract ${id} has ${problems.length} problem(s) to fix first: ${problems.map((p) => `${p.path}: ${p.message}`).join(' ')}`, problems[0]?.path || 'contract', { problems });
    const cv = await currentCatalogVersion(tx);
    const catalog = cv.catalog;
    const start = parseDateOnly(form.startDate, 'start_date');
    const months = form.termYears * 12;
    const end = addInterval(start, 'month', months);

    // The customer: found, or created with the order form's details (billing email = the chosen contact).
    let customer: Customer;
    const fc = form.customer;
    if (fc.kind === 'new') {
      const instance = (await findInstanceBySlug(c, fc.instance))!;
      customer = await createCustomer(c, { instanceId: instance.id, externalId: fc.externalId, name: fc.name, billingEmail: fc.contactEmail, address: fc.address, taxIds: [...fc.taxIds], currency: form.currency });
    } else {
      if (fc.id) customer = await getCustomer(c, fc.id);
      else customer = (await findCustomerByExternalId(c, (await findInstanceBySlug(c, fc.instance!))!.id, fc.externalId!))!;
      if (fc.contactEmail && fc.contactEmail !== customer.billingEmail) {
        customer = await updateCustomer(c, customer.id, { billingEmail: fc.contactEmail }, { reason: `contact email from order form ${form.quote}`, ticket: why.ticket });
      }
    }

    // The up-front invoice: one line per product, not discountable (the price was negotiated).
    const termLabel = `${form.startDate} to ${end.toISOString().slice(0, 10)}`;
    const lines: DraftLine[] = form.products.map((p) => ({
      description: `${productName(catalog, p.product)} — up-front, ${form.termYears === 1 ? '1 year' : `${form.termYears} years`} (${termLabel})`,
      source: 'up_front',
      productKey: p.product,
      priceKey: null,
      period: { start, end },
      quantity: Decimal.ONE,
      unitAmount: Decimal.fromBigInt(p.upFront),
      flatAmount: null,
      tier: null,
      tierFrom: null,
      tierUpTo: null,
      amount: p.upFront,
      discountable: false,
    }));
    const dueDate = form.dueDate ? parseDateOnly(form.dueDate, 'due_date') : new Date(start.getTime() + form.paymentTermsDays * DAY_MS);
    const invoice = await createDraftInvoice(
      c,
      {
        customerId: customer.id,
        collectionMethod: 'send_invoice',
        dueDate,
        paymentMethodTypes: ['us_bank_account', 'card'],
        memo: `Annual contract per accepted quote ${form.quote} (${termLabel}).`,
        metadata: { contract: id, quote: form.quote },
        lines,
      },
      { reason: why.reason ?? `contract ${id}`, ticket: why.ticket },
    );

    // Custom overage rates become the customer's own prices for the term (R7: graduated, metered, max).
    for (const p of form.products) {
      if (p.overage) await createCustomerPrice(c, { customerId: customer.id, productKey: p.product, currency: form.currency, tiers: p.overage, aggregation: 'max', validFrom: start, validUntil: end, contractId: id });
    }
    await attachRevenueSchedule(c, { invoiceId: invoice.id, contractId: id, customerId: customer.id, currency: form.currency, start, months, lines: form.products.map((p) => ({ productKey: p.product, amount: p.upFront })) });

    // The subscription: the metered prices of the contract's plans, from the start, for the term. The
    // up-front amounts are on the invoice above, so the subscription carries only the usage prices.
    const items = form.products.map((p) => ({ product: p.product, price: meteredTieredPrice(catalog, p.product, planFor(catalog, p.product, p.plan)!, form.currency)!.key }));
    const schedule = await createSchedule(c, customer.id, { phases: [{ start, months, items }], endBehavior: 'release' }, { reason: why.reason ?? `contract ${id}`, ticket: why.ticket });

    const now = c.clock.now();
    const [row] = await tx
      .update(contracts)
      .set({ status: 'created', form: orderFormJson(form), problems: [], customerId: customer.id, invoiceId: invoice.id, scheduleId: schedule.id, invoiceIssueAt: start, contractCreatedAt: now, updatedAt: now })
      .where(eq(contracts.id, id))
      .returning();
    await enqueueJob(c, { kind: CONTRACT_GO_LIVE_JOB, payload: { contract_id: id }, runAt: start, dedupeKey: `${CONTRACT_GO_LIVE_JOB}:${id}` });
    await recordEvent(c, { type: 'contract.created', instanceId: customer.instanceId, customerId: customer.id, objectId: id, data: { quote: form.quote, invoice: invoice.id, schedule: schedule.id, start: form.startDate, term_years: form.termYears } });
    const after = toContract(row!);
    await recordAudit(c, { action: 'contract.create', targetType: 'contract', targetId: id, customerId: customer.id, before: { status: before.status }, after: { status: after.status, invoice: invoice.id, schedule: schedule.id, customer: customer.id }, ...why, reason: why.reason ?? (c.actor.type === 'staff' ? null : 'contract created') });
    return after;
  });
}

/**
 * Goes live at the contract start: brings the schedule up to now (the subscription starts), links the
 * subscription, finalizes and sends the reviewed up-front invoice (due start + payment terms), records
 * `contract.live`. Idempotent (the job and staff may both call it); refused before the start.
 */
export async function goLiveContract(ctx: ServiceContext, id: string, why: Justification = {}): Promise<Contract> {
  requireJustification(ctx, why);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const before = await lockContract(c, id);
    if (before.status === 'live') return before;
    if (before.status !== 'created') throw conflict('contract_not_created', `Contract ${id} is in ${before.status}; create it first.`, 'status');
    const now = c.clock.now();
    if (before.invoiceIssueAt && before.invoiceIssueAt.getTime() > now.getTime()) {
      throw conflict('contract_not_started', `Contract ${id} starts ${before.invoiceIssueAt.toISOString()}; it goes live then, on its own.`, 'status');
    }
    const system: ServiceContext = { ...c, actor: c.actor.type === 'staff' ? c.actor : systemActor(CONTRACT_GO_LIVE_JOB) };
    if (before.scheduleId) await advanceSchedule(system, before.scheduleId);
    const sub = await liveSubscriptionRow(tx, before.customerId!);
    if (before.invoiceId) {
      let invoice = await getInvoice(c, before.invoiceId);
      const sendWhy = { reason: why.reason ?? `contract ${id} live`, ticket: why.ticket };
      if (invoice.status === 'draft') invoice = await finalizeInvoice(system, invoice.id, sendWhy);
      if (invoice.status === 'open' && !invoice.sentAt) await sendInvoice(system, invoice.id, sendWhy);
    }
    const [row] = await tx.update(contracts).set({ status: 'live', subscriptionId: sub?.id ?? null, liveAt: now, updatedAt: now }).where(eq(contracts.id, id)).returning();
    const customer = await getCustomer(c, before.customerId!);
    await recordEvent(c, { type: PROVIDER_SYNC_POINT, instanceId: customer.instanceId, customerId: customer.id, objectId: id, data: { subscription: sub?.id ?? null, invoice: before.invoiceId, sync_customer: true } });
    // Going live syncs the customer with the provider (R19), once per contract, after this commits.
    await enqueueJob(c, { kind: SYNC_CUSTOMER_JOB, payload: { customer_id: customer.id, setup: true, reason: `contract ${id} went live` }, dedupeKey: `${SYNC_CUSTOMER_JOB}:contract:${id}` });
    const after = toContract(row!);
    await recordAudit(system, { action: 'contract.go_live', targetType: 'contract', targetId: id, customerId: customer.id, before: { status: before.status }, after: { status: 'live', subscription: after.subscriptionId }, reason: why.reason ?? 'contract start reached', ticket: why.ticket });
    return after;
  });
}

/** The `contract.go_live` job: goes live if still due (a contract edited back… cannot be; created stays created until then). */
export async function contractGoLiveJob(ctx: ServiceContext, payload: unknown): Promise<void> {
  const id = (payload as { contract_id?: unknown } | null)?.contract_id;
  if (typeof id !== 'string') throw new Error("job payload lacks 'contract_id'");
  const contract = await getContract(ctx, id);
  if (contract.status !== 'created') return;
  await goLiveContract(ctx, id);
}

export interface AmortizationView {
  invoiceId: string;
  currency: string;
  total: bigint;
  months: number;
  start: Date;
  slices: { month: string; start: string; end: string; amount: bigint }[];
  products: { productKey: string; total: bigint; slices: { month: string; start: string; end: string; amount: bigint }[] }[];
}

type SliceJson = { month: string; start: string; end: string; amount: string };
const slicesOf = (v: unknown) => (v as SliceJson[]).map((s) => ({ ...s, amount: BigInt(s.amount) }));

/** The revenue schedule attached to a contract's invoice. */
export async function contractAmortization(ctx: ServiceContext, id: string): Promise<AmortizationView> {
  const contract = await getContract(ctx, id);
  if (!contract.invoiceId) throw conflict('contract_not_created', `Contract ${id} has no invoice yet; create it first.`, 'status');
  const rows = await ctx.db.select().from(revenueSchedules).where(eq(revenueSchedules.invoiceId, contract.invoiceId)).orderBy(revenueSchedules.id);
  const total = rows.find((r) => r.productKey === null)!;
  return {
    invoiceId: contract.invoiceId,
    currency: total.currency,
    total: total.total,
    months: total.months,
    start: total.startDate,
    slices: slicesOf(total.slices),
    products: rows.filter((r) => r.productKey !== null).map((r) => ({ productKey: r.productKey!, total: r.total, slices: slicesOf(r.slices) })),
  };
}

export type RevenueGrouping = 'contract' | 'customer' | 'product';

/** Every revenue schedule of invoices not voided, as entries keyed for `revenueByMonth`. */
export async function revenueEntries(ctx: ServiceContext, by: RevenueGrouping): Promise<{ key: string; currency: string; slices: { month: string; amount: bigint }[] }[]> {
  const rows = await ctx.db
    .select({ s: revenueSchedules })
    .from(revenueSchedules)
    .innerJoin(invoices, eq(invoices.id, revenueSchedules.invoiceId))
    .where(ne(invoices.status, 'void'))
    .orderBy(revenueSchedules.id);
  return rows
    .map((r) => r.s)
    .filter((s) => (by === 'product' ? s.productKey !== null : s.productKey === null))
    .map((s) => ({ key: by === 'product' ? s.productKey! : by === 'customer' ? s.customerId : (s.contractId ?? s.invoiceId), currency: s.currency, slices: slicesOf(s.slices) }));
}
