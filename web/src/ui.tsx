import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { ApiError, type Why } from './api';
import { local, money, utc } from './format';

/** Loads on mount and whenever `deps` change; `reload` runs it again after a change. */
export function useLoad<T>(fn: () => Promise<T>, deps: readonly unknown[]): { data: T | null; error: unknown; loading: boolean; reload: () => void } {
  const [state, setState] = useState<{ data: T | null; error: unknown; loading: boolean }>({ data: null, error: null, loading: true });
  const [tick, setTick] = useState(0);
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const lastTick = useRef(tick);
  useEffect(() => {
    let live = true;
    // A reload after a change keeps showing the data; new parameters (filters, another page) show loading.
    const keep = lastTick.current !== tick;
    lastTick.current = tick;
    setState((s) => ({ data: keep ? s.data : null, loading: true, error: null }));
    fnRef.current().then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) => live && setState({ data: null, error, loading: false }),
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

export function errorText(e: unknown): string {
  if (e instanceof ApiError) return `${e.message}${e.param ? ` (field: ${e.param})` : ''}`;
  return e instanceof Error ? e.message : String(e);
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <div className="error" role="alert">
      {errorText(error)}
    </div>
  );
}

export function Loading({ what = 'Loading' }: { what?: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      {what}…
    </p>
  );
}

/** Renders loading and error states, then the children with the data. */
export function Loaded<T>({ state, children, what }: { state: { data: T | null; error: unknown; loading: boolean }; children: (data: T) => ReactNode; what?: string }) {
  if (state.error) return <ErrorBox error={state.error} />;
  if (state.data === null) return <Loading {...(what ? { what } : {})} />;
  return <>{children(state.data)}</>;
}

/** A date in UTC; the viewer's local time on hover. */
export function When({ at, date = false }: { at: string | null | undefined; date?: boolean }) {
  if (!at) return <span className="muted">—</span>;
  return (
    <time dateTime={at} title={local(at)}>
      {utc(at, !date)}
    </time>
  );
}

export function Money({ minor, currency }: { minor: number | string | null | undefined; currency: string }) {
  const neg = typeof minor === 'number' ? minor < 0 : typeof minor === 'string' && minor.startsWith('-');
  return <span className={neg ? 'num neg' : 'num'}>{money(minor, currency)}</span>;
}

export function Badge({ children, tone = 'plain' }: { children: ReactNode; tone?: 'plain' | 'good' | 'warn' | 'bad' }) {
  return <span className={`badge ${tone}`}>{children}</span>;
}

export function Section({ title, children, actions }: { title: string; children: ReactNode; actions?: ReactNode }) {
  const id = useId();
  return (
    <section className="card" aria-labelledby={id}>
      <header className="card-head">
        <h2 id={id}>{title}</h2>
        {actions}
      </header>
      {children}
    </section>
  );
}

export function Field({ label, children, hint }: { label: string; children: (id: string) => ReactNode; hint?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children(id)}
      {hint && <small className="muted">{hint}</small>}
    </div>
  );
}

/**
 * A staff action's form: its own fields, then the reason and ticket the audit log needs (one is required),
 * a submit button, and the API's error or a success note. `onSubmit` returns the success message.
 */
export function ActionForm({
  title,
  submitLabel,
  children,
  onSubmit,
  onDone,
  reasonRequired = true,
  disabledReason,
  danger = false,
}: {
  title: string;
  submitLabel: string;
  children?: ReactNode;
  onSubmit: (why: Why) => Promise<string | ReactNode>;
  onDone?: () => void;
  reasonRequired?: boolean;
  disabledReason?: string | null;
  /** Irreversible actions (void, write off) get the warning style. */
  danger?: boolean;
}) {
  const [reason, setReason] = useState('');
  const [ticket, setTicket] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<ReactNode>(null);
  const headId = useId();
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (reasonRequired && !reason.trim() && !ticket.trim()) {
      setError(new Error('Give a reason or a ticket reference: it goes to the audit log.'));
      return;
    }
    setBusy(true);
    try {
      const why: Why = {};
      if (reason.trim()) why.reason = reason.trim();
      if (ticket.trim()) why.ticket = ticket.trim();
      setDone(await onSubmit(why));
      setReason('');
      setTicket('');
      onDone?.();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="action-form" onSubmit={submit} aria-labelledby={headId}>
      <h3 id={headId}>{title}</h3>
      {disabledReason ? <p className="muted">{disabledReason}</p> : null}
      <fieldset disabled={busy || Boolean(disabledReason)}>
        {children}
        <Field label={reasonRequired ? 'Reason (for the audit log)' : 'Reason (optional)'}>{(id) => <textarea id={id} name="reason" rows={2} value={reason} onChange={(e) => setReason(e.target.value)} />}</Field>
        <Field label="Ticket reference">{(id) => <input id={id} name="ticket" value={ticket} onChange={(e) => setTicket(e.target.value)} placeholder="e.g. SUP-1234" />}</Field>
        <button type="submit" className={danger ? 'danger' : 'primary'}>
          {busy ? 'Working…' : submitLabel}
        </button>
      </fieldset>
      <ErrorBox error={error} />
      {done ? (
        <div className="success" role="status">
          {done}
        </div>
      ) : null}
    </form>
  );
}

/** A simple responsive table: scrolls sideways in a narrow window instead of breaking the layout. */
export function Table({ head, children, caption }: { head: ReactNode[]; children: ReactNode; caption?: string }) {
  return (
    <div className="table-wrap">
      <table>
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {head.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>{children}</tbody>
      </table>
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="muted empty">{children}</p>;
}
