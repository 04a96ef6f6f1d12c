import { ANONYMOUS, PackageView, ReleaseManifest, emptyPackageView } from '@wharf/domain';
import type { PageContext } from './layout';
import { PackagePageView, VERSIONS_PAGE_SIZE, formatSize, packagePage, versionsPage } from './package.page';

const ctx: PageContext = { caller: ANONYMOUS, csrf: 'csrf-token', accounts: true, signup: true };

function manifest(overrides: Partial<ReleaseManifest> = {}): ReleaseManifest {
  return {
    release: '1.0.0',
    mediaType: 'helm',
    apprDigest: 'a'.repeat(64),
    blobDigest: 'b'.repeat(64),
    size: 2048,
    metadata: null,
    chart: { name: 'demo', version: '1.0.0', description: 'A <b>demo</b>', home: 'javascript:alert(1)' },
    createdAt: '2026-12-07T08:00:00.000Z',
    ...overrides,
  };
}

function view(overrides: Partial<PackageView> = {}): PackageView {
  return { ...emptyPackageView('acme/demo'), manifests: [manifest()], ...overrides };
}

function render(overrides: Partial<PackagePageView> = {}): string {
  const v = overrides.view ?? view();
  return packagePage(ctx, {
    view: v,
    release: '1.0.0',
    manifests: v.manifests,
    releases: [{ release: '1.0.0', manifests: v.manifests }],
    versions: { page: 1, hasNext: false, total: 1 },
    chart: v.manifests[0]!.chart,
    files: { files: [], readmeHtml: null, values: '# <script>x</script>\nkey: "<b>"\n', templates: [] },
    filesNote: null,
    origin: 'https://registry.test',
    admin: false,
    ...overrides,
  }).text;
}

describe('packagePage', () => {
  it('escapes what the chart says: description, values.yaml, and links only http(s) URLs', () => {
    const page = render();
    expect(page).toContain('A &lt;b&gt;demo&lt;/b&gt;');
    expect(page).toContain('<span class="y-comment"># &lt;script&gt;x&lt;/script&gt;</span>');
    expect(page).toContain('<span class="y-key">key</span>: &quot;&lt;b&gt;&quot;');
    expect(page).not.toContain('href="javascript:');
  });

  it('gives the install commands of every protocol for the registry origin and release', () => {
    const page = render();
    expect(page).toContain('helm repo add acme https://registry.test/helm/acme</code>');
    expect(page).toContain('helm install demo acme/demo --version 1.0.0</code>');
    expect(page).toContain('helm install demo oci://registry.test/acme/demo --version 1.0.0</code>');
    expect(page).toContain('appr pull registry.test/acme/demo@1.0.0 -t helm</code>');
  });

  it('asks for credentials in the repository command of a private package, and plain HTTP for an http origin', () => {
    const page = render({ view: view({ visibility: 'private' }), origin: 'http://127.0.0.1:5000' });
    expect(page).toContain(
      'helm repo add acme http://127.0.0.1:5000/helm/acme --username USER --password TOKEN</code>',
    );
    expect(page).toContain('oci://127.0.0.1:5000/acme/demo --version 1.0.0 --plain-http</code>');
    expect(page).toContain('<span class="badge">private</span>');
  });

  it('shows the visibility form only to an admin, with the form token', () => {
    expect(render()).not.toContain('action="/ui/-/visibility"');
    const page = render({ admin: true });
    expect(page).toContain('action="/ui/-/visibility"');
    expect(page).toContain('<input type="hidden" name="_csrf" value="csrf-token" />');
    expect(page).toContain('Make private');
  });

  it('gives the appr pull of each media type of a release that is not a chart', () => {
    const other = view({
      manifests: [manifest({ mediaType: 'kpm', chart: null }), manifest({ mediaType: 'docker-compose', chart: null })],
    });
    const page = render({ view: other, chart: null });
    expect(page).toContain('appr pull registry.test/acme/demo@1.0.0 -t kpm</code>');
    expect(page).toContain('appr pull registry.test/acme/demo@1.0.0 -t docker-compose</code>');
    expect(page).not.toContain('helm install');
  });

  it('lists every version with its date, size and digest', () => {
    const page = render();
    expect(page).toContain('2026-12-07');
    expect(page).toContain(formatSize(2048));
    expect(page).toContain(`sha256:${'b'.repeat(64)}`);
  });

  it('shows one page of the versions table with the total, and links to the pages around it', () => {
    const first = render({ versions: { page: 1, hasNext: true, total: 1000 } });
    expect(first).toContain('Versions (1000)');
    expect(first).toContain('href="/ui/acme/demo?release=1.0.0&amp;versions=2#versions"');
    expect(first).not.toContain('rel="prev"');
    const second = render({ versions: { page: 2, hasNext: false, total: 1000 } });
    expect(second).toContain('href="/ui/acme/demo?release=1.0.0#versions"');
    expect(second).not.toContain('rel="next"');
    expect(render()).not.toContain('aria-label="Versions pages"');
  });

  it('cuts the releases into pages of VERSIONS_PAGE_SIZE, highest first as given', () => {
    const all = Array.from({ length: 2 * VERSIONS_PAGE_SIZE + 1 }, (_, i) => `1.0.${1000 - i}`);
    expect(versionsPage(all, 1)).toEqual({
      releases: all.slice(0, VERSIONS_PAGE_SIZE),
      page: 1,
      hasNext: true,
      total: all.length,
    });
    expect(versionsPage(all, 2).releases).toEqual(all.slice(VERSIONS_PAGE_SIZE, 2 * VERSIONS_PAGE_SIZE));
    expect(versionsPage(all, 3)).toEqual({ releases: [all.at(-1)], page: 3, hasNext: false, total: all.length });
    expect(versionsPage(all.slice(0, VERSIONS_PAGE_SIZE), 1).hasNext).toBe(false);
  });

  it('shows the manifest of a release that is not a chart: media types, digests, its metadata escaped', () => {
    const kpm = manifest({ mediaType: 'kpm', chart: null, metadata: { note: '<script>x</script>' } });
    const page = render({ view: view({ manifests: [kpm] }), manifests: [kpm], chart: null });
    expect(page).toContain('<h2 id="manifest">Manifest</h2>');
    expect(page).toContain('<code>application/vnd.cnr.package-manifest.kpm.v0.json</code>');
    expect(page).toContain(`sha256:${'a'.repeat(64)}`);
    expect(page).toContain('&quot;note&quot;: &quot;&lt;script&gt;x&lt;/script&gt;&quot;');
    expect(render()).not.toContain('id="manifest"');
  });
});
