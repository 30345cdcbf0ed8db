// Every console page: the header with its sections and who is signed in, and the page itself.
import type { ComponentChildren } from 'preact';
import type { Session } from '../session.js';

export type Section = 'jobs' | 'runs' | 'connections';

const SECTIONS: { id: Section; label: string; href: string }[] = [
  { id: 'jobs', label: 'Jobs', href: '/console/jobs' },
  { id: 'runs', label: 'Runs', href: '/console/runs' },
  { id: 'connections', label: 'Connections', href: '/console/connections' },
];

/** htmx without what a strict Content-Security-Policy refuses: no eval, no injected style element. */
const HTMX_CONFIG = JSON.stringify({ allowEval: false, includeIndicatorStyles: false, allowScriptTags: false });

export function Layout({ title, session, section, children }: { title: string; session: Session | null; section?: Section; children: ComponentChildren }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        <title>{`${title} · Syncline`}</title>
        {/* No icon: without this the browser asks the API for /favicon.ico, which needs a token. */}
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="/console/assets/pico.min.css" />
        <link rel="stylesheet" href="/console/assets/console.css" />
        <script src="/console/assets/htmx.min.js" defer></script>
      </head>
      <body>
        <header class="container-fluid topbar">
          <nav>
            <ul>
              <li>
                <a href="/console" class="brand">
                  Syncline
                </a>
              </li>
              {session &&
                SECTIONS.map((s) => (
                  <li>
                    <a href={s.href} aria-current={s.id === section ? 'page' : undefined}>
                      {s.label}
                    </a>
                  </li>
                ))}
            </ul>
            {session && (
              <ul>
                <li class="muted">
                  {session.name} ({session.role === 'admin' ? 'admin' : 'viewer: can look, not act'})
                </li>
                <li>
                  <a href="/docs">API docs</a>
                </li>
                <li>
                  <form method="post" action="/console/logout" class="inline">
                    <button type="submit" class="secondary outline small">
                      Log out
                    </button>
                  </form>
                </li>
              </ul>
            )}
          </nav>
        </header>
        <main class="container-fluid">{children}</main>
      </body>
    </html>
  );
}
