/** Sign-in with the admin token: checked against the Admin API, then kept for this tab only. */
import { useState } from 'preact/hooks';

export interface LoginProps {
  readonly onLogin: (token: string) => Promise<string | undefined>;
  readonly apiBase: string;
}

export function Login(props: LoginProps) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="login">
      <form
        class="card"
        onSubmit={async (e) => {
          e.preventDefault();
          setBusy(true);
          setError(await props.onLogin(token));
          setBusy(false);
        }}
      >
        <h1>Sign in to Turnpike</h1>
        <p class="muted">The Admin API at {props.apiBase} asks for its admin token (admin_token).</p>
        <div class={`field${error === undefined ? '' : ' has-error'}`}>
          <label for="admin-token">Admin token</label>
          <input
            id="admin-token"
            type="password"
            autoComplete="current-password"
            required
            value={token}
            aria-invalid={error !== undefined}
            aria-describedby={error === undefined ? undefined : 'admin-token-error'}
            onInput={(e) => setToken(e.currentTarget.value)}
          />
          {error === undefined ? null : (
            <p class="field-error" id="admin-token-error" role="alert">
              {error}
            </p>
          )}
        </div>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
