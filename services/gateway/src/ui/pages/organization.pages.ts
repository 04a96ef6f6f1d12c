import { Html, markup } from '../html';
import { ACTION_HEADING, PageContext, csrfField, dataTable, page } from './layout';

function problem(message: string | null): Html {
  return message ? markup`<p class="notice error" role="alert">${message}</p>` : markup``;
}

export interface OrganizationsView {
  organizations: { name: string; role: string }[];
  message: string | null;
}

export function organizationsPage(ctx: PageContext, v: OrganizationsView): Html {
  const rows = v.organizations.map(
    (o) => markup`<li><a href="/ui/-/orgs/${o.name}">${o.name}</a> <span class="muted">${o.role}</span></li>`,
  );
  return page(
    ctx,
    'Organisations',
    markup`<h1>Organisations</h1>
      ${problem(v.message)}
      ${rows.length ? markup`<ul>${rows}</ul>` : markup`<p class="muted">You belong to no organisation yet.</p>`}
      <h2>New organisation</h2>
      <form method="post" action="/ui/-/orgs">
        ${csrfField(ctx)}
        <label for="org-name">Name</label><input id="org-name" name="name" required autocomplete="off" />
        <p><button type="submit">Create organisation</button></p>
      </form>`,
  );
}

interface Member {
  user: string;
  role: string;
}

interface Robot {
  name: string;
  role: string;
  tokens: { id: string; label: string; created_at: string; expires_at: string | null; last_used_at?: string | null }[];
}

export interface OrganizationView {
  name: string;
  members: Member[];
  robots: Robot[];
  /** Whether the visitor administers it: the forms show (the server checks again). */
  admin: boolean;
  /** A robot just created, with its first token, shown once. */
  created: { name: string; token: string } | null;
  message: string | null;
}

const ROLES = ['read', 'write', 'admin'] as const;

function roleSelect(id: string, selected = 'read'): Html {
  return markup`<select id="${id}" name="role">
    ${ROLES.map((r) => markup`<option value="${r}" ${r === selected ? 'selected' : ''}>${r}</option>`)}
  </select>`;
}

function short(org: string, robot: string): string {
  return robot.startsWith(`${org}+`) ? robot.slice(org.length + 1) : robot;
}

export function organizationPage(ctx: PageContext, v: OrganizationView): Html {
  const base = `/ui/-/orgs/${v.name}`;
  const members = v.members.map(
    (m) =>
      markup`<tr>
        <td>${m.user}</td>
        <td>${m.role}</td>
        <td>
          ${
            v.admin
              ? markup`<form method="post" action="${base}/members/${m.user}/remove">
                ${csrfField(ctx)}<button type="submit" aria-label="Remove member ${m.user}">Remove</button>
              </form>`
              : ''
          }
        </td>
      </tr>`,
  );
  const robots = v.robots.map(
    (r) =>
      markup`<tr>
        <td><code>${r.name}</code></td>
        <td>${r.role}</td>
        <td>
          ${r.tokens.map(
            (t) =>
              markup`<div>
                ${t.label} <span class="muted">${t.expires_at ? `expires ${t.expires_at.slice(0, 10)}` : 'never expires'}</span>
                <span class="muted"
                  >${t.last_used_at ? `last used ${t.last_used_at.slice(0, 19).replace('T', ' ')} UTC` : 'never used'}</span
                >
                ${
                  v.admin
                    ? markup`<form method="post" action="${base}/robots/${short(v.name, r.name)}/tokens/${t.id}/revoke">
                      ${csrfField(ctx)}<button type="submit" aria-label="Revoke token ${t.label} of ${r.name}">Revoke</button>
                    </form>`
                    : ''
                }
              </div>`,
          )}
        </td>
        <td>${v.admin ? robotActions(ctx, base, short(v.name, r.name), r.name) : ''}</td>
      </tr>`,
  );
  return page(
    ctx,
    v.name,
    markup`<h1>Organisation ${v.name}</h1>
      <p><a href="/ui/${v.name}">Its packages</a></p>
      ${problem(v.message)}
      ${
        v.created
          ? markup`<div class="notice" role="status">
            <p>A token of robot <code>${v.created.name}</code>. Copy it now: it is not shown again.</p>
            <div class="cmd">
              <pre tabindex="0"><code id="robot-token">${v.created.token}</code></pre>
              <button type="button" data-copy="robot-token" hidden aria-label="Copy robot token">Copy</button>
            </div>
          </div>`
          : ''
      }
      <h2>Members</h2>
      ${dataTable(['User', 'Role', ACTION_HEADING], members)}
      ${
        v.admin
          ? markup`<h3>Add a member or change a role</h3>
            <form method="post" action="${base}/members">
              ${csrfField(ctx)}
              <label for="member-user">User</label><input id="member-user" name="user" required autocomplete="off" />
              <label for="member-role">Role</label>${roleSelect('member-role')}
              <p><button type="submit">Set member</button></p>
            </form>`
          : ''
      }
      <h2>Robots</h2>
      ${robots.length ? dataTable(['Robot', 'Role', 'Tokens', ACTION_HEADING], robots) : markup`<p class="muted">No robots.</p>`}
      ${
        v.admin
          ? markup`<h3>New robot</h3>
            <form method="post" action="${base}/robots">
              ${csrfField(ctx)}
              <label for="robot-name">Name</label><input id="robot-name" name="name" required autocomplete="off" />
              <label for="robot-role">Role</label>${roleSelect('robot-role', 'write')}
              <p><button type="submit">Create robot</button></p>
            </form>`
          : ''
      }`,
  );
}

/** A robot's admin forms: another token (label, days until it expires), and deleting the robot. */
function robotActions(ctx: PageContext, base: string, robot: string, full: string): Html {
  const id = `robot-${robot}`;
  return markup`<form method="post" action="${base}/robots/${robot}/tokens">
      ${csrfField(ctx)}
      <label for="${id}-label">Label</label><input id="${id}-label" name="label" required autocomplete="off" />
      <label for="${id}-days">Expires in (days)</label
      ><input id="${id}-days" name="days" type="number" min="1" max="3650" value="30" required />
      <p><button type="submit" aria-label="New token for ${full}">New token</button></p>
    </form>
    <form method="post" action="${base}/robots/${robot}/delete">
      ${csrfField(ctx)}<button type="submit" aria-label="Delete robot ${full}">Delete robot</button>
    </form>`;
}
