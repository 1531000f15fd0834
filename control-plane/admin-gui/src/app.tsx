/** The signed-in layout: navigation, and a page per route. */
import { Link, Route, Switch, useLocation } from 'wouter-preact';
import { useSession } from './context.ts';
import { KINDS, kindOf } from './entities.ts';
import { Cluster } from './pages/Cluster.tsx';
import { Declarative } from './pages/Declarative.tsx';
import { EntityList } from './pages/EntityList.tsx';
import { EntityPage } from './pages/EntityPage.tsx';

const NAV = [
  { href: '/cluster', title: 'Cluster' },
  ...KINDS.map((k) => ({ href: `/${k.key}`, title: k.title })),
  { href: '/declarative', title: 'Declarative' },
];

function Nav() {
  const [location] = useLocation();
  const { signOut, version } = useSession();
  const current = (href: string) =>
    location === href || location.startsWith(`${href}/`) || (href === '/cluster' && location === '/');
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Link href="/cluster" class="brand">
        <svg viewBox="0 0 32 32" width="22" height="22" aria-hidden="true">
          <rect width="32" height="32" rx="6" fill="currentColor" />
          <path
            d="M6 24 L16 6 L26 24 Z"
            fill="none"
            stroke="var(--bg)"
            stroke-width="3"
            stroke-linejoin="round"
          />
        </svg>
        Turnpike <span class="muted small">{version}</span>
      </Link>
      <nav aria-label="Main">
        <ul>
          {NAV.map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                {n.title}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <button type="button" class="small" onClick={signOut}>
        Sign out
      </button>
    </header>
  );
}

function KindRoute({ params, page }: { params: { kind?: string; id?: string }; page: 'list' | 'entity' }) {
  const kind = kindOf(params.kind ?? '');
  if (kind === undefined) return <NotFound />;
  if (page === 'list') return <EntityList kind={kind} />;
  return <EntityPage kind={kind} id={params.id === 'new' ? undefined : params.id} />;
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        <Link href="/cluster">Back to the cluster</Link>
      </p>
    </section>
  );
}

export function App() {
  return (
    <>
      <Nav />
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/">
            <Cluster />
          </Route>
          <Route path="/cluster">
            <Cluster />
          </Route>
          <Route path="/declarative">
            <Declarative />
          </Route>
          <Route path="/:kind">
            {(params: { kind: string }) => <KindRoute params={params} page="list" />}
          </Route>
          <Route path="/:kind/:id">
            {(params: { kind: string; id: string }) => <KindRoute params={params} page="entity" />}
          </Route>
          <Route>
            <NotFound />
          </Route>
        </Switch>
      </main>
    </>
  );
}
