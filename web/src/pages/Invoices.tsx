import { useEffect, useState } from 'react';
import { can, get, getBlob, post, type List } from '../api';
import { parseMajor, quantity } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useMe } from '../session';
import type { Customer, Invoice } from '../types';
import { ActionForm, Badge, Empty, ErrorBox, Field, Loaded, Loading, Money, Section, Table, When, useLoad } from '../ui';
import { statusTone } from './Customer';

const STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'] as const;

/** Invoices: drafts to review first; finalize, send, void and record payments on the invoice's page. */
export function InvoicesPage() {
  const me = useMe();
  const { query } = useLocation();
  const status = query.get('status') ?? (query.get('customer') ? '' : 'draft');
  const customer = query.get('customer') ?? '';
  const list = useLoad(() => get<List<Invoice>>('/invoices', { status: status || undefined, customer: customer || undefined, limit: 100 }), [status, customer]);
  const setFilter = (s: string, c: string) => navigate(`/invoices?${new URLSearchParams({ ...(s ? { status: s } : { status: '' }), ...(c ? { customer: c } : {}) }).toString()}`);
  return (
    <>
      <h1>Invoices</h1>
      <div className="card filters">
        <Field label="Status">
          {(id) => (
            <select id={id} name="status" value={status} onChange={(e) => setFilter(e.target.value, customer)}>
              <option value="">Any</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Customer ID">{(id) => <input id={id} name="customer" defaultValue={customer} placeholder="cus_…" onKeyDown={(e) => e.key === 'Enter' && setFilter(status, e.currentTarget.value.trim())} />}</Field>
      </div>
      <Section title={status === 'draft' ? 'Drafts to review' : 'Invoices'}>
        <Loaded state={list}>
          {(l) =>
            l.data.length === 0 ? (
              <Empty>No invoices.</Empty>
            ) : (
              <Table head={['Invoice', 'Customer', 'Status', 'Total', 'Remaining', 'Due', 'Created']}>
                {l.data.map((inv) => (
                  <tr key={inv.id}>
                    <td>
                      <Link to={`/invoices/${inv.id}`}>{inv.number ?? `Draft ${inv.id}`}</Link>
                    </td>
                    <td>
                      <Link to={`/customers/${inv.customer}`}>{inv.customer}</Link>
                    </td>
                    <td>
                      <Badge tone={statusTone(inv.status)}>{inv.status}</Badge>
                    </td>
                    <td>
                      <Money minor={inv.total} currency={inv.currency} />
                    </td>
                    <td>
                      <Money minor={inv.amount_remaining} currency={inv.currency} />
                    </td>
                    <td>
                      <When at={inv.due_date} date />
                    </td>
                    <td>
                      <When at={inv.created} date />
                    </td>
                  </tr>
                ))}
              </Table>
            )
          }
        </Loaded>
      </Section>
      {can(me.role, 'billing_admin') && <NewInvoice initialCustomer={customer} />}
    </>
  );
}

/** A manual invoice (R18) with one custom line; more lines can be added through the API. */
function NewInvoice({ initialCustomer }: { initialCustomer: string }) {
  const [customer, setCustomer] = useState(initialCustomer);
  const [description, setDescription] = useState('');
  const [amount, setAmount] = useState('');
  const [qty, setQty] = useState('1');
  const [memo, setMemo] = useState('');
  return (
    <Section title="New manual invoice">
      <ActionForm
        title="Draft an invoice"
        submitLabel="Create draft"
        onSubmit={async (why) => {
          const c = await get<Customer>(`/customers/${customer.trim()}`);
          const minor = parseMajor(amount, c.currency);
          if (minor === null) throw new Error(`Enter the unit amount in ${c.currency.toUpperCase()}, e.g. 100.00.`);
          const inv = await post<Invoice>('/invoices', { customer: c.id, lines: [{ description: description.trim(), unit_amount: minor, quantity: qty.trim() || '1' }], ...(memo.trim() ? { memo: memo.trim() } : {}), ...why });
          navigate(`/invoices/${inv.id}`);
          return 'Draft created.';
        }}
      >
        <Field label="Customer ID">{(id) => <input id={id} name="invoice-customer" required value={customer} onChange={(e) => setCustomer(e.target.value)} placeholder="cus_…" />}</Field>
        <Field label="Line description">{(id) => <input id={id} name="line-description" required value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
        <div className="row">
          <Field label="Unit amount (major units)">{(id) => <input id={id} name="line-amount" inputMode="decimal" required value={amount} onChange={(e) => setAmount(e.target.value)} placeholder="100.00" />}</Field>
          <Field label="Quantity">{(id) => <input id={id} name="line-quantity" inputMode="decimal" value={qty} onChange={(e) => setQty(e.target.value)} />}</Field>
        </div>
        <Field label="Memo (shown on the invoice)">{(id) => <textarea id={id} name="memo" rows={2} value={memo} onChange={(e) => setMemo(e.target.value)} />}</Field>
      </ActionForm>
    </Section>
  );
}

export function InvoicePage({ id }: { id: string }) {
  const me = useMe();
  const inv = useLoad(() => get<Invoice>(`/invoices/${id}`), [id]);
  return (
    <Loaded state={inv} what="Loading the invoice">
      {(i) => (
        <>
          <h1>
            {i.number ? `Invoice ${i.number}` : 'Draft invoice'} <Badge tone={statusTone(i.status)}>{i.status}</Badge>
          </h1>
          <div className="grid">
            <Section title="Summary">
              <dl className="facts">
                <dt>Customer</dt>
                <dd>
                  <Link to={`/customers/${i.customer}`}>{i.customer}</Link>
                </dd>
                <dt>Collection</dt>
                <dd>{i.collection_method.replace(/_/g, ' ')}</dd>
                <dt>Period</dt>
                <dd>
                  <When at={i.period_start} date /> → <When at={i.period_end} date />
                </dd>
                <dt>Due</dt>
                <dd>
                  <When at={i.due_date} date />
                </dd>
                <dt>Subtotal</dt>
                <dd>
                  <Money minor={i.subtotal} currency={i.currency} />
                </dd>
                <dt>Total</dt>
                <dd>
                  <Money minor={i.total} currency={i.currency} />
                </dd>
                <dt>Amount due</dt>
                <dd>
                  <Money minor={i.amount_due} currency={i.currency} />
                </dd>
                <dt>Paid</dt>
                <dd>
                  <Money minor={i.amount_paid} currency={i.currency} /> {i.payment_reference && <span className="small muted">ref {i.payment_reference}</span>}
                </dd>
                <dt>Remaining</dt>
                <dd>
                  <Money minor={i.amount_remaining} currency={i.currency} />
                </dd>
              </dl>
              {i.memo && <p className="memo">{i.memo}</p>}
            </Section>
            <InvoiceActions inv={i} role={me.role} onDone={inv.reload} />
          </div>
          <Section title="Lines">
            <Table head={['Description', 'Quantity', 'Unit', 'Amount', 'Discount']}>
              {i.lines.data.map((l) => (
                <tr key={l.id}>
                  <td>{l.description}</td>
                  <td className="num">{quantity(l.quantity)}</td>
                  <td>{l.unit_amount_decimal === null ? '—' : <Money minor={l.unit_amount_decimal} currency={i.currency} />}</td>
                  <td>
                    <Money minor={l.amount} currency={i.currency} />
                  </td>
                  <td>
                    <Money minor={-l.discount_amount} currency={i.currency} />
                  </td>
                </tr>
              ))}
            </Table>
          </Section>
          <Pdf inv={i} />
        </>
      )}
    </Loaded>
  );
}

function InvoiceActions({ inv, role, onDone }: { inv: Invoice; role: Parameters<typeof can>[0]; onDone: () => void }) {
  const [reference, setReference] = useState('');
  if (!can(role, 'billing_admin')) return <Section title="Actions">{<p className="muted">Changing invoices needs the billing admin role; yours is {role}.</p>}</Section>;
  const act = (path: string, label: string) => (
    <ActionForm key={path} title={label} submitLabel={label} onDone={onDone} reasonRequired={path === 'void' || path === 'mark_uncollectible'} danger={path === 'void' || path === 'mark_uncollectible'} onSubmit={async (why) => (await post(`/invoices/${inv.id}/${path}`, why), `${label}: done.`)} />
  );
  return (
    <Section title="Actions">
      <div className="actions single">
        {inv.status === 'draft' && act('finalize', 'Finalize')}
        {inv.status === 'open' && inv.collection_method === 'send_invoice' && act('send', 'Send to the billing email')}
        {inv.status === 'open' && (
          <ActionForm
            title="Mark paid"
            submitLabel="Mark paid"
            onDone={onDone}
            reasonRequired={false}
            onSubmit={async (why) => {
              if (!reference.trim()) throw new Error('Give the payment reference (bank transfer, check number…).');
              await post(`/invoices/${inv.id}/pay`, { reference: reference.trim(), ...why });
              return 'Recorded as paid.';
            }}
          >
            <Field label="Payment reference">{(id) => <input id={id} name="reference" value={reference} onChange={(e) => setReference(e.target.value)} />}</Field>
          </ActionForm>
        )}
        {(inv.status === 'open' || inv.status === 'uncollectible') && act('void', 'Void')}
        {inv.status === 'open' && act('mark_uncollectible', 'Mark uncollectible')}
        {(inv.status === 'paid' || inv.status === 'void') && <p className="muted">A {inv.status} invoice is final.</p>}
      </div>
    </Section>
  );
}

/** The PDF comes from an authenticated route, so it is fetched and shown from a blob URL. */
function Pdf({ inv }: { inv: Invoice }) {
  const [url, setUrl] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [show, setShow] = useState(false);
  useEffect(() => {
    let made: string | null = null;
    let live = true;
    getBlob(`/invoices/${inv.id}/pdf`).then(
      (b) => {
        if (!live) return;
        made = URL.createObjectURL(b);
        setUrl(made);
      },
      (e: unknown) => live && setError(e),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [inv.id, inv.status]);
  const file = `${inv.number ?? `draft-${inv.id}`}.pdf`;
  return (
    <Section title="PDF" actions={url ? <a className="button" href={url} download={file} data-testid="pdf-download">Download {file}</a> : null}>
      <ErrorBox error={error} />
      {!url && !error && <Loading what="Rendering the PDF" />}
      {url && !show && (
        <button type="button" onClick={() => setShow(true)}>
          Preview here
        </button>
      )}
      {url && show && <iframe className="pdf" src={url} title={`Invoice ${inv.number ?? inv.id} PDF`} />}
    </Section>
  );
}
