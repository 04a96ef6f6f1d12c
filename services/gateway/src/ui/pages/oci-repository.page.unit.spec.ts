import { ANONYMOUS, emptyPackageView } from '@wharf/domain';
import type { PageContext } from './layout';
import { ociRepositoryPage } from './oci-repository.page';

const ctx: PageContext = { caller: ANONYMOUS, csrf: 'csrf-token', accounts: true, signup: true };
const hex = (c: string) => c.repeat(64);

describe('ociRepositoryPage', () => {
  const view = {
    ...emptyPackageView('acme/sbom'),
    visibility: 'private' as const,
    ociArtifacts: [
      {
        digest: hex('a'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.example.sbom+json',
        size: 512,
        blobs: [hex('c')],
        manifests: [],
        storedBytes: 2048,
        tags: ['v1', 'latest'],
        createdAt: '2026-12-01T00:00:00.000Z',
      },
      {
        digest: hex('b'),
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        artifactType: 'application/vnd.example.signature',
        size: 300,
        subject: hex('a'),
        blobs: [],
        manifests: [],
        tags: [],
        createdAt: '2026-12-02T00:00:00.000Z',
      },
    ],
  };

  it('lists each manifest, newest first, with its tags, media type, artifact type, sizes and digest', () => {
    const html = ociRepositoryPage(ctx, view).text;
    expect(html).toContain('<span class="badge">private</span>');
    expect(html).toContain('Manifests (2)');
    const rows = html.split('<tr>').slice(2);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain(`sha256:${hex('b')}`);
    expect(rows[0]).toContain('<span class="muted">untagged</span>');
    expect(rows[0]).toContain(`refers to sha256:${hex('a')}`);
    expect(rows[1]).toContain('v1, latest');
    expect(rows[1]).toContain('application/vnd.oci.image.manifest.v1+json');
    expect(rows[1]).toContain('application/vnd.example.sbom+json');
    expect(rows[1]).toContain('512 B');
    expect(rows[1]).toContain('2.0 KiB');
    expect(rows[1]).toContain(`sha256:${hex('a')}`);
  });

  it('escapes what a client sent (tags, media types)', () => {
    const hostile = { ...view.ociArtifacts[0]!, artifactType: '<script>x</script>', tags: ['<b>t</b>'] };
    const html = ociRepositoryPage(ctx, { ...view, ociArtifacts: [hostile] }).text;
    expect(html).not.toContain('<script>x');
    expect(html).not.toContain('<b>t</b>');
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
  });
});
