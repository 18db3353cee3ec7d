import { useState } from 'react';
import { can, get, post, type List } from '../api';
import { currencyExponent, parseMajor } from '../format';
import { Link } from '../router';
import { useMe } from '../session';
import { StaffName, useStaffNames } from '../staff-names';
import type { Coupon } from '../types';
import { ActionForm, Badge, Empty, Field, Loaded, Section, Table, When, useLoad } from '../ui';
import { describeCoupon } from './Customer';

/** Coupons (R11): the list with how often each was redeemed, and creating one (a generated code is shown once). */
export function CouponsPage() {
  const me = useMe();
  const names = useStaffNames();
  const [retired, setRetired] = useState(false);
  const list = useLoad(() => get<List<Coupon>>('/coupons', { limit: 100, include_retired: retired ? 'true' : undefined }), [retired]);
  return (
    <>
      <h1>Coupons</h1>
      {can(me.role, 'support') ? <CreateCoupon onDone={list.reload} /> : <p className="muted">Your role ({me.role}) can read coupons but not create them.</p>}
      <Section
        title="All coupons"
        actions={
          <label className="check">
            <input type="checkbox" checked={retired} onChange={(e) => setRetired(e.target.checked)} /> Include retired
          </label>
        }
      >
        <Loaded state={list}>
          {(l) =>
            l.data.length === 0 ? (
              <Empty>No coupons yet.</Empty>
            ) : (
              <Table head={['Coupon', 'Discount', 'Used', 'Code', 'Redeem by', 'Created', 'Status', 'Holders']}>
                {l.data.map((c) => (
                  <tr key={c.id} data-testid="coupon-row">
                    <td>
                      {c.name}
                      <div className="small muted">{c.id}</div>
                    </td>
                    <td>{describeCoupon(c)}</td>
                    <td className="num">
                      {c.times_redeemed} / {c.max_redemptions ?? '∞'}
                    </td>
                    <td>{c.has_code ? <code>{c.code_hint ?? 'code'}</code> : <span className="muted">staff only</span>}</td>
                    <td>
                      <When at={c.redeem_by} date />
                    </td>
                    <td>
                      <When at={c.created} date /> · <StaffName id={c.created_by} names={names} />
                    </td>
                    <td>
                      {c.retired ? <Badge tone="bad">retired</Badge> : c.max_redemptions !== null && c.times_redeemed >= c.max_redemptions ? <Badge>used up</Badge> : <Badge tone="good">active</Badge>}
                      {!c.retired && can(me.role, 'billing_admin') && <RetireCoupon coupon={c} onDone={list.reload} />}
                    </td>
                    <td>
                      <Holders coupon={c} />
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loaded>
      </Section>
    </>
  );
}

/** Who holds or held the coupon; loaded when opened. */
function Holders({ coupon }: { coupon: Coupon }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Show</summary>
      {open && <HolderList id={coupon.id} />}
    </details>
  );
}

function HolderList({ id }: { id: string }) {
  const holders = useLoad(() => get<{ data: { id: string; customer: string; start: string; invoices_applied: number; retired: string | null }[] }>(`/coupons/${id}/holders`), [id]);
  return (
    <Loaded state={holders}>
      {(h) =>
        h.data.length === 0 ? (
          <Empty>Nobody yet.</Empty>
        ) : (
          <ul className="plain">
            {h.data.map((x) => (
              <li key={x.id}>
                <Link to={`/customers/${x.customer}`}>{x.customer}</Link> · <When at={x.start} date /> · {x.invoices_applied} invoice(s){x.retired ? ' · ended' : ''}
              </li>
            ))}
          </ul>
        )
      }
    </Loaded>
  );
}

function RetireCoupon({ coupon, onDone }: { coupon: Coupon; onDone: () => void }) {
  return (
    <details className="inline-action">
      <summary>Retire…</summary>
      <ActionForm title={`Retire ${coupon.name}`} submitLabel="Retire coupon" onDone={onDone} onSubmit={async (why) => (await post(`/coupons/${coupon.id}/retire`, why), 'Retired: no further redemptions.')} />
    </details>
  );
}

function CreateCoupon({ onDone }: { onDone: () => void }) {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'percent' | 'amount'>('percent');
  const [percent, setPercent] = useState('');
  const [amount, setAmount] = useState('');
  const [currency, setCurrency] = useState('usd');
  const [duration, setDuration] = useState<'once' | 'repeating' | 'forever'>('once');
  const [months, setMonths] = useState('3');
  const [maxRedemptions, setMaxRedemptions] = useState('');
  const [withCode, setWithCode] = useState(false);
  return (
    <Section title="Create a coupon">
      <ActionForm
        title="New coupon"
        submitLabel="Create coupon"
        onDone={onDone}
        onSubmit={async (why) => {
          const body: Record<string, unknown> = { name: name.trim(), duration, customer_facing_code: withCode, ...why };
          if (kind === 'percent') body.percent_off = percent.trim();
          else {
            const minor = parseMajor(amount, currency);
            if (minor === null || minor <= 0) throw new Error(`Enter a positive amount in ${currency.toUpperCase()} with at most ${currencyExponent(currency)} decimals.`);
            body.amount_off = minor;
            body.currency = currency;
          }
          if (duration === 'repeating') body.duration_in_months = Number(months);
          if (maxRedemptions.trim()) body.max_redemptions = Number(maxRedemptions);
          const r = await post<Coupon & { code: string | null; object: string }>('/coupons', body);
          setName('');
          setPercent('');
          setAmount('');
          const pending = r.object === 'approval_request';
          return (
            <>
              {pending ? 'The coupon needs approval: it is in the approvals queue.' : `Created ${r.id}.`}
              {r.code && (
                <div className="code-once">
                  Customer-facing code (shown only now — copy it): <code data-testid="coupon-code">{r.code}</code>
                </div>
              )}
            </>
          );
        }}
      >
        <Field label="Name (why it is issued)">{(id) => <input id={id} name="name" required value={name} onChange={(e) => setName(e.target.value)} />}</Field>
        <fieldset className="inline">
          <legend>Discount</legend>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'percent'} onChange={() => setKind('percent')} /> Percent off
          </label>
          <label className="check">
            <input type="radio" name="kind" checked={kind === 'amount'} onChange={() => setKind('amount')} /> Fixed amount
          </label>
        </fieldset>
        {kind === 'percent' ? (
          <Field label="Percent off">{(id) => <input id={id} name="percent_off" inputMode="decimal" value={percent} onChange={(e) => setPercent(e.target.value)} placeholder="20" />}</Field>
        ) : (
          <div className="row">
            <Field label="Amount off">{(id) => <input id={id} name="amount_off" inputMode="decimal" value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="50.00" />}</Field>
            <Field label="Currency">
              {(id) => (
                <select id={id} name="currency" value={currency} onChange={(e) => setCurrency(e.target.value)}>
                  {['usd', 'eur', 'gbp', 'jpy'].map((c) => (
                    <option key={c} value={c}>
                      {c.toUpperCase()}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        )}
        <div className="row">
          <Field label="Duration">
            {(id) => (
              <select id={id} name="duration" value={duration} onChange={(e) => setDuration(e.target.value as typeof duration)}>
                <option value="once">Once</option>
                <option value="repeating">Repeating</option>
                <option value="forever">Forever</option>
              </select>
            )}
          </Field>
          {duration === 'repeating' && <Field label="Months">{(id) => <input id={id} name="duration_in_months" type="number" min={1} max={120} value={months} onChange={(e) => setMonths(e.target.value)} />}</Field>}
          <Field label="Max redemptions" hint="Empty: 1 with a code, else unlimited">
            {(id) => <input id={id} name="max_redemptions" type="number" min={1} value={maxRedemptions} onChange={(e) => setMaxRedemptions(e.target.value)} />}
          </Field>
        </div>
        <label className="check">
          <input type="checkbox" name="customer_facing_code" checked={withCode} onChange={(e) => setWithCode(e.target.checked)} /> Generate a customer-facing code
        </label>
      </ActionForm>
    </Section>
  );
}
