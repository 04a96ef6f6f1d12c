import { ANONYMOUS } from '@wharf/domain';
import type { PageContext } from './layout';
import { SearchView, searchPage } from './search.page';

const ctx: PageContext = { caller: ANONYMOUS, csrf: 'csrf-token', accounts: true, signup: true };

function view(overrides: Partial<SearchView> = {}): SearchView {
  return {
    query: 'web',
    namespace: '',
    mediaType: '',
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
});
