import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { post, setToken, storeSession, loadSession, whenUnauthorized, type Session } from './api';
import { Link, match, navigate, useLocation } from './router';
import { MeContext } from './session';
import { ErrorBox, Field } from './ui';
import { AccountPage } from './pages/Account';
import { ApprovalsPage } from './pages/Approvals';
import { AuditPage } from './pages/Audit';
import { CatalogPage } from './pages/Catalog';
import { ContractPage, ContractsPage } from './pages/Contracts';
import { CouponsPage } from './pages/Coupons';
import { CustomerPage } from './pages/Customer';
import { CustomersPage } from './pages/Customers';
import { InvoicePage, InvoicesPage } from './pages/Invoices';
import { RevenueSchedulePage } from './pages/RevenueSchedule';

interface Route {
  pattern: string;
  render: (params: Record<string, string>) => ReactNode;
}

/**
 * The navigation and the pages. A feature adds its pages here and, when it has a top-level entry, to NAV.
 * Routes are tried in order: fixed paths before `:id` patterns under the same prefix.
 */
const NAV: { to: string; label: string }[] = [
  { to: '/customers', label: 'Customers' },
  { to: '/approvals', label: 'Approvals' },
  { to: '/coupons', label: 'Coupons' },
  { to: '/invoices', label: 'Invoices' },
  { to: '/contracts', label: 'Contracts' },
  { to: '/audit', label: 'Audit log' },
  { to: '/catalog', label: 'Catalog' },
];

const ROUTES: Route[] = [
  { pattern: '/', render: () => <CustomersPage /> },
  { pattern: '/customers', render: () => <CustomersPage /> },
  { pattern: '/customers/:id', render: (p) => <CustomerPage id={p.id!} /> },
  { pattern: '/approvals', render: () => <ApprovalsPage /> },
  { pattern: '/coupons', render: () => <CouponsPage /> },
  { pattern: '/invoices', render: () => <InvoicesPage /> },
  { pattern: '/invoices/:id', render: (p) => <InvoicePage id={p.id!} /> },
  { pattern: '/contracts', render: () => <ContractsPage /> },
  { pattern: '/contracts/revenue-schedule', render: () => <RevenueSchedulePage /> },
  { pattern: '/contracts/:id', render: (p) => <ContractPage id={p.id!} /> },
  { pattern: '/audit', render: () => <AuditPage /> },
  { pattern: '/catalog', render: () => <CatalogPage /> },
  { pattern: '/account', render: () => <AccountPage /> },
];

function SignIn({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await post<Session>('/sessions', { email, password }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title" className="card">
        <h1 id="signin-title">Tally admin</h1>
        <p className="muted">Sign in with your staff account.</p>
        <Field label="Email">{(id) => <input id={id} name="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />}</Field>
        <Field label="Password">{(id) => <input id={id} name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />}</Field>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <ErrorBox error={error} />
      </form>
    </main>
  );
}

const ROLE_LABEL: Record<string, string> = { viewer: 'Viewer', support: 'Support', billing_admin: 'Billing admin', approver: 'Approver', owner: 'Owner' };

export function App() {
  const [session, setSession] = useState<Session | null>(() => loadSession());
  const { path } = useLocation();

  useEffect(() => {
    whenUnauthorized(() => {
      storeSession(null);
      setToken(null);
      setSession(null);
    });
  }, []);

  const signedIn = (s: Session) => {
    storeSession(s);
    setToken(s.token);
    setSession(s);
  };
  const signOut = async () => {
    try {
      await post('/sessions/sign-out');
    } catch {
      // the session may already be gone; sign out locally anyway
    }
    storeSession(null);
    setToken(null);
    setSession(null);
    navigate('/');
  };

  if (!session) return <SignIn onSignedIn={signedIn} />;

  let page: ReactNode = (
    <div className="card">
      <h1>Not found</h1>
      <p>
        No page at <code>{path}</code>. <Link to="/customers">Find a customer</Link>.
      </p>
    </div>
  );
  for (const r of ROUTES) {
    const params = match(r.pattern, path);
    if (params) {
      page = r.render(params);
      break;
    }
  }
  const section = '/' + (path.split('/')[1] ?? '');

  return (
    <MeContext.Provider value={session.staff}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/customers" className="brand">
          Tally admin
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.to}>
                <Link to={n.to} aria-current={section === n.to || (section === '/' && n.to === '/customers') ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="who">
          <Link to="/account" data-testid="signed-in-as" title={`${session.staff.email}: your account`}>
            {session.staff.name} · {ROLE_LABEL[session.staff.role] ?? session.staff.role}
          </Link>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" key={path}>
        {page}
      </main>
    </MeContext.Provider>
  );
}
