import { useState, type ChangeEvent } from 'react';
import { ApiError, can, get, patch, post, type List } from '../api';
import { quantity } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useMe } from '../session';
import type { Amortization, Contract, ContractForm, FormProblem } from '../types';
import { ActionForm, Badge, Empty, Field, Loaded, Money, Section, Table, When, useLoad } from '../ui';

const STATUSES = ['review', 'created', 'live'] as const;
const FORMATS = ['yaml', 'json', 'csv'] as const;
type Format = (typeof FORMATS)[number];

const statusTone = (s: Contract['status']) => (s === 'live' ? 'good' : s === 'created' ? 'plain' : 'warn');

/** The up-front total of a validated form, in minor units (integers well below 2^53 on any real form). */
const upFrontTotal = (f: ContractForm) => f.products.reduce((sum, p) => sum + p.up_front, 0);

/** Annual contracts from order forms (R18–R20): import, review, create, go live; the revenue schedule. */
export function ContractsPage() {
  const me = useMe();
  const { query } = useLocation();
  const status = query.get('status') ?? '';
  const list = useLoad(() => get<List<Contract>>('/contracts', { status: status || undefined, limit: 100 }), [status]);
  return (
    <>
      <h1>Contracts</h1>
      <p>
        <Link to="/contracts/revenue-schedule">Revenue schedule</Link> <span className="muted">· recognized revenue per month, as CSV for finance</span>
      </p>
      {can(me.role, 'billing_admin') ? <ImportOrderForm /> : <p className="muted">Your role ({me.role}) can read contracts but not import or change them.</p>}
      <Section
        title="All contracts"
        actions={
          <Field label="Status">
            {(id) => (
              <select id={id} name="status" value={status} onChange={(e) => navigate(e.target.value ? `/contracts?status=${e.target.value}` : '/contracts')}>
                <option value="">Any</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
        }
      >
        <Loaded state={list}>
          {(l) =>
            l.data.length === 0 ? (
              <Empty>No contracts.</Empty>
            ) : (
              <Table head={['Contract', 'Status', 'Customer', 'Start', 'Up-front total', 'Imported']}>
                {l.data.map((c) => (
                  <tr key={c.id} data-testid="contract-row">
                    <td>
                      <Link to={`/contracts/${c.id}`}>{c.quote ?? c.id}</Link>
                      <div className="small muted">{c.id}</div>
                    </td>
                    <td>
                      <Badge tone={statusTone(c.status)}>{c.status}</Badge>
                      {c.problems.length > 0 && <div className="small muted">{c.problems.length} problem(s)</div>}
                    </td>
                    <td>{c.customer ? <Link to={`/customers/${c.customer}`}>{c.customer}</Link> : <span className="muted">{customerLabel(c)}</span>}</td>
                    <td>{c.form?.start_date ?? <span className="muted">{sourceString(c.source, 'start_date') ?? '—'}</span>}</td>
                    <td>{c.form ? <Money minor={upFrontTotal(c.form)} currency={c.form.currency} /> : <span className="muted">—</span>}</td>
                    <td>
                      <When at={c.created_at} />
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

function sourceString(source: unknown, ...path: string[]): string | null {
  let v = source;
  for (const k of path) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return typeof v === 'string' || typeof v === 'number' ? String(v) : null;
}

/** Who the contract is for before it has a customer: the form's name or org, as written. */
function customerLabel(c: Contract): string {
  return sourceString(c.source, 'customer', 'name') ?? sourceString(c.source, 'customer', 'external_id') ?? sourceString(c.source, 'customer', 'id') ?? 'new customer';
}

/** Every problem, with the field it is at. */
function Problems({ problems }: { problems: FormProblem[] }) {
  return (
    <ul className="problems">
      {problems.map((p, i) => (
        <li key={i} data-testid="contract-problem">
          <code>{p.path || '(document)'}</code> <span className="muted small">{p.code}</span> — {p.message}
        </li>
      ))}
    </ul>
  );
}

function ImportOrderForm() {
  const [format, setFormat] = useState<Format>('yaml');
  const [text, setText] = useState('');
  const [problems, setProblems] = useState<FormProblem[] | null>(null);
  const readFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const ext = file.name.split('.').pop()?.toLowerCase();
    if (ext === 'yml' || ext === 'yaml') setFormat('yaml');
    else if (ext === 'json' || ext === 'csv') setFormat(ext);
    setText(await file.text());
  };
  return (
    <Section title="Import an order form">
      <ActionForm
        title="Order form"
        submitLabel="Import order form"
        onSubmit={async (why) => {
          setProblems(null);
          if (!text.trim()) throw new Error('Paste the order form or choose its file.');
          try {
            const c = await post<Contract>('/contracts', { text, format, ...why });
            navigate(`/contracts/${c.id}`);
            return `Imported ${c.id}.`;
          } catch (err) {
            // A document that does not parse comes back as a 400 listing every problem with its field.
            const listed = err instanceof ApiError ? (err.details?.problems as FormProblem[] | undefined) : undefined;
            if (listed?.length) setProblems(listed);
            throw err;
          }
        }}
      >
        <div className="row">
          <Field label="Format">
            {(id) => (
              <select id={id} name="format" value={format} onChange={(e) => setFormat(e.target.value as Format)}>
                {FORMATS.map((f) => (
                  <option key={f} value={f}>
                    {f.toUpperCase()}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Order form file" hint="or paste the text below">
            {(id) => <input id={id} name="file" type="file" accept=".yaml,.yml,.json,.csv,text/plain" onChange={(e) => void readFile(e)} />}
          </Field>
        </div>
        <Field label="Order form text">{(id) => <textarea id={id} name="text" rows={12} className="mono" spellCheck={false} value={text} onChange={(e) => setText(e.target.value)} />}</Field>
      </ActionForm>
      {problems && (
        <div className="error" role="alert" data-testid="import-problems">
          The order form was not imported:
          <Problems problems={problems} />
        </div>
      )}
    </Section>
  );
}

/** "customer.address.city" → value, for every leaf of the form as read. */
function flatten(v: unknown, prefix = ''): [string, string][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => flatten(x, prefix ? `${prefix}.${i}` : String(i)));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => flatten(x, prefix ? `${prefix}.${k}` : k));
  return [[prefix, v === null || v === undefined ? '' : String(v)]];
}

export function ContractPage({ id }: { id: string }) {
  const me = useMe();
  const contract = useLoad(() => get<Contract>(`/contracts/${id}`), [id]);
  const [fixPath, setFixPath] = useState('');
  return (
    <Loaded state={contract} what="Loading the contract">
      {(c) => {
        const canChange = can(me.role, 'billing_admin');
        return (
          <>
            <h1>
              Contract {c.quote ?? c.id} <Badge tone={statusTone(c.status)}>{c.status}</Badge>
            </h1>
            <p>
              <Link to="/contracts">← All contracts</Link>
            </p>
            <div className="grid">
              <Section title="Contract">
                <dl className="facts">
                  <dt>ID</dt>
                  <dd>
                    <code>{c.id}</code>
                  </dd>
                  <dt>Quote</dt>
                  <dd>{c.quote ?? '—'}</dd>
                  <dt>Imported</dt>
                  <dd>
                    <When at={c.created_at} /> as {c.format.toUpperCase()}
                  </dd>
                  <dt>Customer</dt>
                  <dd>{c.customer ? <Link to={`/customers/${c.customer}`}>{c.customer}</Link> : <span className="muted">created with the contract ({customerLabel(c)})</span>}</dd>
                  <dt>Invoice</dt>
                  <dd>
                    {c.invoice ? (
                      <>
                        <Link to={`/invoices/${c.invoice}`}>{c.invoice}</Link> <span className="muted small">finalized and sent at the start</span>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </dd>
                  <dt>Invoice issue</dt>
                  <dd>
                    <When at={c.invoice_issue_at} date />
                  </dd>
                  <dt>Created</dt>
                  <dd>
                    <When at={c.contract_created_at} />
                  </dd>
                  <dt>Live</dt>
                  <dd>
                    <When at={c.live_at} />
                  </dd>
                  <dt>Subscription</dt>
                  <dd>{c.subscription ? <code>{c.subscription}</code> : c.subscription_schedule ? <span className="muted">scheduled ({c.subscription_schedule})</span> : <span className="muted">—</span>}</dd>
                </dl>
              </Section>
              <Section title={c.problems.length ? `Problems (${c.problems.length})` : 'Problems'}>
                {c.problems.length === 0 ? (
                  <Empty>None: the order form is valid.</Empty>
                ) : (
                  <>
                    <Problems problems={c.problems} />
                    {canChange && c.status === 'review' && (
                      <div className="buttons">
                        {[...new Set(c.problems.map((p) => p.path).filter(Boolean))].map((p) => (
                          <button
                            key={p}
                            type="button"
                            onClick={() => {
                              setFixPath(p);
                              // The fix form is further down: take the person to the value to type.
                              requestAnimationFrame(() => document.getElementById(`fix-value-${c.id}`)?.focus());
                            }}
                          >
                            Fix {p}
                          </button>
                        ))}
                      </div>
                    )}
                  </>
                )}
              </Section>
            </div>
            {c.form && <FormSummary form={c.form} />}
            <Section title="Fields as read">
              <details open={!c.form}>
                <summary>{flatten(c.source).length} fields</summary>
                <Table head={['Field', 'Value']}>
                  {flatten(c.source).map(([path, value]) => (
                    <tr key={path} className={c.problems.some((p) => p.path === path) ? 'flagged' : undefined}>
                      <td>
                        <code>{path}</code>
                      </td>
                      <td>{value}</td>
                    </tr>
                  ))}
                </Table>
              </details>
            </Section>
            {canChange && c.status !== 'live' && (
              <Section title="Actions">
                <div className="actions">
                  {c.status === 'review' && <FixField contract={c} path={fixPath} setPath={setFixPath} onDone={contract.reload} />}
                  {c.status === 'review' && (
                    <ActionForm
                      title="Create the contract"
                      submitLabel="Create contract"
                      disabledReason={c.problems.length ? 'Fix the problems first.' : null}
                      onDone={contract.reload}
                      onSubmit={async (why) => {
                        const r = await post<Contract>(`/contracts/${c.id}/create`, why);
                        return `Created: draft invoice ${r.invoice ?? ''}, issued at the start ${r.invoice_issue_at?.slice(0, 10) ?? ''}.`;
                      }}
                    >
                      <p className="small muted">One transaction: the customer, the draft up-front invoice, custom overage prices, the revenue schedule and the subscription schedule.</p>
                    </ActionForm>
                  )}
                  {c.status === 'created' && (
                    <ActionForm title="Go live" submitLabel="Go live now" onDone={contract.reload} onSubmit={async (why) => {
                        try {
                          await post(`/contracts/${c.id}/go-live`, why);
                        } catch (err) {
                          if (err instanceof ApiError && err.code === 'contract_not_started') throw new Error(`Not started yet: ${err.message}`);
                          throw err;
                        }
                        return 'Live: the subscription started and the invoice was sent.';
                      }}
                    >
                      <p className="small muted">Happens on its own at the start ({c.form?.start_date ?? '—'}); earlier is refused.</p>
                    </ActionForm>
                  )}
                </div>
              </Section>
            )}
            {c.invoice && <AmortizationTable id={c.id} />}
          </>
        );
      }}
    </Loaded>
  );
}

function FormSummary({ form }: { form: ContractForm }) {
  const cust = form.customer;
  return (
    <Section title="Order form">
      <dl className="facts">
        <dt>Quote</dt>
        <dd>{form.quote}</dd>
        <dt>Customer</dt>
        <dd>
          {cust.kind === 'existing' ? `existing ${cust.id ?? cust.external_id ?? ''}` : `new: ${cust.name ?? ''} (${cust.external_id ?? ''} in ${cust.instance ?? ''})`}
        </dd>
        <dt>Billing contact</dt>
        <dd>{cust.contact_email ?? '—'}</dd>
        <dt>Start</dt>
        <dd>{form.start_date}</dd>
        <dt>Term</dt>
        <dd>{form.term_years} year(s)</dd>
        <dt>Payment</dt>
        <dd>{form.due_date ? `due ${form.due_date}` : `net ${form.payment_terms_days}`}</dd>
        <dt>Up-front total</dt>
        <dd>
          <Money minor={upFrontTotal(form)} currency={form.currency} />
        </dd>
      </dl>
      <Table head={['Product', 'Plan', 'Up front', 'Overage rates (per unit)']}>
        {form.products.map((p, i) => (
          <tr key={i}>
            <td>{p.product}</td>
            <td>{p.plan ?? <span className="muted">default</span>}</td>
            <td>
              <Money minor={p.up_front} currency={form.currency} />
            </td>
            <td>
              {p.overage ? (
                <table className="tiers">
                  <tbody>
                    {p.overage.map((t, j) => (
                      <tr key={j}>
                        <td>up to {t.up_to === 'inf' ? '∞' : quantity(t.up_to)}</td>
                        <td>
                          <Money minor={t.unit_amount} currency={form.currency} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : (
                <span className="muted">catalog price</span>
              )}
            </td>
          </tr>
        ))}
      </Table>
    </Section>
  );
}

function FixField({ contract, path, setPath, onDone }: { contract: Contract; path: string; setPath: (p: string) => void; onDone: () => void }) {
  const [value, setValue] = useState('');
  const [remove, setRemove] = useState(false);
  const listId = `paths-${contract.id}`;
  const signers = flatten(contract.source)
    .filter(([k]) => k.startsWith('customer.signer_emails'))
    .map(([, v]) => v);
  return (
    <ActionForm
      title="Fix a field"
      submitLabel="Save fix"
      onDone={onDone}
      onSubmit={async (why) => {
        const p = path.trim();
        if (!p) throw new Error('Name the field to fix, e.g. customer.contact_email.');
        const r = await patch<Contract>(`/contracts/${contract.id}`, { set: { [p]: remove ? null : value }, ...why });
        setValue('');
        setRemove(false);
        return r.problems.length ? `Saved ${p}; ${r.problems.length} problem(s) left.` : `Saved ${p}; no problems left.`;
      }}
    >
      <Field label="Field path" hint="dotted, e.g. customer.contact_email or products.0.up_front">
        {(id) => (
          <>
            <input id={id} name="path" list={listId} value={path} onChange={(e) => setPath(e.target.value)} autoComplete="off" />
            <datalist id={listId}>
              {[...new Set([...contract.problems.map((p) => p.path), ...flatten(contract.source).map(([k]) => k)])].filter(Boolean).map((p) => (
                <option key={p} value={p} />
              ))}
            </datalist>
          </>
        )}
      </Field>
      <div className="field">
        <label htmlFor={`fix-value-${contract.id}`}>New value</label>
        <input id={`fix-value-${contract.id}`} name="value" list={`${listId}-values`} value={value} disabled={remove} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        {/* The billing contact is usually one of the signers. */}
        <datalist id={`${listId}-values`}>{path.trim() === 'customer.contact_email' && signers.map((e) => <option key={e} value={e} />)}</datalist>
      </div>
      <label className="check">
        <input type="checkbox" checked={remove} onChange={(e) => setRemove(e.target.checked)} /> Remove the field instead
      </label>
    </ActionForm>
  );
}

/** The revenue schedule of the contract invoice (R20): one slice a month, per product and in total. */
function AmortizationTable({ id }: { id: string }) {
  const am = useLoad(() => get<Amortization>(`/contracts/${id}/amortization`), [id]);
  return (
    <Section title="Amortization">
      <Loaded state={am} what="Loading the amortization">
        {(a) => (
          <>
            <p className="muted">
              <Money minor={a.total} currency={a.currency} /> over {a.months} months from <When at={a.start} date />, invoice <Link to={`/invoices/${a.invoice}`}>{a.invoice}</Link>: equal monthly slices, the remainder in the last.
            </p>
            <Table head={['Month', 'From', 'Until', ...a.products.map((p) => p.product), 'Recognized']}>
              {a.slices.map((s) => (
                <tr key={s.month} data-testid="amortization-row">
                  <td>{s.month}</td>
                  <td>
                    <When at={s.start} date />
                  </td>
                  <td>
                    <When at={s.end} date />
                  </td>
                  {a.products.map((p) => (
                    <td key={p.product}>
                      <Money minor={p.slices.find((x) => x.month === s.month)?.amount ?? null} currency={a.currency} />
                    </td>
                  ))}
                  <td>
                    <Money minor={s.amount} currency={a.currency} />
                  </td>
                </tr>
              ))}
              <tr className="total">
                <th scope="row" colSpan={3}>
                  Total
                </th>
                {a.products.map((p) => (
                  <td key={p.product}>
                    <Money minor={p.total} currency={a.currency} />
                  </td>
                ))}
                <td>
                  <Money minor={a.total} currency={a.currency} />
                </td>
              </tr>
            </Table>
          </>
        )}
      </Loaded>
    </Section>
  );
}
