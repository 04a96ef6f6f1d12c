import { Html, markup } from '../html';
import { PageContext, csrfField, dataTable, page } from './layout';

export interface AuditView {
  namespace: string;
  events: { version: number; type: string; actor: string; occurred_at: string; data: Record<string, unknown> }[];
  limits: Record<string, number | boolean | null>;
  /** Whether older events may exist (the page was full). */
  older: boolean;
  /** Whether the visitor may set the limits (a site admin: the server checks again). */
  canSetLimits: boolean;
  /** Why the last limits form was refused, if it was. */
  message?: string | null;
}

/** The limits a site admin sets, as the API's `PUT /api/v1/namespaces/{ns}/limits` names them. */
const NUMERIC_LIMITS = ['max_blob_bytes', 'max_storage_bytes', 'requests_per_minute'] as const;

function limitsForm(ctx: PageContext, v: AuditView): Html {
  const overwrites = v.limits.allow_overwrites;
  const option = (value: string, label: string, selected: boolean) =>
    markup`<option value="${value}"${selected ? markup` selected` : ''}>${label}</option>`;
  return markup`<form method="post" action="/ui/-/audit/${v.namespace}/limits">
    ${csrfField(ctx)}
    ${v.message ? markup`<p class="notice error" role="alert">${v.message}</p>` : ''}
    ${NUMERIC_LIMITS.map(
      (name) =>
        markup`<label for="limit-${name}">${name.replace(/_/g, ' ')} (empty: none)</label
          ><input id="limit-${name}" name="${name}" type="number" min="1" value="${
            typeof v.limits[name] === 'number' ? String(v.limits[name]) : ''
          }" />`,
    )}
    <label for="limit-allow_overwrites">allow overwrites</label
    ><select id="limit-allow_overwrites" name="allow_overwrites">
      ${option('', 'the registry default', overwrites === null || overwrites === undefined)}
      ${option('true', 'yes', overwrites === true)} ${option('false', 'no', overwrites === false)}
    </select>
    <p><button type="submit">Set limits</button></p>
  </form>`;
}

export function auditPage(ctx: PageContext, v: AuditView): Html {
  const limits = Object.entries(v.limits).map(
    ([name, value]) => markup`<dt>${name.replace(/_/g, ' ')}</dt><dd>${value === null ? 'none' : String(value)}</dd>`,
  );
  const rows = v.events.map(
    (e) => markup`<tr>
      <td>${e.occurred_at.slice(0, 19).replace('T', ' ')}</td>
      <td>${e.type}</td>
      <td>${e.actor}</td>
      <td class="details"><code>${JSON.stringify(e.data).slice(0, 300)}</code></td>
    </tr>`,
  );
  const last = v.events[v.events.length - 1];
  return page(
    ctx,
    `${v.namespace}: audit trail`,
    markup`<h1>${v.namespace}: audit trail and limits</h1>
      <h2>Limits</h2>
      <dl>${limits}</dl>
      ${v.canSetLimits ? limitsForm(ctx, v) : ''}
      <h2>Audit trail</h2>
      ${dataTable(['When (UTC)', 'Event', 'By', 'Details'], rows)}
      ${
        v.older && last
          ? markup`<nav class="pager" aria-label="Pages"><a rel="next" href="/ui/-/audit/${v.namespace}?before=${last.version}">Older →</a></nav>`
          : ''
      }`,
  );
}
