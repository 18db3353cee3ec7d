import { useState, type FormEvent } from 'react';
import { get, type List } from '../api';
import { Link } from '../router';
import { StaffName, useStaffNames } from '../staff-names';
import type { AuditEntry } from '../types';
import { Empty, Field, Loaded, Section, Table, When, useLoad } from '../ui';

interface Filters {
  customer: string;
  actor: string;
  action: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { customer: '', actor: '', action: '', from: '', to: '' };

/** The audit log (R15), newest first; dates are whole UTC days (to is inclusive here, exclusive in the API). */
export function AuditPage() {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [pages, setPages] = useState<string[]>([]);
  const names = useStaffNames();
  const after = pages[pages.length - 1];
  const list = useLoad(() => {
    const toExclusive = applied.to ? new Date(Date.parse(`${applied.to}T00:00:00Z`) + 86_400_000).toISOString() : undefined;
    return get<List<AuditEntry>>('/audit', {
      customer: applied.customer || undefined,
      actor: applied.actor || undefined,
      action: applied.action || undefined,
      from: applied.from ? `${applied.from}T00:00:00Z` : undefined,
      to: toExclusive,
      limit: 50,
      starting_after: after,
    });
  }, [applied, after]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setPages([]);
    setApplied({ ...draft });
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  return (
    <>
      <h1>Audit log</h1>
      <form className="card filters" onSubmit={submit} aria-label="Filter the audit log">
        <Field label="Customer">{(id) => <input id={id} name="customer" value={draft.customer} onChange={set('customer')} placeholder="cus_…" />}</Field>
        <Field label="Actor">{(id) => <input id={id} name="actor" value={draft.actor} onChange={set('actor')} placeholder="stf_… / ins_…" />}</Field>
        <Field label="Action">{(id) => <input id={id} name="action" value={draft.action} onChange={set('action')} placeholder="coupon.apply" />}</Field>
        <Field label="From (UTC day)">{(id) => <input id={id} name="from" type="date" value={draft.from} onChange={set('from')} />}</Field>
        <Field label="To (UTC day, inclusive)">{(id) => <input id={id} name="to" type="date" value={draft.to} onChange={set('to')} />}</Field>
        <button type="submit" className="primary">
          Filter
        </button>
      </form>
      <Section title="Entries">
        <Loaded state={list}>
          {(l) => (
            <>
              {l.data.length === 0 ? (
                <Empty>No entries.</Empty>
              ) : (
                <Table head={['When', 'Actor', 'Action', 'Target', 'Customer', 'Reason / ticket', 'Change']}>
                  {l.data.map((a) => (
                    <tr key={a.id} data-testid="audit-row">
                      <td>
                        <When at={a.at} />
                      </td>
                      <td>{a.actor_type === 'staff' ? <StaffName id={a.actor_id} names={names} /> : `${a.actor_type}: ${a.actor_id}`}</td>
                      <td>
                        <code>{a.action}</code>
                      </td>
                      <td className="small">
                        {a.target_type} {a.target_id}
                      </td>
                      <td className="small">{a.customer ? <Link to={`/customers/${a.customer}`}>{a.customer}</Link> : '—'}</td>
                      <td>
                        {a.reason ?? ''}
                        {a.ticket && <div className="small muted">ticket {a.ticket}</div>}
                      </td>
                      <td>
                        {a.before !== null || a.after !== null ? (
                          <details>
                            <summary>before / after</summary>
                            <pre className="json">{JSON.stringify({ before: a.before, after: a.after }, null, 2)}</pre>
                          </details>
                        ) : (
                          '—'
                        )}
                      </td>
                    </tr>
                  ))}
                </Table>
              )}
              <div className="pager">
                <button type="button" disabled={pages.length === 0} onClick={() => setPages((p) => p.slice(0, -1))}>
                  Newer
                </button>
                <button type="button" disabled={!l.has_more} onClick={() => setPages((p) => [...p, l.data[l.data.length - 1]!.id])}>
                  Older
                </button>
              </div>
            </>
          )}
        </Loaded>
      </Section>
    </>
  );
}
