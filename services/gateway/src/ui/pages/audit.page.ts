import { Html, markup } from '../html';
import { PageContext, dataTable, page } from './layout';

export interface AuditView {
  namespace: string;
  events: { version: number; type: string; actor: string; occurred_at: string; data: Record<string, unknown> }[];
  limits: Record<string, number | boolean | null>;
  /** Whether older events may exist (the page was full). */
  older: boolean;
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
      <td><code>${JSON.stringify(e.data).slice(0, 300)}</code></td>
    </tr>`,
  );
  const last = v.events[v.events.length - 1];
  return page(
    ctx,
    `${v.namespace}: audit trail`,
    markup`<h1>${v.namespace}: audit trail and limits</h1>
      <h2>Limits</h2>
      <dl>${limits}</dl>
      <h2>Audit trail</h2>
      ${dataTable(['When (UTC)', 'Event', 'By', 'Details'], rows)}
      ${
        v.older && last
          ? markup`<nav class="pager" aria-label="Pages"><a rel="next" href="/ui/-/audit/${v.namespace}?before=${last.version}">Older →</a></nav>`
          : ''
      }`,
  );
}
