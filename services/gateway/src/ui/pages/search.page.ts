import { KNOWN_MEDIA_TYPES, SearchSort } from '@wharf/domain';
import { Html, markup } from '../html';
import { PageContext, page } from './layout';
import { ListPage, packageList } from './package-list';

export interface SearchView extends ListPage {
  query: string;
  namespace: string;
  /** '' for every media type. */
  mediaType: string;
  /** The order of a search's results (a listing without text is by name). */
  sort: SearchSort;
}

const SORT_LABELS: Record<SearchSort, string> = { relevance: 'Best match', recent: 'Newest release' };

/** The search page's URL for these filters, without `page` (defaults left out). */
export function searchBase(view: Pick<SearchView, 'query' | 'namespace' | 'mediaType' | 'sort'>): string {
  const params = new URLSearchParams({
    ...(view.query ? { q: view.query } : {}),
    ...(view.namespace ? { namespace: view.namespace } : {}),
    ...(view.mediaType ? { media_type: view.mediaType } : {}),
    ...(view.sort !== 'relevance' ? { sort: view.sort } : {}),
  });
  return `/ui/?${params}`.replace(/\?$/, '');
}

export function searchResults(view: SearchView): Html {
  return packageList(view, view.query ? `No package matches “${view.query}”.` : 'No packages yet.');
}

export function searchPage(ctx: PageContext, view: SearchView): Html {
  return page(
    ctx,
    view.query ? `Search: ${view.query}` : 'Packages',
    markup`<h1>Packages</h1>
      <form id="search-form" class="search" method="get" action="/ui/" role="search">
        <div>
          <label for="q">Search</label><input id="q" name="q" type="search" value="${view.query}" autocomplete="off" />
        </div>
        <div>
          <label for="ns">Namespace</label
          ><input id="ns" name="namespace" value="${view.namespace}" autocomplete="off" />
        </div>
        <div>
          <label for="type">Type</label
          ><select id="type" name="media_type">
            ${mediaTypeOptions(view.mediaType)}
          </select>
        </div>
        <div>
          <label for="sort">Sort</label
          ><select id="sort" name="sort">
            ${sortOptions(view.sort)}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      <section id="results" aria-live="polite">${searchResults(view)}</section>`,
  );
}

/** Any type, the types the appr client knows, and the one asked for if it is none of them. */
function mediaTypeOptions(selected: string): Html[] {
  const types =
    KNOWN_MEDIA_TYPES.includes(selected) || selected === '' ? KNOWN_MEDIA_TYPES : [...KNOWN_MEDIA_TYPES, selected];
  return [
    markup`<option value=""${selected === '' ? markup` selected` : ''}>Any</option>`,
    ...types.map((t) => markup`<option value="${t}"${t === selected ? markup` selected` : ''}>${t}</option>`),
  ];
}

function sortOptions(selected: SearchSort): Html[] {
  return (Object.keys(SORT_LABELS) as SearchSort[]).map(
    // The default's value is empty, so the form (and the script, which drops empty fields) leaves it out of the URL.
    (s) =>
      markup`<option value="${s === 'relevance' ? '' : s}"${s === selected ? markup` selected` : ''}>${SORT_LABELS[s]}</option>`,
  );
}
