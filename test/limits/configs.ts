/** A small config with tier boundaries that carry flat amounts, for hand-computed unit limits. */
export const limitsConfig = `
version: 1
products:
  - key: widgets
    name: Widgets
    metric: widget_calls
    unit: call
    default_plan: free
    plans:
      free:
        name: Free
        prices: [{ currency: usd, interval: month, per_unit: { unit_amount: 0 }, metered: { aggregation: sum } }]
      paid:
        name: Paid
        prices:
          # cost(100) = 0, cost(101) = 500 + 1 = 501, cost(200) = 600, cost(201) = 602
          - currency: usd
            interval: month
            tiered:
              mode: graduated
              tiers:
                - { up_to: 100, unit_amount: 0 }
                - { up_to: 200, unit_amount: 1, flat_amount: 500 }
                - { up_to: inf, unit_amount: 2 }
            metered: { aggregation: sum }
      team:
        name: Team
        prices:
          # A flat first tier: $45 covers the first 1,000 calls, then 0.35 cents each (rounded half-up per line).
          - currency: usd
            interval: month
            tiered:
              mode: graduated
              tiers:
                - { up_to: 1000, unit_amount: 0, flat_amount: 4500 }
                - { up_to: inf, unit_amount: 0.35 }
            metered: { aggregation: sum }
      peak:
        name: Peak
        prices:
          - currency: usd
            interval: month
            per_unit: { unit_amount: 10 }
            metered: { aggregation: max }
`;
