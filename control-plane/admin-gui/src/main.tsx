/**
 * Start-up: ask the GUI listener where the Admin API is (`/kconfig.json`), try the token this
 * tab already holds (or none: the Admin API may need none), and show the login form on a 401.
 */
import './styles.css';
import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { Router } from 'wouter-preact';
import { AdminClient, ApiError } from './api/client.ts';
import { forgetToken, savedToken, saveToken } from './api/session.ts';
import { adminApiBase, type GuiSettings } from './api/settings.ts';
import { App } from './app.tsx';
import { SessionContext } from './context.ts';
import { Login } from './pages/Login.tsx';

/**
 * admin_gui_path: the GUI listener names it in index.html (`<meta name="turnpike-gui-path">`);
 * '' when the GUI is served at `/`, else the prefix every GUI URL starts with.
 */
const GUI_BASE = (() => {
  const path = document.querySelector<HTMLMetaElement>('meta[name="turnpike-gui-path"]')?.content ?? '/';
  return path === '/' ? '' : path;
})();

type Boot =
  | { state: 'loading' }
  | { state: 'failed'; message: string }
  | { state: 'login'; base: string; version: string }
  | { state: 'ready'; base: string; version: string; token: string | undefined };

/** Whether the Admin API takes `token` (or no token): 401 means it wants another. */
async function tokenWorks(base: string, token: string | undefined): Promise<boolean> {
  try {
    await new AdminClient(base, () => token).get('/');
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    throw e;
  }
}

function Root() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });

  useEffect(() => {
    (async () => {
      const settings = (await (await fetch(`${GUI_BASE}/kconfig.json`)).json()) as GuiSettings;
      const base = adminApiBase(settings, window.location);
      const token = savedToken();
      if (await tokenWorks(base, token)) setBoot({ state: 'ready', base, version: settings.version, token });
      else {
        forgetToken();
        setBoot({ state: 'login', base, version: settings.version });
      }
    })().catch((e: unknown) =>
      setBoot({
        state: 'failed',
        message: `The Admin API cannot be reached: ${e instanceof Error ? e.message : String(e)}`,
      }),
    );
  }, []);

  const session = useMemo(() => {
    if (boot.state !== 'ready') return undefined;
    const token = boot.token;
    return {
      client: new AdminClient(boot.base, () => token),
      version: boot.version,
      signOut: () => {
        forgetToken();
        setBoot({ state: 'login', base: boot.base, version: boot.version });
      },
    };
  }, [boot]);

  if (boot.state === 'loading') return <p class="boot muted">Loading…</p>;
  if (boot.state === 'failed')
    return (
      <main id="main" class="login">
        <p class="alert" role="alert">
          {boot.message}
        </p>
      </main>
    );
  if (boot.state === 'login')
    return (
      <Login
        apiBase={boot.base}
        onLogin={async (token) => {
          try {
            if (!(await tokenWorks(boot.base, token)))
              return 'Invalid credentials: the Admin API refused this token.';
          } catch (e) {
            return e instanceof Error ? e.message : String(e);
          }
          saveToken(token);
          setBoot({ state: 'ready', base: boot.base, version: boot.version, token });
          return undefined;
        }}
      />
    );
  return (
    <SessionContext.Provider value={session}>
      <Router base={GUI_BASE}>
        <App />
      </Router>
    </SessionContext.Provider>
  );
}

const mount = document.getElementById('app');
if (mount !== null) render(<Root />, mount);
