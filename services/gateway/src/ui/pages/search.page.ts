import { KNOWN_MEDIA_TYPES } from '@wharf/domain';
import { Html, markup } from '../html';
import { PageContext, page } from './layout';
import { ListPage, packageList } from './package-list';

export interface SearchView extends ListPage {
  query: string;
  namespace: string;
  /** '' for every media type. */
  mediaType: string;
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
