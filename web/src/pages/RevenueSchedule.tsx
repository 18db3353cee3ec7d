import { useEffect, useState } from 'react';
import { getBlob } from '../api';
import { Link } from '../router';
import { Empty, ErrorBox, Field, Loading, Money, Section, Table } from '../ui';

type By = 'contract' | 'customer' | 'product';

interface Row {
  month: string;
  key: string;
  currency: string;
  amount: string;
}

/** `month,<by>,currency,amount_minor` rows; fields are ids and codes, quoted only if the export ever needs it. */
export function parseRevenueCsv(text: string): Row[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  return lines.slice(1).map((line) => {
    const cells: string[] = [];
    let cur = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i]!;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cur += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cur += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cur);
        cur = '';
      }
      else cur += ch;
    }
    cells.push(cur);
    return { month: cells[0] ?? '', key: cells[1] ?? '', currency: cells[2] ?? '', amount: cells[3] ?? '0' };
  });
}

/** Sums decimal strings of minor units exactly. */
const add = (a: string, b: string) => (BigInt(a) + BigInt(b)).toString();

/** Recognized revenue per month from the amortization schedules (GET /admin/v1/revenue-schedule, CSV). */
export function RevenueSchedulePage() {
  const [by, setBy] = useState<By>('contract');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [state, setState] = useState<{ rows: Row[] | null; url: string | null; error: unknown }>({ rows: null, url: null, error: null });
  const qs = new URLSearchParams({ by, ...(from ? { from } : {}), ...(to ? { to } : {}) }).toString();
  useEffect(() => {
    let live = true;
    let made: string | null = null;
    setState({ rows: null, url: null, error: null });
    getBlob(`/revenue-schedule?${qs}`).then(
      async (blob) => {
        const rows = parseRevenueCsv(await blob.text());
        if (!live) return;
        made = URL.createObjectURL(blob);
        setState({ rows, url: made, error: null });
      },
      (error: unknown) => live && setState({ rows: null, url: null, error }),
    );
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [qs]);

  const months = new Map<string, Row[]>();
  for (const r of state.rows ?? []) months.set(r.month, [...(months.get(r.month) ?? []), r]);
  const file = `revenue-schedule-by-${by}${from ? `-from-${from}` : ''}${to ? `-to-${to}` : ''}.csv`;
  const keyLink = (key: string) => (by === 'contract' && key.startsWith('ctr_') ? <Link to={`/contracts/${key}`}>{key}</Link> : by === 'customer' ? <Link to={`/customers/${key}`}>{key}</Link> : key);
  return (
    <>
      <h1>Revenue schedule</h1>
      <p>
        <Link to="/contracts">← Contracts</Link>
      </p>
      <div className="card filters">
        <Field label="Group by">
          {(id) => (
            <select id={id} name="by" value={by} onChange={(e) => setBy(e.target.value as By)}>
              <option value="contract">Contract</option>
              <option value="customer">Customer</option>
              <option value="product">Product</option>
            </select>
          )}
        </Field>
        <Field label="From month">{(id) => <input id={id} name="from" type="month" placeholder="YYYY-MM" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
        <Field label="To month">{(id) => <input id={id} name="to" type="month" placeholder="YYYY-MM" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
      </div>
      <Section
        title="Recognized revenue per month"
        actions={
          state.url ? (
            <a className="button" href={state.url} download={file} data-testid="revenue-download">
              Download CSV
            </a>
          ) : null
        }
      >
        <ErrorBox error={state.error} />
        {state.rows === null ? (
          state.error ? null : <Loading />
        ) : state.rows.length === 0 ? (
          <Empty>No recognized revenue in this range.</Empty>
        ) : (
          <Table head={['Month', by[0]!.toUpperCase() + by.slice(1), 'Amount']}>
            {[...months].map(([month, rows]) => {
              const totals = new Map<string, string>();
              for (const r of rows) totals.set(r.currency, add(totals.get(r.currency) ?? '0', r.amount));
              return [
                <tr key={month} className="group" data-testid="revenue-month">
                  <th scope="rowgroup">{month}</th>
                  <td className="muted">total</td>
                  <td>
                    {[...totals].map(([cur, amount]) => (
                      <div key={cur}>
                        <Money minor={amount} currency={cur} />
                      </div>
                    ))}
                  </td>
                </tr>,
                ...rows.map((r) => (
                  <tr key={`${month}-${r.key}-${r.currency}`} data-testid="revenue-row">
                    <td />
                    <td>{keyLink(r.key)}</td>
                    <td>
                      <Money minor={r.amount} currency={r.currency} />
                    </td>
                  </tr>
                )),
              ];
            })}
          </Table>
        )}
      </Section>
    </>
  );
}
