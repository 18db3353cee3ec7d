import { get } from '../api';
import { money, quantity } from '../format';
import type { Catalog, CatalogPrice } from '../types';
import { Badge, Empty, Loaded, Section, Table, When, useLoad } from '../ui';

function priceSummary(p: CatalogPrice): string {
  switch (p.type) {
    case 'flat':
      return `${money(p.amount, p.currency)} per ${p.interval}`;
    case 'up_front':
      return `${money(p.amount, p.currency)} up front per ${p.interval}`;
    case 'per_unit':
      return `${money(p.unit_amount, p.currency)} per unit`;
    case 'package':
      return `${money(p.amount, p.currency)} per ${quantity(p.package_size)} units (rounded ${p.package_round})`;
    case 'tiered':
      return `tiered (${p.tiers_mode})`;
    default:
      return p.type;
  }
}

/** The catalog in force (the billing config), read-only: products, plans, features, prices with tiers. */
export function CatalogPage() {
  const catalog = useLoad(() => get<Catalog>('/catalog'), []);
  return (
    <>
      <h1>Catalog</h1>
      <Loaded state={catalog}>
        {(c) => (
          <>
            <Section title="Config version in force">
              <p data-testid="catalog-version">
                <code>{c.version.id}</code> from <code>{c.version.source_name}</code> · hash <code title={c.version.hash}>{c.version.hash.slice(0, 12)}</code> · in force since <When at={c.version.activated} />
              </p>
              <p className="muted small">{c.versions.length} version(s) loaded so far. The catalog changes by editing the billing config file, not here.</p>
            </Section>
            {c.products.map((p) => (
              <Section key={p.key} title={`${p.name} (${p.key})`} actions={p.addon_of ? <Badge>add-on of {p.addon_of}</Badge> : null}>
                <p className="muted">
                  {p.metric ? `Metered by ${p.metric}${p.unit ? ` (${p.unit})` : ''}` : 'Not metered'} · default plan {p.default_plan}
                  {p.default_paid_plan ? ` · default paid plan ${p.default_paid_plan}` : ''}
                </p>
                {p.plans.map((plan) => (
                  <div key={plan.key} className="plan">
                    <h3>
                      {plan.name} <span className="muted small">{plan.key}</span> {plan.premium && <Badge tone="good">premium</Badge>}
                    </h3>
                    {plan.features.length > 0 && <p className="small">Features: {plan.features.map((f) => (f.limit === null ? f.name : `${f.name} (${f.limit})`)).join(', ')}</p>}
                    {plan.prices.length === 0 ? (
                      <Empty>No prices: not billed.</Empty>
                    ) : (
                    <Table head={['Price', 'Currency', 'Interval', 'Pricing', 'Metered', 'Tiers']}>
                      {plan.prices.map((pr) => (
                        <tr key={pr.key}>
                          <td className="small">
                            {pr.key}
                            {pr.valid_days !== null && <div className="muted">valid {pr.valid_days} days{pr.move_to_price ? `, then ${pr.move_to_price}` : ''}</div>}
                          </td>
                          <td>{pr.currency.toUpperCase()}</td>
                          <td>{pr.interval}</td>
                          <td>{priceSummary(pr)}</td>
                          <td>{pr.metric ? `${pr.metric} (${pr.aggregation})` : '—'}</td>
                          <td>
                            {pr.tiers ? (
                              <table className="tiers">
                                <thead>
                                  <tr>
                                    <th scope="col">Up to</th>
                                    <th scope="col">Per unit</th>
                                    <th scope="col">Flat</th>
                                  </tr>
                                </thead>
                                <tbody>
                                  {pr.tiers.map((t, i) => (
                                    <tr key={i}>
                                      <td className="num">{t.up_to === null ? '∞' : quantity(t.up_to)}</td>
                                      <td className="num">{money(t.unit_amount, pr.currency)}</td>
                                      <td className="num">{money(t.flat_amount, pr.currency)}</td>
                                    </tr>
                                  ))}
                                </tbody>
                              </table>
                            ) : (
                              '—'
                            )}
                          </td>
                        </tr>
                      ))}
                    </Table>
                    )}
                  </div>
                ))}
              </Section>
            ))}
          </>
        )}
      </Loaded>
    </>
  );
}
