import { useState } from 'react';
import { can, get, post, type List } from '../api';
import { Link } from '../router';
import { useMe } from '../session';
import { StaffName, useStaffNames } from '../staff-names';
import type { ApprovalItem } from '../types';
import { Badge, Empty, Field, Loaded, Money, Section, Table, When, useLoad } from '../ui';
import { statusTone } from './Customer';

const STATUSES = ['pending', 'approved', 'rejected'] as const;

/** The approval queue (R14): pending credits and changes, oldest first, each with the customer's earlier credits. */
export function ApprovalsPage() {
  const [status, setStatus] = useState<(typeof STATUSES)[number]>('pending');
  const queue = useLoad(() => get<List<ApprovalItem>>('/approvals', { status, limit: 100 }), [status]);
  const names = useStaffNames();
  return (
    <>
      <h1>Approvals</h1>
      <div className="card filters">
        <Field label="Show">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setStatus(e.target.value as (typeof STATUSES)[number])}>
              {STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <Loaded state={queue} what="Loading the queue">
        {(l) => (l.data.length === 0 ? <Empty>Nothing {status}.</Empty> : l.data.map((item) => <ApprovalCard key={item.approval_request.id} item={item} names={names} onDone={queue.reload} />))}
      </Loaded>
    </>
  );
}

function describe(item: ApprovalItem) {
  const a = item.approval_request;
  const cr = item.credit_request;
  if (cr) {
    return (
      <>
        Credit of <Money minor={cr.amount} currency={cr.currency} />
      </>
    );
  }
  if (a.kind === 'subscription_change') {
    const p = a.payload as { product?: string; plan?: string; price?: string };
    return (
      <>
        Change {p.product} to {p.plan ?? p.price ?? 'the default plan'}
      </>
    );
  }
  return (
    <>
      {a.kind.replace(/_/g, ' ')} <code className="small">{JSON.stringify(a.payload)}</code>
    </>
  );
}

function ApprovalCard({ item, names, onDone }: { item: ApprovalItem; names: Map<string, string>; onDone: () => void }) {
  const me = useMe();
  const a = item.approval_request;
  const mine = a.requested_by === me.id;
  const [note, setNote] = useState('');
  const base = item.credit_request ? `/credit-requests/${item.credit_request.id}` : `/approvals/${a.id}`;
  const blocked = !can(me.role, 'approver') ? `Deciding needs the approver role; yours is ${me.role}.` : mine ? 'You requested this: another approver must decide it.' : null;
  return (
    <Section title={`${a.kind === 'credit' ? 'Credit' : a.kind.replace(/_/g, ' ')} · ${a.id}`} actions={<Badge tone={statusTone(a.status)}>{a.status}</Badge>}>
      <div className="approval" data-testid="approval" data-id={a.id}>
        <p className="lead">{describe(item)}</p>
        <dl className="facts">
          <dt>Customer</dt>
          <dd>{a.customer ? <Link to={`/customers/${a.customer}`}>{a.customer}</Link> : '—'}</dd>
          <dt>Requested by</dt>
          <dd>
            <StaffName id={a.requested_by} names={names} /> · <When at={a.created} />
          </dd>
          <dt>Reason</dt>
          <dd>{item.credit_request?.reason ?? a.reason ?? '—'}</dd>
          <dt>Ticket</dt>
          <dd>{item.credit_request?.ticket ?? a.ticket ?? '—'}</dd>
          {a.decided_by && (
            <>
              <dt>Decided by</dt>
              <dd>
                <StaffName id={a.decided_by} names={names} /> {a.decision_note ? `— ${a.decision_note}` : ''}
              </dd>
            </>
          )}
        </dl>
        {item.earlier_credits && (
          <>
            <h3>Earlier credits to this customer</h3>
            {item.earlier_credits.length === 0 ? (
              <Empty>None.</Empty>
            ) : (
              <Table head={['Requested', 'Amount', 'Reason', 'By', 'Approved by']}>
                {item.earlier_credits.map((e) => (
                  <tr key={e.credit_request}>
                    <td>
                      <When at={e.requested} date />
                    </td>
                    <td>
                      <Money minor={e.amount} currency={e.currency} />
                    </td>
                    <td>{e.reason}</td>
                    <td>
                      <StaffName id={e.requested_by} names={names} />
                    </td>
                    <td>
                      <StaffName id={e.approved_by} names={names} />
                    </td>
                  </tr>
                ))}
              </Table>
            )}
          </>
        )}
        {a.status === 'pending' && (
          <div className="decide">
            {blocked && <p className="muted">{blocked}</p>}
            <Field label="Decision note (optional, kept in the audit log)">{(id) => <input id={id} name="note" value={note} onChange={(e) => setNote(e.target.value)} disabled={Boolean(blocked)} />}</Field>
            <div className="buttons">
              <DecideButton label="Approve" path={`${base}/approve`} note={note} disabled={Boolean(blocked)} onDone={onDone} primary />
              <DecideButton label="Reject" path={`${base}/reject`} note={note} disabled={Boolean(blocked)} onDone={onDone} />
            </div>
          </div>
        )}
      </div>
    </Section>
  );
}

function DecideButton({ label, path, note, disabled, onDone, primary }: { label: string; path: string; note: string; disabled: boolean; onDone: () => void; primary?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button
        type="button"
        className={primary ? 'primary' : 'danger'}
        disabled={disabled || busy}
        onClick={() => {
          setBusy(true);
          setError(null);
          post(path, note.trim() ? { note: note.trim() } : {})
            .then(onDone, setError)
            .finally(() => setBusy(false));
        }}
      >
        {busy ? 'Working…' : label}
      </button>
      {error ? <ActionError error={error} /> : null}
    </>
  );
}

function ActionError({ error }: { error: unknown }) {
  return (
    <span className="error inline" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </span>
  );
}

