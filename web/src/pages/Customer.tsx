import { useState } from 'react';
import { ApiError, get, post, type List } from '../api';
import { money, parseMajor, quantity } from '../format';
import { Link } from '../router';
import { useMe } from '../session';
import { StaffName, useStaffNames } from '../staff-names';
import type { BalanceTransaction, BillingState, Catalog, Coupon, Customer, DailyUsage, Discount, Feature, Instance, Invoice, Subscription, UpcomingInvoice } from '../types';
import { ActionForm, Badge, Empty, ErrorBox, Field, Loaded, Loading, Money, Section, Table, When, useLoad } from '../ui';
import { UsageChart } from './UsageChart';

const orNullOn404 = <T,>(p: Promise<T>): Promise<T | null> => p.catch((e: unknown) => (e instanceof ApiError && e.status === 404 ? null : Promise.reject(e)));

export function statusTone(s: string): 'good' | 'warn' | 'bad' | 'plain' {
  if (s === 'paid' || s === 'active' || s === 'approved') return 'good';
  if (s === 'open' || s === 'draft' || s === 'pending' || s === 'trialing') return 'warn';
  if (s === 'void' || s === 'uncollectible' || s === 'canceled' || s === 'rejected') return 'bad';
  return 'plain';
}

export function CustomerPage({ id }: { id: string }) {
  const me = useMe();
  const names = useStaffNames();
  const customer = useLoad(() => get<Customer>(`/customers/${id}`), [id]);
  const sub = useLoad(() => orNullOn404(get<Subscription>(`/customers/${id}/subscription`)), [id]);
  const billing = useLoad(() => get<BillingState>(`/customers/${id}/billing`), [id]);
  const features = useLoad(() => get<{ data: Feature[]; valid_until: string | null }>(`/customers/${id}/features`), [id]);
  const usage = useLoad(() => get<DailyUsage>(`/customers/${id}/usage/daily`), [id]);
  const invoices = useLoad(() => get<List<Invoice>>('/invoices', { customer: id, limit: 20 }), [id]);
  const coupon = useLoad(() => get<{ discount: Discount | null }>(`/customers/${id}/coupon`), [id]);
  const ledger = useLoad(() => get<List<BalanceTransaction> & { balance: number; currency: string }>(`/customers/${id}/balance-transactions`, { limit: 20 }), [id]);
  const reloadAll = () => {
    for (const s of [customer, sub, billing, features, usage, invoices, coupon, ledger]) s.reload();
  };

  if (customer.error) return <ErrorBox error={customer.error} />;
  if (!customer.data) return <Loading what="Loading the customer" />;
  const c = customer.data;

  return (
    <>
      <h1>
        {c.name ?? c.external_id} <span className="muted small">{c.id}</span>
      </h1>
      <div className="grid">
        <Identity c={c} />
        <Section title="Subscription">
          <Loaded state={sub}>
            {(s) =>
              s === null ? (
                <Empty>No subscription.</Empty>
              ) : (
                <>
                  <p>
                    <Badge tone={statusTone(s.status)}>{s.status}</Badge> {s.interval}ly in {s.currency.toUpperCase()} · period <When at={s.current_period_start} date /> → <When at={s.current_period_end} date />
                    {s.cancel_at_period_end && <Badge tone="warn">cancels at period end</Badge>}
                  </p>
                  {s.startup_expires_at && (
                    <p>
                      Startup price expires <When at={s.startup_expires_at} />
                    </p>
                  )}
                  <Table head={['Product', 'Plan', 'Price', 'Since', 'Valid until']}>
                    {s.items.map((i) => (
                      <tr key={i.id}>
                        <td>{i.product}</td>
                        <td>{i.plan}</td>
                        <td className="small">{i.price}</td>
                        <td>
                          <When at={i.started} date />
                        </td>
                        <td>
                          <When at={i.valid_until} date />
                        </td>
                      </tr>
                    ))}
                  </Table>
                </>
              )
            }
          </Loaded>
        </Section>
        <Section title="Trial">
          <Loaded state={billing}>
            {(b) =>
              b.trial.free_trial_until ? (
                <p>
                  {b.trial.active ? <Badge tone="good">active</Badge> : <Badge>ended</Badge>} premium features until <When at={b.trial.free_trial_until} />
                </p>
              ) : (
                <Empty>No free trial.</Empty>
              )
            }
          </Loaded>
        </Section>
        <Section title="Coupon">
          <Loaded state={coupon}>
            {(d) =>
              d.discount ? (
                <p data-testid="current-coupon">
                  <strong>{d.discount.coupon.name}</strong> ({describeCoupon(d.discount.coupon)}) · <span className="small">{d.discount.coupon.id}</span> · since <When at={d.discount.start} date />
                  {d.discount.end && (
                    <>
                      {' '}
                      until <When at={d.discount.end} date />
                    </>
                  )}{' '}
                  · applied to {d.discount.invoices_applied} invoice(s) · by <StaffName id={d.discount.applied_by} names={names} />
                </p>
              ) : (
                <Empty>No coupon.</Empty>
              )
            }
          </Loaded>
        </Section>
      </div>

      <Section title="Billing this period, limits and quota">
        <Loaded state={billing}>
          {(b) => (
            <>
              <p className="muted">
                <When at={b.period_start} date /> → <When at={b.period_end} date /> · so far <Money minor={b.totals.amount_after_discount} currency={b.currency} /> · projected{' '}
                <Money minor={b.totals.projected_amount_after_discount} currency={b.currency} />
              </p>
              <Table head={['Product', 'Plan', 'Usage', 'Amount so far', 'Projected', 'Billing limit', 'Unit limit', 'Quota']}>
                {b.products.map((p) => (
                  <tr key={p.product}>
                    <td>{p.name}</td>
                    <td>{p.plan}</td>
                    <td className="num">{p.usage === null ? '—' : `${quantity(p.usage)} ${p.unit ?? ''}`}</td>
                    <td>
                      <Money minor={p.amount} currency={b.currency} />
                    </td>
                    <td>
                      <Money minor={p.projected_amount} currency={b.currency} />
                    </td>
                    <td>
                      {p.billing_limit?.amount != null ? <Money minor={p.billing_limit.amount} currency={p.billing_limit.currency} /> : '—'}
                      {p.billing_limit?.next_from && (
                        <div className="small muted">
                          {money(p.billing_limit.next_amount, p.billing_limit.currency)} from <When at={p.billing_limit.next_from} date />
                        </div>
                      )}
                    </td>
                    <td className="num">{p.unit_limit ? quantity(p.unit_limit) : '—'}</td>
                    <td>{p.quota_limited ? <Badge tone="bad">limited</Badge> : <Badge tone="good">ok</Badge>}</td>
                  </tr>
                ))}
              </Table>
            </>
          )}
        </Loaded>
      </Section>

      <Section title="Usage per day">
        <Loaded state={usage}>
          {(u) => {
            // Products the customer is subscribed to or used in either period; the rest would be empty charts.
            const subscribed = new Set(sub.data?.items.map((i) => i.product) ?? []);
            const shown = u.products.filter((p) => subscribed.has(p.product) || p.current.length > 0 || p.previous.length > 0);
            return shown.length === 0 ? <Empty>No metered usage.</Empty> : <div className="charts">{shown.map((p) => <UsageChart key={p.product} usage={u} product={p} />)}</div>;
          }}
        </Loaded>
      </Section>

      <div className="grid">
        <Section title="Available features">
          <Loaded state={features}>
            {(f) => (
              <Table head={['Feature', 'Product', 'Limit', 'Source']}>
                {f.data.map((x) => (
                  <tr key={`${x.product}/${x.key}`}>
                    <td>{x.name}</td>
                    <td>{x.product}</td>
                    <td className="num">{x.limit ?? '—'}</td>
                    <td>
                      <Badge tone={x.source === 'plan' ? 'plain' : 'warn'}>{x.source}</Badge>
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </Loaded>
        </Section>
        <Section title="Credit ledger">
          <Loaded state={ledger}>
            {(l) => (
              <>
                <p>
                  Balance: <Money minor={l.balance} currency={l.currency} /> <span className="muted small">(negative = credit to the customer)</span>
                </p>
                {l.data.length === 0 ? (
                  <Empty>No ledger entries.</Empty>
                ) : (
                  <Table head={['When', 'Type', 'Amount', 'Balance after', 'About']}>
                    {l.data.map((t) => (
                      <tr key={t.id}>
                        <td>
                          <When at={t.created} />
                        </td>
                        <td>{t.type}</td>
                        <td>
                          <Money minor={t.amount} currency={t.currency} />
                        </td>
                        <td>
                          <Money minor={t.ending_balance} currency={t.currency} />
                        </td>
                        <td className="small">{t.description ?? t.invoice ?? t.credit_request ?? ''}</td>
                      </tr>
                    ))}
                  </Table>
                )}
              </>
            )}
          </Loaded>
        </Section>
      </div>

      <Section title="Invoices" actions={<Link to={`/invoices?customer=${c.id}`}>All invoices</Link>}>
        <Loaded state={invoices}>
          {(l) =>
            l.data.length === 0 ? (
              <Empty>No invoices yet.</Empty>
            ) : (
              <Table head={['Number', 'Status', 'Period', 'Total', 'Remaining', 'Created', 'PDF']}>
                {l.data.map((inv) => (
                  <tr key={inv.id}>
                    <td>
                      <Link to={`/invoices/${inv.id}`}>{inv.number ?? 'Draft'}</Link>
                    </td>
                    <td>
                      <Badge tone={statusTone(inv.status)}>{inv.status}</Badge>
                    </td>
                    <td>
                      <When at={inv.period_start} date /> → <When at={inv.period_end} date />
                    </td>
                    <td>
                      <Money minor={inv.total} currency={inv.currency} />
                    </td>
                    <td>
                      <Money minor={inv.amount_remaining} currency={inv.currency} />
                    </td>
                    <td>
                      <When at={inv.created} date />
                    </td>
                    <td>
                      <Link to={`/invoices/${inv.id}`}>View / PDF</Link>
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loaded>
      </Section>

      <Section title="Actions">
        {me.role === 'viewer' || me.role === 'approver' ? (
          <p className="muted">Your role ({me.role}) can read but not change customers.</p>
        ) : (
          <div className="actions">
            <ApplyCoupon customer={c} onDone={reloadAll} />
            <RequestCredit customer={c} onDone={reloadAll} />
            <SetTrial customer={c} onDone={reloadAll} />
            {sub.data && <ChangePlan customer={c} sub={sub.data} onDone={reloadAll} />}
            <OverridePlans customer={c} onDone={reloadAll} />
          </div>
        )}
      </Section>
    </>
  );
}

function Identity({ c }: { c: Customer }) {
  const instance = useLoad(() => get<Instance>(`/instances/${c.instance}`), [c.instance]);
  return (
    <Section title="Identity">
      <dl className="facts">
        <dt>Team / org ID</dt>
        <dd>{c.external_id}</dd>
        <dt>Name</dt>
        <dd>{c.name ?? '—'}</dd>
        <dt>Billing email</dt>
        <dd>{c.billing_email ?? '—'}</dd>
        <dt>Currency</dt>
        <dd>{c.currency.toUpperCase()}</dd>
        <dt>Instance</dt>
        <dd>{instance.data ? `${instance.data.name} (${instance.data.slug})` : c.instance}</dd>
        <dt>Provider</dt>
        <dd>
          {c.provider_customer_id ? (
            <a href={`https://dashboard.stripe.com/customers/${encodeURIComponent(c.provider_customer_id)}`} target="_blank" rel="noreferrer">
              {c.provider_customer_id} ↗
            </a>
          ) : (
            <span className="muted">not set up</span>
          )}
        </dd>
        <dt>Customer since</dt>
        <dd>
          <When at={c.created} date />
        </dd>
      </dl>
    </Section>
  );
}

export function describeCoupon(c: Coupon): string {
  const off = c.percent_off !== null ? `${c.percent_off}% off` : `${money(c.amount_off, c.currency ?? 'usd')} off`;
  const how = c.duration === 'repeating' ? `for ${c.duration_in_months} months` : c.duration;
  return `${off}, ${how}`;
}

function ApplyCoupon({ customer, onDone }: { customer: Customer; onDone: () => void }) {
  const coupons = useLoad(() => get<List<Coupon>>('/coupons', { limit: 100 }), []);
  const [couponId, setCouponId] = useState('');
  const [stack, setStack] = useState(false);
  return (
    <ActionForm
      title="Apply a coupon"
      submitLabel="Apply coupon"
      onDone={onDone}
      onSubmit={async (why) => {
        if (!couponId) throw new Error('Choose a coupon.');
        await post(`/customers/${customer.id}/coupon${stack ? '/stack' : ''}`, { coupon: couponId, ...why });
        return 'Coupon applied.';
      }}
    >
      <Field label="Coupon">
        {(id) => (
          <select id={id} name="coupon" value={couponId} onChange={(e) => setCouponId(e.target.value)}>
            <option value="">Choose…</option>
            {coupons.data?.data.map((x) => (
              <option key={x.id} value={x.id}>
                {x.name} — {describeCoupon(x)} ({x.id})
              </option>
            ))}
          </select>
        )}
      </Field>
      <label className="check">
        <input type="checkbox" name="stack" checked={stack} onChange={(e) => setStack(e.target.checked)} /> Stack onto the coupon the customer holds (fixed amounts only)
      </label>
    </ActionForm>
  );
}

function RequestCredit({ customer, onDone }: { customer: Customer; onDone: () => void }) {
  const [amount, setAmount] = useState('');
  return (
    <ActionForm
      title="Request a credit"
      submitLabel="Request credit"
      onDone={onDone}
      onSubmit={async (why) => {
        const minor = parseMajor(amount, customer.currency);
        if (minor === null || minor <= 0) throw new Error(`Enter a positive amount in ${customer.currency.toUpperCase()}, e.g. 25.00.`);
        if (!why.reason) throw new Error('A credit needs a reason: what happened to the customer.');
        await post('/credit-requests', { customer: customer.id, amount: minor, ...why });
        setAmount('');
        return `Credit of ${money(minor, customer.currency)} requested: it waits for an approver.`;
      }}
    >
      <Field label={`Amount (${customer.currency.toUpperCase()})`}>{(id) => <input id={id} name="amount" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="25.00" />}</Field>
    </ActionForm>
  );
}

function SetTrial({ customer, onDone }: { customer: Customer; onDone: () => void }) {
  const [until, setUntil] = useState(customer.free_trial_until?.slice(0, 10) ?? '');
  return (
    <ActionForm
      title="Set the trial end"
      submitLabel="Set trial end"
      onDone={onDone}
      onSubmit={async (why) => {
        if (!/^\d{4}-\d{2}-\d{2}$/.test(until)) throw new Error('Choose a date.');
        await post(`/customers/${customer.id}/trial`, { until: `${until}T00:00:00Z`, ...why });
        return `Premium features until ${until} 00:00 UTC.`;
      }}
    >
      <Field label="Trial ends (00:00 UTC on)">{(id) => <input id={id} name="until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} />}</Field>
    </ActionForm>
  );
}

function usePlans() {
  return useLoad(() => get<Catalog>('/catalog'), []);
}

function ChangePlan({ customer, sub, onDone }: { customer: Customer; sub: Subscription; onDone: () => void }) {
  const catalog = usePlans();
  const [product, setProduct] = useState(sub.items[0]?.product ?? '');
  const [plan, setPlan] = useState('');
  const [preview, setPreview] = useState<UpcomingInvoice | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [previewing, setPreviewing] = useState(false);
  const plans = catalog.data?.products.find((p) => p.key === product)?.plans ?? [];
  const current = sub.items.find((i) => i.product === product)?.plan;
  const doPreview = async () => {
    setPreviewError(null);
    setPreview(null);
    setPreviewing(true);
    try {
      setPreview(await get<UpcomingInvoice>(`/customers/${customer.id}/upcoming-invoice`, { product, plan }));
    } catch (e) {
      setPreviewError(e);
    } finally {
      setPreviewing(false);
    }
  };
  return (
    <ActionForm
      title="Change plan"
      submitLabel="Change plan now"
      onDone={onDone}
      onSubmit={async (why) => {
        if (!product || !plan) throw new Error('Choose the product and the new plan.');
        const r = await post<{ object?: string; status?: string }>(`/customers/${customer.id}/subscription/change`, { product, plan, ...why });
        setPreview(null);
        return r.object === 'approval_request' ? 'The change needs approval: it is in the approvals queue.' : `Changed ${product} to ${plan}, effective now (no proration).`;
      }}
    >
      <p className="muted small">Immediate, never prorated: the whole period is billed at the new plan.</p>
      <Field label="Product">
        {(id) => (
          <select id={id} name="product" value={product} onChange={(e) => (setProduct(e.target.value), setPlan(''), setPreview(null))}>
            {(catalog.data?.products ?? []).map((p) => (
              <option key={p.key} value={p.key}>
                {p.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label={`New plan${current ? ` (now: ${current})` : ''}`}>
        {(id) => (
          <select id={id} name="plan" value={plan} onChange={(e) => (setPlan(e.target.value), setPreview(null))}>
            <option value="">Choose…</option>
            {plans.map((p) => (
              <option key={p.key} value={p.key}>
                {p.name} ({p.key})
              </option>
            ))}
          </select>
        )}
      </Field>
      <button type="button" onClick={() => void doPreview()} disabled={!plan || previewing}>
        {previewing ? 'Previewing…' : 'Preview the next invoice'}
      </button>
      <ErrorBox error={previewError} />
      {preview && (
        <div className="preview" data-testid="plan-preview">
          <Table head={['Line', 'Quantity', 'Amount']} caption={`Next invoice, closing ${preview.closes_at.slice(0, 10)}, if changed now`}>
            {preview.lines.map((l, i) => (
              <tr key={i}>
                <td>{l.description}</td>
                <td className="num">{quantity(l.quantity)}</td>
                <td>
                  <Money minor={l.amount} currency={preview.currency} />
                </td>
              </tr>
            ))}
          </Table>
          <p>
            Total <Money minor={preview.total} currency={preview.currency} /> · amount due <Money minor={preview.amount_due} currency={preview.currency} />
          </p>
        </div>
      )}
    </ActionForm>
  );
}

function OverridePlans({ customer, onDone }: { customer: Customer; onDone: () => void }) {
  const catalog = usePlans();
  const [product, setProduct] = useState('');
  const [plan, setPlan] = useState('');
  const plans = catalog.data?.products.find((p) => p.key === product)?.plans ?? [];
  return (
    <ActionForm
      title="Override the plan map (features)"
      submitLabel="Save override"
      onDone={onDone}
      onSubmit={async (why) => {
        if (!product) throw new Error('Choose a product.');
        const r = await post<{ plan_overrides: Record<string, string> }>(`/customers/${customer.id}/plan-overrides`, { overrides: { [product]: plan || null }, ...why });
        const entries = Object.entries(r.plan_overrides);
        return entries.length ? `Overrides now: ${entries.map(([k, v]) => `${k} → ${v}`).join(', ')}` : 'No overrides remain.';
      }}
    >
      <Field label="Product">
        {(id) => (
          <select id={id} name="override-product" value={product} onChange={(e) => (setProduct(e.target.value), setPlan(''))}>
            <option value="">Choose…</option>
            {(catalog.data?.products ?? []).map((p) => (
              <option key={p.key} value={p.key}>
                {p.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Features as on plan" hint="Choose “no override” to remove it">
        {(id) => (
          <select id={id} name="override-plan" value={plan} onChange={(e) => setPlan(e.target.value)}>
            <option value="">No override</option>
            {plans.map((p) => (
              <option key={p.key} value={p.key}>
                {p.name} ({p.key})
              </option>
            ))}
          </select>
        )}
      </Field>
    </ActionForm>
  );
}

