import { Layout } from './layout.js';
import { Notice } from './format.js';

export function LoginPage({ problem, next }: { problem?: string; next?: string }) {
  return (
    <Layout title="Sign in" session={null}>
      <article class="login">
        <h1>Sign in to the Syncline console</h1>
        <p class="muted">
          Paste an API token (from <code>API_TOKENS</code>; <code>npm run dev</code> prints one). The browser keeps a session for 8 hours, never the token itself. A viewer token
          shows everything; an admin token can also start runs.
        </p>
        {problem && <Notice kind="error" title="Not signed in">{` ${problem}`}</Notice>}
        <form method="post" action="/console/login">
          <label>
            API token
            <input type="password" name="token" autocomplete="off" required maxLength={500} autofocus />
          </label>
          {next && <input type="hidden" name="next" value={next} />}
          <button type="submit">Sign in</button>
        </form>
      </article>
    </Layout>
  );
}
