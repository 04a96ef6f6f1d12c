import { Html, markup } from '../html';
import { ACTION_HEADING, PageContext, csrfField, dataTable, page } from './layout';

function problem(message: string | null): Html {
  return message ? markup`<p class="notice error" role="alert">${message}</p>` : markup``;
}

function credentialsForm(
  ctx: PageContext,
  action: string,
  button: string,
  username: string,
  newPassword: boolean,
): Html {
  return markup`<form method="post" action="${action}">
    ${csrfField(ctx)} <label for="username">Username</label
    ><input id="username" name="username" value="${username}" autocomplete="username" required />
    <label for="password">Password</label
    ><input
      id="password"
      name="password"
      type="password"
      autocomplete="${newPassword ? 'new-password' : 'current-password'}"
      required
    />
    <p><button type="submit">${button}</button></p>
  </form>`;
}

export function loginPage(ctx: PageContext, username = '', message: string | null = null): Html {
  return page(
    ctx,
    'Log in',
    markup`<h1>Log in</h1>
      ${problem(message)}${credentialsForm(ctx, '/ui/-/login', 'Log in', username, false)}
      ${ctx.signup ? markup`<p>No account? <a href="/ui/-/signup">Sign up</a>.</p>` : ''}`,
  );
}

export function signupPage(ctx: PageContext, username = '', message: string | null = null): Html {
  return page(
    ctx,
    'Sign up',
    markup`<h1>Sign up</h1>
      ${problem(message)}${credentialsForm(ctx, '/ui/-/signup', 'Create account', username, true)}`,
  );
}

export interface TokenRow {
  id: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  /** Null: never used (uses are written once a minute or so, and whenever this list is read). */
  last_used_at?: string | null;
}

export interface TokensView {
  tokens: TokenRow[];
  /** The current session's token, which is not offered for revocation here (log out instead). */
  sessionTokenId: string | null;
  /** A token just created: its text is shown once. */
  created: { label: string; token: string; expires_at: string | null } | null;
  message: string | null;
}

export function tokensPage(ctx: PageContext, v: TokensView): Html {
  const rows = v.tokens.map(
    (t) =>
      markup`<tr>
        <td>${t.label}</td>
        <td>${t.created_at.slice(0, 19).replace('T', ' ')}</td>
        <td>${t.expires_at ? t.expires_at.slice(0, 19).replace('T', ' ') : 'never'}</td>
        <td>${t.last_used_at ? t.last_used_at.slice(0, 19).replace('T', ' ') : 'never'}</td>
        <td>
          ${
            t.id === v.sessionTokenId
              ? markup`<span class="muted">this session</span>`
              : markup`<form method="post" action="/ui/-/tokens/${t.id}/revoke">
                  ${csrfField(ctx)}<button type="submit" aria-label="Revoke token ${t.label}">Revoke</button>
                </form>`
          }
        </td>
      </tr>`,
  );
  return page(
    ctx,
    'API tokens',
    markup`<h1>API tokens</h1>
      ${problem(v.message)}
      ${
        v.created
          ? markup`<div class="notice" role="status">
              <p>
                Token
                <strong>${v.created.label}</strong>
                created${v.created.expires_at ? `, expires ${v.created.expires_at}` : ''}. Copy it now: it is not shown
                again.
              </p>
              <div class="cmd">
                <pre tabindex="0"><code id="new-token">${v.created.token}</code></pre>
                <button type="button" data-copy="new-token" hidden aria-label="Copy token">Copy</button>
              </div>
            </div>`
          : ''
      }
      ${dataTable(['Label', 'Created (UTC)', 'Expires (UTC)', 'Last used (UTC)', ACTION_HEADING], rows)}
      <h2>New token</h2>
      <form method="post" action="/ui/-/tokens">
        ${csrfField(ctx)} <label for="label">Label</label><input id="label" name="label" required maxlength="64" />
        <label for="days">Expires in (days)</label
        ><input id="days" name="days" type="number" min="1" max="3650" value="30" required />
        <p class="muted">A token never outlives the session that creates it: its expiry is cut to this session's.</p>
        <p><button type="submit">Create token</button></p>
      </form>`,
  );
}
