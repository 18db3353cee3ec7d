/** Small inline billing configs for cases the example config lacks. */

const metered = (unit: string, extra = '') => `{ currency: usd, interval: month, per_unit: { unit_amount: ${unit} }, metered: { aggregation: sum }${extra} }`;

/** Three products, one per R6 branch, with different valid_days: the shortest (gamma's 30) resets all. */
export const startupConfig = `
version: 1
products:
  - key: alpha
    name: Alpha
    metric: alpha_events
    default_plan: free
    plans:
      free: { name: Free, features: [{ key: alpha, name: Alpha }], prices: [${metered('0')}] }
      paid: { name: Paid, premium: true, features: [{ key: alpha, name: Alpha }, { key: alpha_pro, name: Alpha pro }], prices: [${metered('0.01')}] }
      startup: { name: Startup, premium: true, features: [{ key: alpha, name: Alpha }, { key: alpha_pro, name: Alpha pro }], prices: [${metered('0', ', startup: { valid_days: 90 }')}] }
  - key: beta
    name: Beta
    metric: beta_events
    default_plan: free
    plans:
      free: { name: Free, prices: [${metered('0')}] }
      paid: { name: Paid, prices: [${metered('0.02')}] }
      partner: { name: Partner, prices: [{ key: beta.partner, currency: usd, interval: month, per_unit: { unit_amount: 0.015 }, metered: { aggregation: sum } }] }
      special: { name: Special, prices: [${metered('0', ', startup: { valid_days: 60, move_to_price: beta.partner }')}] }
  - key: gamma
    name: Gamma
    metric: gamma_events
    default_plan: free
    plans:
      free: { name: Free, features: [{ key: gamma, name: Gamma }], prices: [${metered('0')}] }
      paid: { name: Paid, features: [{ key: gamma, name: Gamma }, { key: gamma_pro, name: Gamma pro }], prices: [${metered('0.03')}] }
      promo: { name: Promo, features: [{ key: gamma, name: Gamma }, { key: gamma_pro, name: Gamma pro }], prices: [${metered('0', ', startup: { valid_days: 30, startup_plan: false }')}] }
`;
