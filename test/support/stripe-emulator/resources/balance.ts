/** Customer balance transactions: the ledger behind `customer.balance` (negative = credit the customer holds). */
import type Stripe from 'stripe';
import { invalidParam, notFound } from '../errors.js';
import { newId } from '../ids.js';
import { paginate } from '../lists.js';
import { readPagination } from '../params.js';
import { route, type HandlerContext, type Route } from '../router.js';
import { deepClone, mergeMetadata, readCurrency, readExpand } from './common.js';
import { renderCustomer, requireCustomer } from './customers.js';

export interface BalanceChange {
  amount: number;
  type: Stripe.CustomerBalanceTransaction.Type;
  description?: string | null;
  metadata?: Stripe.Metadata | null;
  invoice?: string | null;
}

/** Moves `customer.balance` by `amount` and records the transaction; the caller emits `customer.updated`. */
export function recordBalanceTransaction(
  ctx: HandlerContext,
  customer: Stripe.Customer,
  change: BalanceChange,
): Stripe.CustomerBalanceTransaction {
  const currency = customer.currency ?? 'usd';
  customer.currency = currency;
  customer.balance += change.amount;
  const txn: Stripe.CustomerBalanceTransaction = {
    id: newId('cbtxn'),
    object: 'customer_balance_transaction',
    amount: change.amount,
    checkout_session: null,
    created: ctx.now(),
    credit_note: null,
    currency,
    customer: customer.id,
    customer_account: null,
    description: change.description ?? null,
    ending_balance: customer.balance,
    invoice: change.invoice ?? null,
    livemode: false,
    metadata: change.metadata ?? null,
    type: change.type,
  };
  ctx.store.balanceTransactions.set(txn.id, txn);
  ctx.store.track(txn.id);
  return txn;
}

function requireTransaction(ctx: HandlerContext, customerId: string, id: string): Stripe.CustomerBalanceTransaction {
  const txn = ctx.store.balanceTransactions.get(id);
  if (!txn || txn.customer !== customerId) throw notFound('customer balance transaction', id);
  return txn;
}

export const balanceRoutes: Route[] = [
  route<Stripe.CustomerCreateBalanceTransactionParams, Stripe.CustomerBalanceTransaction>({
    method: 'POST',
    path: '/v1/customers/:id/balance_transactions',
    parse: (p) => {
      const currency = readCurrency(p, 'currency');
      if (currency === undefined) throw invalidParam('Missing required param: currency.', 'currency', 'parameter_missing');
      return {
        amount: p.requiredInteger('amount'),
        currency,
        description: p.string('description'),
        metadata: p.metadata('metadata'),
        expand: readExpand(p),
      };
    },
    handle: (params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      if (params.amount === 0) throw invalidParam('The amount must be a non-zero integer.', 'amount');
      if (customer.currency !== null && customer.currency !== params.currency) {
        throw invalidParam(
          `The currency ${params.currency} does not match the customer's currency ${customer.currency}.`,
          'currency',
        );
      }
      customer.currency = params.currency;
      const before = customer.balance;
      const txn = recordBalanceTransaction(ctx, customer, {
        amount: params.amount,
        type: 'adjustment',
        description: params.description ?? null,
        metadata: mergeMetadata(null, params.metadata),
      });
      ctx.emit('customer.updated', renderCustomer(ctx.store, customer), { balance: before });
      return deepClone(txn);
    },
  }),
  route<Stripe.CustomerListBalanceTransactionsParams, Stripe.ApiList<Stripe.CustomerBalanceTransaction>>({
    method: 'GET',
    path: '/v1/customers/:id/balance_transactions',
    parse: (p) => ({ ...readPagination(p), invoice: p.string('invoice'), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      const txns = ctx.store
        .newestFirst([...ctx.store.balanceTransactions.values()])
        .filter((t) => t.customer === customer.id)
        .filter((t) => params.invoice === undefined || t.invoice === params.invoice);
      return paginate(txns.map(deepClone), params, `/v1/customers/${customer.id}/balance_transactions`);
    },
  }),
  route<Stripe.CustomerRetrieveBalanceTransactionParams, Stripe.CustomerBalanceTransaction>({
    method: 'GET',
    path: '/v1/customers/:id/balance_transactions/:txn',
    parse: (p) => ({ expand: readExpand(p) }),
    handle: (_params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      return deepClone(requireTransaction(ctx, customer.id, path.txn as string));
    },
  }),
  route<Stripe.CustomerUpdateBalanceTransactionParams, Stripe.CustomerBalanceTransaction>({
    method: 'POST',
    path: '/v1/customers/:id/balance_transactions/:txn',
    parse: (p) => ({ description: p.string('description'), metadata: p.metadata('metadata'), expand: readExpand(p) }),
    handle: (params, ctx, path) => {
      const customer = requireCustomer(ctx.store, path.id as string, 'id');
      const txn = requireTransaction(ctx, customer.id, path.txn as string);
      if (params.description !== undefined) txn.description = params.description === '' ? null : params.description;
      if (params.metadata !== undefined) txn.metadata = mergeMetadata(txn.metadata, params.metadata);
      return deepClone(txn);
    },
  }),
];
