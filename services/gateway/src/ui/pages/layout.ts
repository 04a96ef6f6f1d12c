import type { Caller } from '@wharf/domain';
import { Html, markup } from '../html';
import { UI_SCRIPT, UI_STYLE } from '../ui-assets';

/** What every page knows of its visitor and the registry. */
export interface PageContext {
  caller: Caller;
  /** The visitor's form token (`UiSession.csrfToken`). */
  csrf: string;
  /** Whether the registry has accounts (enforced mode) and lets visitors sign up. */
  accounts: boolean;
  signup: boolean;
}

export function csrfField(ctx: PageContext): Html {
  return markup`<input type="hidden" name="_csrf" value="${ctx.csrf}" />`;
}

export function userName(caller: Caller): string | null {
  return caller.kind === 'user' ? caller.name : null;
}

function accountNav(ctx: PageContext): Html {
  if (!ctx.accounts) return markup``;
  const user = userName(ctx.caller);
  if (user === null)
    return markup`<a href="/ui/-/login">Log in</a>${ctx.signup ? markup` <a href="/ui/-/signup">Sign up</a>` : ''}`;
  return markup`<a href="/ui/${user}">${user}</a> <a href="/ui/-/orgs">Organisations</a> <a href="/ui/-/tokens">Tokens</a>
    <form method="post" action="/ui/-/logout">
      ${csrfField(ctx)}<button class="link" type="submit">Log out</button>
    </form>`;
}

export function page(ctx: PageContext, title: string, body: Html): Html {
  return markup`<!DOCTYPE html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${title} · Wharf</title>
        <link rel="stylesheet" href="${UI_STYLE.path}" />
        <script src="${UI_SCRIPT.path}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/ui/">Wharf</a>
          <nav aria-label="Account">${accountNav(ctx)}</nav>
        </header>
        <main id="main">${body}</main>
      </body>
    </html> `;
}

export function errorPage(ctx: PageContext, status: number, message: string): Html {
  const title =
    status === 404
      ? 'Not found'
      : status === 403
        ? 'Not allowed'
        : status === 401
          ? 'Log in first'
          : status === 429
            ? 'Too many requests'
            : 'Error';
  return page(
    ctx,
    title,
    markup`<h1>${title}</h1>
      <p class="notice error" role="alert">${message}</p>
      <p><a href="/ui/">Search packages</a></p>`,
  );
}

/** An action column's heading: present for screen readers and layout, muted on screen. */
export const ACTION_HEADING = markup`<span class="muted">Action</span>`;

/** The UI's tables: a scrolling wrapper, one heading per column (scope="col"), the rows given. */
export function dataTable(headings: readonly (string | Html)[], rows: Html | readonly Html[]): Html {
  return markup`<div class="table-wrap">
  <table>
    <thead>
      <tr>
        ${headings.map((heading) => markup`<th scope="col">${heading}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows}
    </tbody>
  </table>
</div>`;
}
