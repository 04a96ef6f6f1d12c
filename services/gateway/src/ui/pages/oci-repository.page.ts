/**
 * The page of an OCI repository that has manifests but no release (pushed with `oras push` or
 * another OCI client: images, indexes, artifacts, signatures): each manifest with its tags, media
 * type, artifact type, digest and sizes. A package with releases shows them on its package page.
 */
import type { OciArtifact, PackageView } from '@wharf/domain';
import { Html, markup } from '../html';
import { PageContext, dataTable, page } from './layout';
import { formatSize } from './package.page';

export function ociRepositoryPage(ctx: PageContext, view: PackageView): Html {
  // Newest first; a manifest's tags in their order, none shown as "untagged".
  const artifacts = [...(view.ociArtifacts ?? [])].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || a.digest.localeCompare(b.digest),
  );
  return page(
    ctx,
    view.package,
    markup`<h1>
        ${view.namespace}/${view.name}${view.visibility === 'private' ? markup`<span class="badge">private</span>` : ''}
      </h1>
      <p>An OCI repository with no release: its manifests, as <code>/v2/${view.package}/</code> serves them.</p>
      <section aria-labelledby="manifests">
        <h2 id="manifests">Manifests (${artifacts.length})</h2>
        ${dataTable(
          ['Tags', 'Media type', 'Artifact type', 'Manifest size', 'Stored', 'Pushed', 'Digest'],
          artifacts.map(artifactRow),
        )}
      </section>`,
  );
}

function artifactRow(a: OciArtifact): Html {
  return markup`<tr>
    <td>${a.tags.length > 0 ? a.tags.join(', ') : markup`<span class="muted">untagged</span>`}</td>
    <td>${a.mediaType}</td>
    <td>${a.artifactType ?? markup`<span class="muted">none</span>`}</td>
    <td>${formatSize(a.size)}</td>
    <td>${formatSize(a.storedBytes ?? 0)}</td>
    <td>${a.createdAt.slice(0, 10)}</td>
    <td class="digest">sha256:${a.digest}${a.subject ? markup`<br /><span class="muted">refers to sha256:${a.subject}</span>` : ''}</td>
  </tr>`;
}
