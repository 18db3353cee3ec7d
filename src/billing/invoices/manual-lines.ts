import { findPrice, requireProduct, type Catalog } from '../../core/catalog/index.js';
import { linesFromRating, type DateRange, type DraftLine, type LineSource } from '../../core/invoicing/index.js';
import { Decimal } from '../../core/money/decimal.js';
import { addInterval } from '../../core/periods/index.js';
import { lineAmount, ratePrice } from '../../core/pricing/index.js';
import { invalid, isTallyError, TallyError } from '../../shared/errors.js';

type DecimalInput = Decimal | string | number;

/** A line at a catalog price: rated through the price's scheme, one line per tier touched. */
export interface PriceLineInput {
  readonly price: string;
  /** Units to rate (default 1); flat and up-front prices take only 1. */
  readonly quantity?: DecimalInput | undefined;
  /** Default: the invoice's period, else one interval of the price from now. */
  readonly period?: DateRange | null | undefined;
}

/** A line at a custom amount: `quantity × unitAmount` (decimal minor units), rounded once, half-up. */
export interface CustomLineInput {
  readonly description: string;
  readonly unitAmount: DecimalInput;
  readonly quantity?: DecimalInput | undefined;
  readonly period?: DateRange | null | undefined;
  /** Whether a coupon may reduce it (default true). */
  readonly discountable?: boolean | undefined;
}

export type ManualLineInput = PriceLineInput | CustomLineInput;

/** What the invoice services accept: lines already computed (period close) or manual ones to resolve. */
export type LineInput = DraftLine | ManualLineInput;

/** Line amounts above this are refused: beyond any real invoice and far inside JSON's safe integers. */
export const MAX_LINE_AMOUNT = 10n ** 13n;

export const isDraftLine = (l: LineInput): l is DraftLine => typeof (l as DraftLine).amount === 'bigint' && typeof (l as DraftLine).source === 'string';

export const isPriceLine = (l: ManualLineInput): l is PriceLineInput => typeof (l as PriceLineInput).price === 'string';

export interface LineContext {
  /** The catalog in force; only lines at a catalog price need it. */
  readonly catalog: Catalog | null;
  /** The invoice's currency, upper-case. */
  readonly currency: string;
  readonly invoicePeriod: DateRange | null;
  readonly now: Date;
}

/** Re-labels an error from the core (`param: 'quantity'`) with where it sits in the request (`lines.2.quantity`). */
function under<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (isTallyError(e) && e.type === 'invalid_request') {
      throw new TallyError(e.type, e.code, e.message, { param: `${prefix}${e.param ?? ''}`.replace(/\.$/, ''), details: e.details });
    }
    throw e;
  }
}

function quantityOf(value: DecimalInput | undefined, param: string): Decimal {
  if (value === undefined) return Decimal.ONE;
  const q = Decimal.from(value, param);
  if (q.isNegative()) throw invalid('invalid_quantity', `quantity must not be negative (got ${q.toString()}).`, param);
  return q;
}

function checkPeriod(period: DateRange | null | undefined, param: string): void {
  if (!period) return;
  if (!(period.start instanceof Date) || !(period.end instanceof Date) || Number.isNaN(period.start.getTime()) || Number.isNaN(period.end.getTime())) {
    throw invalid('invalid_period', 'period needs a valid start and end.', param);
  }
  if (period.end <= period.start) throw invalid('invalid_period', 'period.end must be after period.start.', `${param}.end`);
}

function priceLines(l: PriceLineInput, ctx: LineContext, prefix: string): DraftLine[] {
  if (!ctx.catalog) throw new Error('resolveLines: a catalog-price line needs the catalog');
  const catalog = ctx.catalog;
  const price = findPrice(catalog, l.price);
  if (!price) throw invalid('unknown_price', `There is no price '${l.price}' in the current billing config.`, `${prefix}price`);
  if (price.currency !== ctx.currency) {
    throw invalid('currency_mismatch', `Price '${price.key}' is in ${price.currency}, the invoice in ${ctx.currency}.`, `${prefix}price`);
  }
  const quantity = quantityOf(l.quantity, `${prefix}quantity`);
  if ((price.scheme.type === 'flat' || price.scheme.type === 'up_front') && !quantity.eq(Decimal.ONE)) {
    // The rating bills a fixed fee once whatever the quantity; silently ignoring one would misbill.
    throw invalid('quantity_not_supported', `Price '${price.key}' is a fixed ${price.scheme.type === 'flat' ? 'fee' : 'up-front amount'}: quantity must be 1.`, `${prefix}quantity`);
  }
  checkPeriod(l.period, `${prefix}period`);
  const product = requireProduct(catalog, price.productKey);
  const rating = under(prefix, () => ratePrice(price.scheme, quantity, ctx.currency));
  const source: LineSource = price.scheme.type === 'up_front' ? 'up_front' : price.metered ? 'usage' : 'recurring';
  const period = l.period ?? ctx.invoicePeriod ?? { start: ctx.now, end: addInterval(ctx.now, price.interval, 1) };
  return linesFromRating({ price, productName: product.name, unit: product.unit, rating, period, source });
}

function customLine(l: CustomLineInput, ctx: LineContext, prefix: string): DraftLine {
  const description = typeof l.description === 'string' ? l.description.trim() : '';
  if (!description) throw invalid('description_required', 'A custom line needs a description.', `${prefix}description`);
  if (description.length > 500) throw invalid('description_too_long', 'description may be at most 500 characters.', `${prefix}description`);
  if (l.unitAmount === undefined || l.unitAmount === null) throw invalid('unit_amount_required', 'A custom line needs a unit_amount (minor units).', `${prefix}unit_amount`);
  const unitAmount = Decimal.from(l.unitAmount, `${prefix}unit_amount`);
  if (unitAmount.isNegative()) throw invalid('invalid_unit_amount', 'unit_amount must not be negative; use the credit balance for credits.', `${prefix}unit_amount`);
  const quantity = quantityOf(l.quantity, `${prefix}quantity`);
  checkPeriod(l.period, `${prefix}period`);
  return {
    description,
    source: 'manual',
    productKey: null,
    priceKey: null,
    period: l.period ?? ctx.invoicePeriod,
    quantity,
    unitAmount,
    flatAmount: null,
    tier: null,
    tierFrom: null,
    tierUpTo: null,
    amount: lineAmount(quantity, unitAmount, Decimal.ZERO),
    discountable: l.discountable ?? true,
  };
}

/**
 * Turns line inputs into DraftLines: computed lines pass through, catalog-price lines are rated with
 * `ratePrice` + `linesFromRating`, custom lines are multiplied out once. Errors name the field
 * (`<prefix>unit_amount`); pass `lines.3.` for the fourth line of a request, `''` for a lone line.
 */
export function resolveLines(inputs: readonly LineInput[], ctx: LineContext, prefixOf: (i: number) => string): DraftLine[] {
  const out: DraftLine[] = [];
  inputs.forEach((l, i) => {
    const prefix = prefixOf(i);
    const lines = isDraftLine(l) ? [l] : isPriceLine(l) ? priceLines(l, ctx, prefix) : [customLine(l, ctx, prefix)];
    for (const line of lines) {
      if (line.amount < 0n) throw invalid('negative_line', 'A line amount must not be negative; use the credit balance instead.', `${prefix}amount`);
      if (line.amount > MAX_LINE_AMOUNT) throw invalid('amount_too_large', `The line amount ${line.amount} is too large.`, isDraftLine(l) ? `${prefix}amount` : `${prefix}quantity`);
      out.push(line);
    }
  });
  return out;
}
