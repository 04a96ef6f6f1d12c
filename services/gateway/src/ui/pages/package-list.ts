import { Html, markup } from '../html';

/** One package in a list: search results and namespace pages. */
export interface PackageEntry {
  namespace: string;
  name: string;
  latest: string | null;
  visibility: string;
  description: string | null;
  updatedAt: string | null;
}

export interface ListPage {
  entries: PackageEntry[];
  page: number;
  hasNext: boolean;
  /** The page's URL without `page`, to which the pager adds it. */
  base: string;
}

export function packageList(list: ListPage, empty: string): Html {
  if (list.entries.length === 0) return markup`<p class="muted">${empty}</p>`;
  return markup`<ul class="packages">
      ${list.entries.map(entry)}
    </ul>
    ${pager(list)}`;
}

function entry(e: PackageEntry): Html {
  return markup`<li>
    <a href="/ui/${e.namespace}/${e.name}"><strong>${e.namespace}/${e.name}</strong></a
    >${e.visibility === 'private' ? markup`<span class="badge">private</span>` : ''}
    ${e.latest ? markup`<span class="muted">${e.latest}</span>` : ''}
    ${e.description ? markup`<p class="desc">${e.description}</p>` : ''}
  </li>`;
}

/**
 * Links to the previous and next page of a list: `base` with `param=<n>` added (none for the
 * first page) and `fragment` after it. Nothing when there is one page only.
 */
export function pager(
  list: Pick<ListPage, 'page' | 'hasNext' | 'base'>,
  options: { param?: string; label?: string; fragment?: string } = {},
): Html {
  const { param = 'page', label = 'Pages', fragment = '' } = options;
  const sep = list.base.includes('?') ? '&' : '?';
  const link = (p: number, text: string, rel: string) =>
    markup`<a rel="${rel}" href="${list.base}${p > 1 ? `${sep}${param}=${p}` : ''}${fragment}">${text}</a>`;
  if (list.page <= 1 && !list.hasNext) return markup``;
  return markup`<nav class="pager" aria-label="${label}">
    ${list.page > 1 ? link(list.page - 1, '← Previous', 'prev') : ''}
    <span class="muted">Page ${list.page}</span>${list.hasNext ? link(list.page + 1, 'Next →', 'next') : ''}
  </nav>`;
}
