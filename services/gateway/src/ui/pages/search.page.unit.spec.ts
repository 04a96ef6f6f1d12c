import { ANONYMOUS } from '@wharf/domain';
import type { PageContext } from './layout';
import { SearchView, searchBase, searchPage } from './search.page';

const ctx: PageContext = { caller: ANONYMOUS, csrf: 'csrf-token', accounts: true, signup: true };

function view(overrides: Partial<SearchView> = {}): SearchView {
  return {
    query: 'web',
    namespace: '',
    mediaType: '',
    sort: 'relevance',
    entries: [
      { namespace: 'acme', name: 'web', latest: '1.0.0', visibility: 'public', description: null, updatedAt: null },
    ],
    page: 1,
    hasNext: true,
    base: '/ui/?q=web&media_type=helm',
    ...overrides,
  };
}

describe('searchPage', () => {
  it('offers the media types, the one asked for selected, even one the appr client does not know', () => {
    const page = searchPage(ctx, view({ mediaType: 'helm' })).text;
    expect(page).toContain('<option value="helm" selected>helm</option>');
    expect(page).toContain('<option value="">Any</option>');
    const other = searchPage(ctx, view({ mediaType: 'wasm' })).text;
    expect(other).toContain('<option value="wasm" selected>wasm</option>');
    expect(searchPage(ctx, view()).text).toContain('<option value="" selected>Any</option>');
  });

  it('keeps the filters in the links to the next page', () => {
    expect(searchPage(ctx, view()).text).toContain('href="/ui/?q=web&amp;media_type=helm&amp;page=2"');
  });

  it('offers the sort orders in a labelled select, the one asked for selected', () => {
    const page = searchPage(ctx, view()).text;
    expect(page).toContain('<label for="sort">Sort</label');
    expect(page).toMatch(/<select id="sort" name="sort">\s*<option value="" selected>Best match<\/option>/);
    expect(page).toContain('<option value="recent">Newest release</option>');
    expect(searchPage(ctx, view({ sort: 'recent' })).text).toContain(
      '<option value="recent" selected>Newest release</option>',
    );
  });

  it('keeps a non-default sort in the page links, and leaves the defaults out', () => {
    const filters = { query: 'web', namespace: 'acme', mediaType: '', sort: 'recent' } as const;
    expect(searchBase(filters)).toBe('/ui/?q=web&namespace=acme&sort=recent');
    expect(searchBase({ ...filters, sort: 'relevance' })).toBe('/ui/?q=web&namespace=acme');
    expect(searchBase({ query: '', namespace: '', mediaType: '', sort: 'relevance' })).toBe('/ui/');
    expect(searchPage(ctx, view({ sort: 'recent', base: searchBase(filters) })).text).toContain(
      'href="/ui/?q=web&amp;namespace=acme&amp;sort=recent&amp;page=2"',
    );
  });
});
