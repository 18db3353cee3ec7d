import { useState, type FormEvent } from 'react';
import { get, type List } from '../api';
import { Link, navigate, useLocation } from '../router';
import type { Customer } from '../types';
import { Empty, ErrorBox, Field, Loading, Table, When } from '../ui';
import { useLoad } from '../ui';

/** Find a customer by team/org ID, billing email, provider customer ID, customer ID or name. */
export function CustomersPage() {
  const { query } = useLocation();
  const q = query.get('q') ?? '';
  const [text, setText] = useState(q);
  const results = useLoad(() => (q ? get<List<Customer>>('/customers', { query: q, limit: 50 }) : Promise.resolve(null)), [q]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const t = text.trim();
    navigate(t ? `/customers?q=${encodeURIComponent(t)}` : '/customers');
  };

  return (
    <>
      <h1>Customers</h1>
      <form className="card search" role="search" onSubmit={submit}>
        <Field label="Find a customer" hint="Team or org ID, billing email, provider ID (cus_… at the provider), Tally customer ID or part of the name">
          {(id) => <input id={id} name="q" type="search" value={text} onChange={(e) => setText(e.target.value)} autoFocus />}
        </Field>
        <button type="submit" className="primary">
          Search
        </button>
      </form>
      {q && results.loading && <Loading what="Searching" />}
      <ErrorBox error={results.error} />
      {q && results.data && (
        <section className="card" aria-label="Search results">
          {results.data.data.length === 0 ? (
            <Empty>No customer matches “{q}”.</Empty>
          ) : (
            <Table head={['Customer', 'Team / org ID', 'Billing email', 'Currency', 'Provider ID', 'Created']}>
              {results.data.data.map((c) => (
                <tr key={c.id}>
                  <td>
                    <Link to={`/customers/${c.id}`}>{c.name ?? c.id}</Link>
                    <div className="muted small">{c.id}</div>
                  </td>
                  <td>{c.external_id}</td>
                  <td>{c.billing_email ?? '—'}</td>
                  <td>{c.currency.toUpperCase()}</td>
                  <td>{c.provider_customer_id ?? '—'}</td>
                  <td>
                    <When at={c.created} date />
                  </td>
                </tr>
              ))}
            </Table>
          )}
          {results.data.has_more && <p className="muted">More customers match: refine the search.</p>}
        </section>
      )}
    </>
  );
}
