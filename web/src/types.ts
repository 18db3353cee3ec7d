/** The admin API's JSON shapes the UI reads (see /openapi.json); only the fields used here. */

export interface Customer {
  id: string;
  instance: string;
  external_id: string;
  name: string | null;
  billing_email: string | null;
  currency: string;
  provider_customer_id: string | null;
  free_trial_until: string | null;
  metadata: Record<string, string>;
  created: string;
}

export interface Instance {
  id: string;
  slug: string;
  name: string;
}

export interface SubscriptionItem {
  id: string;
  product: string;
  plan: string;
  price: string;
  catalog_version: string;
  started: string;
  valid_until: string | null;
}

export interface Subscription {
  id: string;
  status: string;
  currency: string;
  interval: string;
  billing_anchor: string;
  current_period_start: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  canceled_at: string | null;
  startup_expires_at: string | null;
  items: SubscriptionItem[];
}

export interface BillingProduct {
  product: string;
  name: string;
  unit: string | null;
  plan: string;
  usage: string | null;
  amount: number;
  projected_amount: number;
  billing_limit: { amount: number | null; currency: string; next_amount: number | null; next_from: string | null } | null;
  unit_limit?: string | null;
  quota_limited?: boolean;
}

export interface BillingState {
  currency: string;
  period_start: string | null;
  period_end: string | null;
  products: BillingProduct[];
  totals: { amount: number; discount_amount: number; amount_after_discount: number; projected_amount: number; projected_amount_after_discount: number };
  trial: { free_trial_until: string | null; active: boolean };
}

export interface Feature {
  key: string;
  name: string;
  limit: number | null;
  source: string;
  product: string;
}

export interface Coupon {
  id: string;
  name: string;
  percent_off: string | null;
  amount_off: number | null;
  currency: string | null;
  duration: string;
  duration_in_months: number | null;
  max_redemptions: number | null;
  times_redeemed: number;
  redeem_by: string | null;
  products: string[] | null;
  has_code: boolean;
  code_hint: string | null;
  created_by: string;
  created: string;
  retired: string | null;
}

export interface Discount {
  id: string;
  coupon: Coupon;
  start: string;
  end: string | null;
  invoices_applied: number;
  applied_by: string;
}

export interface InvoiceLine {
  id: string;
  description: string;
  quantity: string;
  unit_amount_decimal: string | null;
  amount: number;
  discount_amount: number;
}

export interface Invoice {
  id: string;
  customer: string;
  number: string | null;
  status: string;
  collection_method: string;
  currency: string;
  period_start: string | null;
  period_end: string | null;
  subtotal: number;
  total: number;
  amount_due: number;
  amount_paid: number;
  amount_remaining: number;
  due_date: string | null;
  memo: string | null;
  created: string;
  payment_reference: string | null;
  lines: { data: InvoiceLine[] };
}

export interface UpcomingInvoice {
  currency: string;
  period: { start: string; end: string };
  closes_at: string;
  lines: { description: string; quantity: string; amount: number; discount_amount: number }[];
  subtotal: number;
  discount_total: number;
  total: number;
  applied_balance: number;
  amount_due: number;
}

export interface BalanceTransaction {
  id: string;
  amount: number;
  currency: string;
  type: string;
  description: string | null;
  invoice: string | null;
  credit_request: string | null;
  ending_balance: number;
  created: string;
}

export interface CreditRequest {
  id: string;
  customer: string;
  amount: number;
  currency: string;
  reason: string;
  ticket: string | null;
  requested_by: string;
  created: string;
  status: string;
  decided_by: string | null;
  decided: string | null;
  decision_note: string | null;
}

export interface EarlierCredit {
  credit_request: string;
  amount: number;
  currency: string;
  reason: string;
  requested_by: string;
  requested: string;
  approved_by: string | null;
  approved: string | null;
}

export interface ApprovalItem {
  earlier_credits: EarlierCredit[] | null;
  credit_request: CreditRequest | null;
  approval_request: {
    id: string;
    kind: string;
    payload: Record<string, unknown>;
    customer: string | null;
    requested_by: string;
    reason: string | null;
    ticket: string | null;
    created: string;
    status: string;
    decided_by: string | null;
    decision_note: string | null;
  };
}

export interface AuditEntry {
  id: string;
  at: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string;
  customer: string | null;
  reason: string | null;
  ticket: string | null;
  before: unknown;
  after: unknown;
}

export interface CatalogPrice {
  key: string;
  currency: string;
  interval: string;
  type: string;
  amount: string | null;
  unit_amount: string | null;
  package_size: string | null;
  package_round: string | null;
  tiers_mode: string | null;
  tiers: { up_to: string | null; unit_amount: string; flat_amount: string }[] | null;
  metric: string | null;
  aggregation: string | null;
  valid_days: number | null;
  move_to_price: string | null;
  description: string | null;
}

export interface CatalogPlan {
  key: string;
  name: string;
  premium: boolean;
  features: { key: string; name: string; limit: number | null }[];
  prices: CatalogPrice[];
}

export interface CatalogProduct {
  key: string;
  name: string;
  metric: string | null;
  unit: string | null;
  addon_of: string | null;
  default_plan: string;
  default_paid_plan: string | null;
  plans: CatalogPlan[];
}

export interface Catalog {
  version: { id: string; hash: string; source_name: string; created: string; activated: string };
  versions: { id: string; hash: string; source_name: string; created: string }[];
  products: CatalogProduct[];
}

export interface DailyUsage {
  subscribed: boolean;
  current_period: { start: string; end: string };
  previous_period: { start: string; end: string };
  products: { product: string; name: string; unit: string | null; metric: string; aggregation: string; current: { day: string; value: string }[]; previous: { day: string; value: string }[] }[];
}

export interface FormProblem {
  path: string;
  code: string;
  message: string;
}

/** An annual contract from an order form (R18–R20); `form` is the validated form, null while it has problems. */
export interface Contract {
  id: string;
  status: 'review' | 'created' | 'live';
  quote: string | null;
  format: 'yaml' | 'json' | 'csv';
  form: ContractForm | null;
  problems: FormProblem[];
  source: unknown;
  customer: string | null;
  invoice: string | null;
  subscription_schedule: string | null;
  subscription: string | null;
  invoice_issue_at: string | null;
  created_at: string;
  updated_at: string;
  contract_created_at: string | null;
  live_at: string | null;
}

export interface ContractForm {
  quote: string;
  currency: string;
  customer: { kind: 'new' | 'existing'; id?: string | null; instance: string | null; external_id: string | null; name?: string | null; contact_email: string | null };
  start_date: string;
  term_years: number;
  payment_terms_days: number;
  due_date: string | null;
  products: { product: string; plan: string | null; up_front: number; overage: { up_to: string; unit_amount: string; flat_amount: string }[] | null }[];
}

export interface AmortizationSlice {
  month: string;
  start: string;
  end: string;
  amount: number;
}

export interface Amortization {
  invoice: string;
  currency: string;
  total: number;
  months: number;
  start: string;
  slices: AmortizationSlice[];
  products: { product: string; total: number; slices: AmortizationSlice[] }[];
}
