import { isKnownCurrency, normalizeCurrency } from '../money/currency.js';
import type { Decimal } from '../money/decimal.js';
import { readAmount, readDecimal, type DecimalResult } from './amounts.js';
import type { ConfigPath, ErrorCollector } from './config-errors.js';
import { defaultPaidPlanOf, planPriceKeys } from './config-defaults.js';
import {
  PRICING_FORMS,
  type AmountInput,
  type PriceConfig,
  type PricingForm,
  type ProductConfig,
  type TierConfig,
} from './config-schema.js';

/**
 * Rules the schema cannot express: keys unique across the file, references that resolve, exactly one
 * pricing form, tiers that make sense, exact non-negative amounts, metering that fits the form, and
 * add-on tier boundaries that equal their product's (R7). Every rule reports into the collector and
 * carries on, so one run finds every error.
 */

export interface ProductEntry {
  /** Position in `products`, for paths. */
  readonly index: number;
  readonly product: ProductConfig;
}

export interface ValidationInput {
  /** Products that passed the schema. */
  readonly products: readonly ProductEntry[];
  /** The `key` of every listed product that has a string one, valid or not, so references to a product that
   * failed the schema are not also reported as unknown. */
  readonly listedKeys: readonly { readonly index: number; readonly key: string }[];
  /** False when some product failed the schema: its prices are unknown, so unresolved price references are not reported. */
  readonly complete: boolean;
  /** Prices that passed the schema inside products that did not: their own rules are still checked. */
  readonly orphanPrices?: readonly { readonly path: ConfigPath; readonly price: PriceConfig }[];
}

const USAGE_FORMS: readonly PricingForm[] = ['per_unit', 'package', 'tiered'];

interface PriceRef {
  readonly key: string;
  readonly path: ConfigPath;
  readonly entry: ProductEntry;
  readonly planKey: string;
  readonly price: PriceConfig;
}

/** Tier upper bounds (null = open), kept only for tiers that validated cleanly; R7 compares them. */
type Bounds = readonly (Decimal | null)[];

export function validateConfig(input: ValidationInput, sink: ErrorCollector): void {
  new Validator(input, sink).run();
}

const productPath = (index: number, ...rest: (string | number)[]): ConfigPath => ['products', index, ...rest];

class Validator {
  private readonly byKey = new Map<string, ProductEntry>();
  private readonly listed: ReadonlySet<string>;
  private readonly prices = new Map<string, PriceRef>();
  private readonly allRefs: PriceRef[] = [];
  private readonly keyOf = new Map<PriceConfig, string>();
  private readonly bounds = new Map<PriceConfig, Bounds>();

  constructor(
    private readonly input: ValidationInput,
    private readonly sink: ErrorCollector,
  ) {
    this.listed = new Set(input.listedKeys.map((k) => k.key));
    for (const e of input.products) if (!this.byKey.has(e.product.key)) this.byKey.set(e.product.key, e);
  }

  run(): void {
    this.uniqueProductKeys();
    this.uniqueMetrics();
    for (const entry of this.input.products) this.product(entry);
    for (const { path, price } of this.input.orphanPrices ?? []) this.price(path, price);
    for (const ref of this.allRefs) this.startup(ref);
    for (const entry of this.input.products) this.addonTiers(entry);
  }

  /** R2: both locations are named, so the fix is obvious whichever one is wrong. */
  private uniqueProductKeys(): void {
    const first = new Map<string, number>();
    for (const { index, key } of this.input.listedKeys) {
      const at = first.get(key);
      if (at === undefined) first.set(key, index);
      else {
        this.sink.add(
          productPath(index, 'key'),
          'duplicate_product_key',
          `duplicate product key '${key}' (also at ${this.sink.where(productPath(at, 'key'))})`,
        );
      }
    }
  }

  /** A usage event names only its metric, so each metric must lead to exactly one product. */
  private uniqueMetrics(): void {
    const first = new Map<string, number>();
    for (const { index, product } of this.input.products) {
      if (product.metric === undefined) continue;
      const at = first.get(product.metric);
      if (at === undefined) first.set(product.metric, index);
      else {
        this.sink.add(
          productPath(index, 'metric'),
          'duplicate_metric',
          `metric '${product.metric}' is already metered by another product (at ${this.sink.where(productPath(at, 'metric'))})`,
        );
      }
    }
  }

  private product(entry: ProductEntry): void {
    const { index, product } = entry;
    this.addonOf(entry);

    const planKeys = Object.keys(product.plans);
    const known = planKeys.length > 0 ? planKeys.join(', ') : 'none';
    if (!planKeys.includes(product.default_plan)) {
      this.sink.add(
        productPath(index, 'default_plan'),
        'unknown_plan',
        `default_plan '${product.default_plan}' is not a plan of '${product.key}' (plans: ${known})`,
      );
    }
    if (typeof product.default_paid_plan === 'string' && !planKeys.includes(product.default_paid_plan)) {
      this.sink.add(
        productPath(index, 'default_paid_plan'),
        'unknown_plan',
        `default_paid_plan '${product.default_paid_plan}' is not a plan of '${product.key}' (plans: ${known})`,
      );
    }

    let firstMetered: ConfigPath | null = null;
    for (const [planKey, plan] of Object.entries(product.plans)) {
      const planPath = productPath(index, 'plans', planKey);
      this.uniqueFeatures(planPath, plan.features);
      const keys = planPriceKeys(product.key, planKey, plan.prices);
      plan.prices.forEach((price, k) => {
        const path = [...planPath, 'prices', k];
        const key = keys[k] ?? '';
        this.keyOf.set(price, key);
        this.registerPriceKey({ key, path, entry, planKey, price });
        this.price(path, price);
        if (price.metered !== undefined && firstMetered === null) firstMetered = [...path, 'metered'];
      });
    }
    if (firstMetered !== null && product.metric === undefined) {
      this.sink.add(
        productPath(index, 'metric'),
        'missing_metric',
        `product '${product.key}' has metered prices (first at ${this.sink.where(firstMetered)}) but no metric`,
      );
    }
  }

  private addonOf({ index, product }: ProductEntry): void {
    const parentKey = product.addon_of;
    if (parentKey === undefined) return;
    const path = productPath(index, 'addon_of');
    if (parentKey === product.key) {
      this.sink.add(path, 'addon_of_self', `product '${product.key}' cannot be an add-on of itself`);
      return;
    }
    if (!this.listed.has(parentKey)) {
      this.sink.add(path, 'unknown_product', `addon_of refers to unknown product '${parentKey}'`);
      return;
    }
    const parent = this.byKey.get(parentKey);
    if (parent?.product.addon_of !== undefined) {
      this.sink.add(
        path,
        'addon_of_addon',
        `'${parentKey}' is itself an add-on (of '${parent.product.addon_of}'); add-ons can only hang off a product that is not an add-on`,
      );
    }
  }

  private uniqueFeatures(planPath: ConfigPath, features: readonly { key: string }[]): void {
    const first = new Map<string, number>();
    features.forEach((f, j) => {
      const at = first.get(f.key);
      if (at === undefined) first.set(f.key, j);
      else {
        this.sink.add(
          [...planPath, 'features', j, 'key'],
          'duplicate_feature_key',
          `duplicate feature key '${f.key}' (also at ${this.sink.where([...planPath, 'features', at, 'key'])})`,
        );
      }
    });
  }

  private registerPriceKey(ref: PriceRef): void {
    this.allRefs.push(ref);
    const explicit = ref.price.key !== undefined;
    const first = this.prices.get(ref.key);
    if (first === undefined) {
      this.prices.set(ref.key, ref);
      return;
    }
    const at = first.price.key !== undefined ? [...first.path, 'key'] : first.path;
    const hint = explicit ? '' : '; it is derived from product, plan, currency and interval: give the price an explicit key';
    this.sink.add(
      explicit ? [...ref.path, 'key'] : ref.path,
      'duplicate_price_key',
      `duplicate price key '${ref.key}' (also at ${this.sink.where(at)})${hint}`,
    );
  }

  private price(path: ConfigPath, price: PriceConfig): void {
    if (!isKnownCurrency(price.currency)) {
      this.sink.add(
        [...path, 'currency'],
        'unknown_currency',
        `unknown currency '${price.currency}': no minor-unit exponent is known for it`,
      );
    }

    const forms = PRICING_FORMS.filter((f) => price[f] !== undefined);
    const [form, second] = forms;
    if (form === undefined) {
      this.sink.add(path, 'pricing_form', `a price needs one pricing form: ${PRICING_FORMS.join(', ')}`);
      return;
    }
    if (second !== undefined) {
      this.sink.add(
        [...path, second],
        'pricing_form',
        `a price has exactly one pricing form, this one has ${forms.join(' and ')}`,
      );
      return;
    }

    this.scheme(path, price);

    const usage = USAGE_FORMS.includes(form);
    if (usage && price.metered === undefined) {
      this.sink.add(
        [...path, form],
        'not_metered',
        `a ${form} price must be metered (add metered: {aggregation: …}); licensed quantities are not supported`,
      );
    } else if (!usage && price.metered !== undefined) {
      this.sink.add(
        [...path, 'metered'],
        'metered_fixed_price',
        `a ${form} price cannot be metered: its amount does not depend on usage`,
      );
    }
  }

  private scheme(path: ConfigPath, price: PriceConfig): void {
    if (price.flat) this.amount([...path, 'flat', 'amount'], price.flat.amount, 'amount');
    if (price.per_unit) this.amount([...path, 'per_unit', 'unit_amount'], price.per_unit.unit_amount, 'unit_amount');
    if (price.up_front) this.amount([...path, 'up_front', 'amount'], price.up_front.amount, 'amount');
    if (price.package) {
      this.amount([...path, 'package', 'amount'], price.package.amount, 'amount');
      const sizePath = [...path, 'package', 'divide_by'];
      const size = this.report(sizePath, readDecimal(price.package.divide_by, 'divide_by'));
      if (size && (size.isNegative() || size.isZero())) {
        this.sink.add(sizePath, 'package_size_not_positive', `divide_by must be greater than 0, got ${size.toString()}`);
      }
    }
    if (price.tiered) {
      const bounds = this.tiers([...path, 'tiered', 'tiers'], price.tiered.tiers);
      if (bounds) this.bounds.set(price, bounds);
    }
  }

  /** Checks each tier; returns the bounds only when every bound is sound (for R7). */
  private tiers(path: ConfigPath, tiers: readonly TierConfig[]): Bounds | null {
    const bounds: (Decimal | null)[] = [];
    let sound = true;
    let previous: { value: Decimal; index: number } | null = null;
    tiers.forEach((tier, j) => {
      const tierPath = [...path, j];
      const upToPath = [...tierPath, 'up_to'];
      const last = j === tiers.length - 1;
      if (tier.unit_amount === undefined && tier.flat_amount === undefined) {
        this.sink.add(tierPath, 'tier_amount_missing', 'a tier needs unit_amount, flat_amount or both');
      }
      if (tier.unit_amount !== undefined) this.amount([...tierPath, 'unit_amount'], tier.unit_amount, 'unit_amount');
      if (tier.flat_amount !== undefined) this.amount([...tierPath, 'flat_amount'], tier.flat_amount, 'flat_amount');

      if (tier.up_to === 'inf') {
        bounds.push(null);
        if (!last) {
          sound = false;
          this.sink.add(upToPath, 'open_tier_not_last', "only the last tier may be open (up_to: 'inf')");
        }
        return;
      }
      const upTo = this.report(upToPath, readDecimal(tier.up_to, 'up_to'));
      if (upTo === null) {
        sound = false;
        return;
      }
      bounds.push(upTo);
      if (upTo.isNegative() || upTo.isZero()) {
        sound = false;
        this.sink.add(upToPath, 'tier_up_to_not_positive', `up_to must be greater than 0, got ${upTo.toString()}`);
      } else if (previous !== null && !upTo.gt(previous.value)) {
        sound = false;
        this.sink.add(
          upToPath,
          'tiers_not_ascending',
          `up_to ${upTo.toString()} must be greater than the previous tier's up_to ${previous.value.toString()} (tiers[${previous.index}]): tiers must be strictly ascending`,
        );
      }
      if (last) {
        sound = false;
        this.sink.add(upToPath, 'last_tier_not_open', `the last tier must be open: up_to: 'inf' (got ${upTo.toString()})`);
      }
      previous = { value: upTo, index: j };
    });
    return sound ? bounds : null;
  }

  private amount(path: ConfigPath, raw: AmountInput, what: string): void {
    this.report(path, readAmount(raw, what));
  }

  private report(path: ConfigPath, r: DecimalResult): Decimal | null {
    if (r.ok) return r.value;
    this.sink.add(path, r.code, r.message);
    return null;
  }

  /** R6: where a startup price goes on expiry must exist and make sense for the customer. */
  private startup(ref: PriceRef): void {
    const terms = ref.price.startup;
    if (terms === undefined) return;
    const path = [...ref.path, 'startup'];
    const product = ref.entry.product;
    const target = terms.move_to_price;
    if (target !== undefined) {
      const targetPath = [...path, 'move_to_price'];
      const to = this.prices.get(target);
      if (to === undefined) {
        if (this.input.complete) this.sink.add(targetPath, 'unknown_price', `move_to_price refers to unknown price '${target}'`);
      } else if (to.key === ref.key) {
        this.sink.add(targetPath, 'move_to_price_self', 'a price cannot move to itself on expiry');
      } else if (to.entry.product.key !== product.key) {
        this.sink.add(
          targetPath,
          'move_to_price_other_product',
          `move_to_price '${target}' is a price of '${to.entry.product.key}', not of '${product.key}'`,
        );
      } else if (normalizeCurrency(to.price.currency) !== normalizeCurrency(ref.price.currency)) {
        this.sink.add(
          targetPath,
          'move_to_price_currency',
          `move_to_price '${target}' is in ${normalizeCurrency(to.price.currency)}, this price in ${normalizeCurrency(ref.price.currency)}`,
        );
      }
      return;
    }
    // A time-limited price that is not a startup plan falls back to the default (free) plan, which always exists.
    if (terms.startup_plan === false) return;
    const paidKey = defaultPaidPlanOf(product);
    if (paidKey === null) {
      this.sink.add(
        path,
        'no_default_paid_plan',
        `without move_to_price this price moves to the default paid plan on expiry, but '${product.key}' has none: set move_to_price or default_paid_plan`,
      );
      return;
    }
    const paid = Object.hasOwn(product.plans, paidKey) ? product.plans[paidKey] : undefined;
    const currency = normalizeCurrency(ref.price.currency);
    if (paid && !paid.prices.some((p) => normalizeCurrency(p.currency) === currency)) {
      this.sink.add(
        path,
        'no_paid_price_in_currency',
        `without move_to_price this price moves to plan '${paidKey}' on expiry, which has no ${currency} price: set move_to_price or add one`,
      );
    }
  }

  /**
   * R7: usage of an add-on is rated alongside its product's, so a metered tiered price of an add-on must
   * use the same tier boundaries as the product's metered tiered price under the same plan, currency and interval.
   */
  private addonTiers({ index, product }: ProductEntry): void {
    if (product.addon_of === undefined) return;
    const parent = this.byKey.get(product.addon_of);
    if (parent === undefined || parent.product.key === product.key) return;
    for (const [planKey, plan] of Object.entries(product.plans)) {
      const parentPlan = Object.hasOwn(parent.product.plans, planKey) ? parent.product.plans[planKey] : undefined;
      if (parentPlan === undefined) continue;
      plan.prices.forEach((price, k) => {
        const mine = this.bounds.get(price);
        if (mine === undefined || price.metered === undefined) return;
        for (const theirsPrice of parentPlan.prices) {
          const theirs = this.bounds.get(theirsPrice);
          if (
            theirs === undefined ||
            theirsPrice.metered === undefined ||
            theirsPrice.interval !== price.interval ||
            normalizeCurrency(theirsPrice.currency) !== normalizeCurrency(price.currency)
          ) {
            continue;
          }
          const j = firstDifference(mine, theirs);
          if (j === null) continue;
          this.sink.add(
            productPath(index, 'plans', planKey, 'prices', k, 'tiered', 'tiers', j, 'up_to'),
            'addon_tiers_mismatch',
            `tiers[${j}] up_to ${bound(mine[j])} differs from ${parent.product.key}'s tiers[${j}] up_to ${bound(theirs[j])} ` +
              `(price '${this.keyOf.get(theirsPrice) ?? '?'}'): an add-on's tier boundaries must equal its product's`,
          );
        }
      });
    }
  }
}

function firstDifference(a: Bounds, b: Bounds): number | null {
  for (let j = 0; j < Math.max(a.length, b.length); j++) {
    const x = a[j];
    const y = b[j];
    const same = x === null || y === null || x === undefined || y === undefined ? x === y : x.eq(y);
    if (!same) return j;
  }
  return null;
}

function bound(b: Decimal | null | undefined): string {
  if (b === undefined) return '(none)';
  return b === null ? 'inf' : b.toString();
}
