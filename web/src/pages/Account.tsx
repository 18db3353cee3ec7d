import { useState, type FormEvent } from 'react';
import { post } from '../api';
import { useMe } from '../session';
import { ErrorBox, Field, Section } from '../ui';

/** Your own account: change the password (the first-run owner's generated one, say). */
export function AccountPage() {
  const me = useMe();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    if (next !== again) {
      setError(new Error('The new passwords differ.'));
      return;
    }
    setBusy(true);
    try {
      await post('/staff/me/password', { current_password: current, new_password: next });
      setDone(true);
      setCurrent('');
      setNext('');
      setAgain('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>Your account</h1>
      <Section title="You">
        <dl className="facts">
          <dt>Name</dt>
          <dd>{me.name}</dd>
          <dt>Email</dt>
          <dd>{me.email}</dd>
          <dt>Role</dt>
          <dd>{me.role}</dd>
        </dl>
      </Section>
      <Section title="Change your password">
        <form onSubmit={submit} className="narrow-form">
          <Field label="Current password">{(id) => <input id={id} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}</Field>
          <Field label="New password" hint="At least 10 characters">
            {(id) => <input id={id} type="password" autoComplete="new-password" required minLength={10} value={next} onChange={(e) => setNext(e.target.value)} />}
          </Field>
          <Field label="New password again">{(id) => <input id={id} type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />}</Field>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Change password'}
          </button>
          <ErrorBox error={error} />
          {done && (
            <div className="success" role="status">
              Password changed.
            </div>
          )}
        </form>
      </Section>
    </>
  );
}
