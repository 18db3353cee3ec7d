import { and, desc, eq, lt, sql } from 'drizzle-orm';
import { anyOf } from '../../store/array-params.js';
import { currencyExponent, minorToJson, normalizeCurrency } from '../../core/money/index.js';
import { conflict, invalid } from '../../shared/errors.js';
import { newId } from '../../shared/ids.js';
import { balanceTransactions } from '../../store/schema.js';
import { inTransaction, isUniqueViolation } from '../../store/transaction.js';
import { withDb, type ServiceContext } from '../context.js';
import { lockCustomer } from '../customers/customers.js';
import { recordEvent } from '../events/record-event.js';
import { clampLimit, toPage, type Page, type PageRequest } from '../pagination.js';

/**
 * The customer balance ledger, as at the provider: negative amounts are credit in the customer's favour,
 * positive amounts are owed. The balance is the sum of a customer's rows in a currency; every row also
 * records the balance after it (`endingBalance`), computed under the customer's row lock so the running
 * figures never interleave.
 */

export const BALANCE_TRANSACTION_TYPES = ['credit', 'applied_to_invoice', 'adjustment', 'invoice_voided'] as const;
export type BalanceTransactionType = (typeof BALANCE_TRANSACTION_TYPES)[number];

export interface BalanceTransaction {
  readonly id: string;
  readonly customerId: string;
  /** Minor units; negative = credit to the customer. */
  readonly amount: bigint;
  /** Upper-case ISO code. */
  readonly currency: string;
  readonly type: BalanceTransactionType;
  readonly description: string | null;
  readonly invoiceId: string | null;
  readonly creditRequestId: string | null;
  readonly endingBalance: bigint;
  readonly createdAt: Date;
}

export interface AddBalanceTransactionInput {
  readonly customerId: string;
  readonly amount: bigint;
  readonly currency: string;
  readonly type: BalanceTransactionType;
  readonly description?: string | null;
  /** Required for `applied_to_invoice` and `invoice_voided`. */
  readonly invoiceId?: string | null;
  /** The approved credit request this row carries out: unique, so a credit cannot be applied twice. */
  readonly creditRequestId?: string | null;
}

/** Amounts beyond this are refused: far above any real balance, and well inside JSON's safe integers. */
const MAX_ABS_AMOUNT = 10n ** 15n;

type Row = typeof balanceTransactions.$inferSelect;

const toTransaction = (r: Row): BalanceTransaction => ({
  id: r.id,
  customerId: r.customerId,
  amount: r.amount,
  currency: r.currency,
  type: r.type,
  description: r.description,
  invoiceId: r.invoiceId,
  creditRequestId: r.creditRequestId,
  endingBalance: r.endingBalance,
  createdAt: r.createdAt,
});

/** The customer's balance in `currency` (0 when there are no rows). Negative = credit. */
export async function customerBalance(ctx: ServiceContext, customerId: string, currency: string): Promise<bigint> {
  const [r] = await ctx.db
    .select({ sum: sql<string | null>`sum(${balanceTransactions.amount})::text` })
    .from(balanceTransactions)
    .where(and(eq(balanceTransactions.customerId, customerId), eq(balanceTransactions.currency, normalizeCurrency(currency))));
  return r?.sum ? BigInt(r.sum) : 0n;
}

/** Each customer's balance in each currency, in one query; key `${customerId}/${CURRENCY}`, absent = 0. */
export async function customerBalances(ctx: ServiceContext, customerIds: readonly string[]): Promise<Map<string, bigint>> {
  if (customerIds.length === 0) return new Map();
  const rows = await ctx.db
    .select({ customerId: balanceTransactions.customerId, currency: balanceTransactions.currency, sum: sql<string>`sum(${balanceTransactions.amount})::text` })
    .from(balanceTransactions)
    .where(anyOf(balanceTransactions.customerId, [...new Set(customerIds)]))
    .groupBy(balanceTransactions.customerId, balanceTransactions.currency);
  return new Map(rows.map((r) => [`${r.customerId}/${r.currency}`, BigInt(r.sum)]));
}

function check(input: AddBalanceTransactionInput): void {
  if (typeof input.amount !== 'bigint') throw invalid('amount_invalid', 'amount must be an integer number of minor units.', 'amount');
  if (input.amount === 0n) throw invalid('amount_zero', 'A balance transaction needs a non-zero amount.', 'amount');
  if (input.amount > MAX_ABS_AMOUNT || input.amount < -MAX_ABS_AMOUNT) throw invalid('amount_too_large', `amount ${input.amount} is out of range.`, 'amount');
  if (!BALANCE_TRANSACTION_TYPES.includes(input.type)) {
    throw invalid('type_invalid', `type must be one of ${BALANCE_TRANSACTION_TYPES.join(', ')}; got '${String(input.type)}'.`, 'type');
  }
  if (input.type === 'credit' && input.amount > 0n) {
    throw invalid('credit_positive', 'A credit is in the customer\'s favour, so its amount is negative (as at the provider).', 'amount');
  }
  if ((input.type === 'applied_to_invoice' || input.type === 'invoice_voided') && !input.invoiceId) {
    throw invalid('invoice_required', `A '${input.type}' transaction names its invoice.`, 'invoice');
  }
  currencyExponent(input.currency, 'currency');
}

/**
 * Appends one row to the customer's ledger and returns it with the balance after it. Locks the customer
 * row first, so concurrent additions for one customer queue up and each sees the balance the previous one
 * left. A `creditRequestId` already in the ledger is refused (`credit_already_applied`); so is a second
 * `applied_to_invoice` or `invoice_voided` row for one invoice (a unique index holds both).
 * Callers audit the action that caused the row; the ledger records an event.
 */
export async function addBalanceTransaction(ctx: ServiceContext, input: AddBalanceTransactionInput): Promise<BalanceTransaction> {
  check(input);
  const currency = normalizeCurrency(input.currency);
  return inTransaction(ctx.db, async (tx) => {
    const c = withDb(ctx, tx);
    const customer = await lockCustomer(c, input.customerId);
    if (input.creditRequestId) {
      const [seen] = await tx.select({ id: balanceTransactions.id }).from(balanceTransactions).where(eq(balanceTransactions.creditRequestId, input.creditRequestId));
      if (seen) throw alreadyApplied(input.creditRequestId, seen.id);
    }
    const before = await customerBalance(c, customer.id, currency);
    const now = c.clock.now();
    let row: Row | undefined;
    try {
      [row] = await tx
        .insert(balanceTransactions)
        .values({
          id: newId('credit', now),
          customerId: customer.id,
          amount: input.amount,
          currency,
          type: input.type,
          description: input.description ?? null,
          invoiceId: input.invoiceId ?? null,
          creditRequestId: input.creditRequestId ?? null,
          endingBalance: before + input.amount,
          createdAt: now,
        })
        .returning();
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      if (input.creditRequestId) throw alreadyApplied(input.creditRequestId, null);
      throw conflict('balance_already_applied', `Invoice ${input.invoiceId ?? ''} already has a '${input.type}' balance transaction.`, 'invoice');
    }
    if (!row) throw new Error('balance transaction insert returned no row');
    const txn = toTransaction(row);
    await recordEvent(c, {
      type: 'customer.balance_transaction.created',
      instanceId: customer.instanceId,
      customerId: customer.id,
      objectId: txn.id,
      data: { type: txn.type, amount: minorToJson(txn.amount), currency: currency.toLowerCase(), ending_balance: minorToJson(txn.endingBalance), invoice: txn.invoiceId },
    });
    return txn;
  });
}

const alreadyApplied = (creditRequestId: string, rowId: string | null) =>
  conflict('credit_already_applied', `Credit request '${creditRequestId}' is already in the ledger${rowId ? ` (${rowId})` : ''}; a credit is applied once.`, 'credit_request');

export interface BalanceTransactionQuery extends PageRequest {
  readonly customerId: string;
  readonly currency?: string | undefined;
}

/** The customer's ledger, newest first (as at the provider); the next page starts after the last ID. */
export async function listBalanceTransactions(ctx: ServiceContext, q: BalanceTransactionQuery): Promise<Page<BalanceTransaction>> {
  const limit = clampLimit(q.limit);
  const rows = await ctx.db
    .select()
    .from(balanceTransactions)
    .where(
      and(
        eq(balanceTransactions.customerId, q.customerId),
        q.currency ? eq(balanceTransactions.currency, normalizeCurrency(q.currency)) : undefined,
        q.startingAfter ? lt(balanceTransactions.id, q.startingAfter) : undefined,
      ),
    )
    .orderBy(desc(balanceTransactions.id))
    .limit(limit + 1);
  return toPage(rows.map(toTransaction), limit);
}
