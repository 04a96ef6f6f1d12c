import { ChartMetadata, PackageView, ReleaseManifest, contentMediaType, manifestMediaType } from '@wharf/domain';
import { Html, markup, trusted } from '../html';
import type { ReleasePreview } from '../release-files';
import { PageContext, csrfField, dataTable, page } from './layout';
import { pager } from './package-list';

export interface PackagePageView {
  view: PackageView;
  /** The release shown, and its manifests (one per media type). */
  release: string;
  manifests: ReleaseManifest[];
  /** The releases of this page of the versions table, highest first, with their manifests. */
  releases: { release: string; manifests: ReleaseManifest[] }[];
  /** The versions table's page (`?versions=`), whether there is a next one, and how many releases in all. */
  versions: { page: number; hasNext: boolean; total: number };
  chart: ChartMetadata | null;
  files: ReleasePreview | null;
  /** Why `files` is null, if the release has an archive that was not read. */
  filesNote: string | null;
  /** The registry's origin for the install commands ('' when it may not be named). */
  origin: string;
  /** Whether the visitor administers the namespace (the server checks again on every change). */
  admin: boolean;
}

/** Releases per page of a package's versions table: a chart with 1,000 versions is 20 short pages. */
export const VERSIONS_PAGE_SIZE = 50;

/** The releases (highest first) on page `page` of the versions table, whether more follow, and how many in all. */
export function versionsPage(
  all: readonly string[],
  page: number,
): { releases: string[]; page: number; hasNext: boolean; total: number } {
  const start = (page - 1) * VERSIONS_PAGE_SIZE;
  return {
    releases: all.slice(start, start + VERSIONS_PAGE_SIZE),
    page,
    hasNext: all.length > start + VERSIONS_PAGE_SIZE,
    total: all.length,
  };
}

export function packagePage(ctx: PageContext, p: PackagePageView): Html {
  const { view } = p;
  const helm = p.manifests.some((m) => m.mediaType === 'helm');
  return page(
    ctx,
    `${view.package} ${p.release}`,
    markup`<h1>
        ${view.namespace}/<a href="/ui/${view.namespace}/${view.name}">${view.name}</a>
        <span class="muted">${p.release}</span
        >${view.visibility === 'private' ? markup`<span class="badge">private</span>` : ''}
      </h1>
      ${p.chart?.description ? markup`<p>${p.chart.description}</p>` : ''}
      <div class="layout">
        <div>
          ${helm ? installSection(p) : apprSection(p)} ${readmeSection(p)}
          ${p.files?.values != null ? valuesSection(p.files.values) : ''} ${filesSection(p, helm)}
          ${helm ? '' : manifestSection(p)} ${releasesSection(p)}
        </div>
        <aside aria-label="About this package">
          ${chartFacts(p)} ${channelsSection(p)} ${p.admin ? visibilityForm(ctx, p) : ''}
        </aside>
      </div>`,
  );
}

function command(id: string, text: string): Html {
  return markup`<div class="cmd">
    <pre tabindex="0"><code id="${id}">${text}</code></pre>
    <button type="button" data-copy="${id}" hidden aria-label="Copy command">Copy</button>
  </div>`;
}

/** A release of another media type (kpm, docker-compose, ...): the appr client pulls it. */
function apprSection(p: PackagePageView): Html {
  const { namespace, name } = p.view;
  const host = new URL(p.origin || 'https://REGISTRY').host;
  return markup`<section aria-labelledby="install">
    <h2 id="install">Pull</h2>
    ${p.manifests.map((m, i) =>
      command(`cmd-appr-${i}`, `appr pull ${host}/${namespace}/${name}@${p.release} -t ${m.mediaType}`),
    )}
  </section>`;
}

function installSection(p: PackagePageView): Html {
  const { namespace, name } = p.view;
  const origin = p.origin || 'https://REGISTRY';
  const host = new URL(origin).host;
  const plain = origin.startsWith('http:') ? ' --plain-http' : '';
  const login = p.view.visibility === 'private' ? ' --username USER --password TOKEN' : '';
  return markup`<section aria-labelledby="install">
    <h2 id="install">Install</h2>
    <h3>Helm repository</h3>
    ${command('cmd-helm-repo', `helm repo add ${namespace} ${origin}/helm/${namespace}${login}`)}
    ${command('cmd-helm-install', `helm install ${name} ${namespace}/${name} --version ${p.release}`)}
    <h3>OCI</h3>
    ${command('cmd-helm-oci', `helm install ${name} oci://${host}/${namespace}/${name} --version ${p.release}${plain}`)}
    <h3>appr</h3>
    ${command('cmd-appr', `appr pull ${host}/${namespace}/${name}@${p.release} -t helm`)}
  </section>`;
}

function readmeSection(p: PackagePageView): Html {
  if (!p.files?.readmeHtml) return markup``;
  return markup`<section aria-labelledby="readme">
    <h2 id="readme">README</h2>
    <div class="readme">${trusted(p.files.readmeHtml)}</div>
  </section>`;
}

/** values.yaml with its keys and comments told apart; every piece escaped. */
function valuesSection(values: string): Html {
  const lines = values.split('\n').map((line) => {
    const comment = /^(\s*)(#.*)$/.exec(line);
    if (comment) return markup`${comment[1]}<span class="y-comment">${comment[2]}</span>`;
    const key = /^(\s*(?:- )?)([^\s:#][^:#]*)(:)(.*)$/.exec(line);
    if (key) return markup`${key[1]}<span class="y-key">${key[2]}</span>${key[3]}${key[4]}`;
    return markup`${line}`;
  });
  return markup`<section aria-labelledby="values">
    <h2 id="values">Default values</h2>
    <div class="cmd">
      <pre tabindex="0"><code id="values-yaml">${lines.map((l, i) => (i === 0 ? l : ['\n', l]))}</code></pre>
      <button type="button" data-copy="values-yaml" hidden aria-label="Copy values.yaml">Copy</button>
    </div>
  </section>`;
}

function filesSection(p: PackagePageView, helm: boolean): Html {
  if (!p.files) return p.filesNote ? markup`<p class="notice">${p.filesNote}</p>` : markup``;
  const list = helm && p.files.templates.length > 0 ? p.files.templates : p.files.files.map((f) => f.path);
  return markup`<section aria-labelledby="files">
    <h2 id="files">${helm ? 'Templates' : 'Files'}</h2>
    <ul>
      ${list.map((path) => markup`<li><code>${path}</code></li>`)}
    </ul>
  </section>`;
}

function releasesSection(p: PackagePageView): Html {
  const base = `/ui/${p.view.namespace}/${p.view.name}`;
  const rows = p.releases.flatMap(({ release, manifests }) =>
    manifests.map(
      (m) =>
        markup`<tr>
          <td>
            <a
              href="${base}?release=${encodeURIComponent(release)}"
              ${release === p.release ? markup` aria-current="page"` : ''}
              >${release}</a
            >
          </td>
          <td>${m.mediaType}</td>
          <td>${m.createdAt.slice(0, 10)}</td>
          <td>${formatSize(m.size)}</td>
          <td class="digest">sha256:${m.blobDigest}</td>
        </tr>`,
    ),
  );
  const here = `${base}?release=${encodeURIComponent(p.release)}`;
  return markup`<section aria-labelledby="versions">
    <h2 id="versions">Versions (${p.versions.total})</h2>
    ${dataTable(['Release', 'Type', 'Published', 'Size', 'Digest'], rows)}
    ${pager({ ...p.versions, base: here }, { param: 'versions', label: 'Versions pages', fragment: '#versions' })}
  </section>`;
}

function chartFacts(p: PackagePageView): Html {
  const c = p.chart;
  if (!c) return markup``;
  const dependencies = (c.dependencies ?? []).map((d) => `${String(d.name ?? '?')} ${String(d.version ?? '')}`.trim());
  const fact = (term: string, value: Html | string | null | undefined) =>
    value
      ? markup`<dt>${term}</dt>
          <dd>${value}</dd>`
      : '';
  const link = (url: string) =>
    /^https?:\/\//i.test(url) ? markup`<a href="${url}" rel="nofollow noopener noreferrer">${url}</a>` : url;
  return markup`<h2>Chart</h2>
    <dl>
      ${fact('App version', c.appVersion)} ${fact('Chart API', c.apiVersion)} ${fact('Type', c.type)}
      ${fact('Kubernetes', c.kubeVersion)} ${fact('Keywords', c.keywords?.join(', '))}
      ${fact('Home', c.home ? link(c.home) : null)}
      ${c.sources?.length ? fact('Sources', markup`${c.sources.map((s) => markup`${link(s)}<br />`)}`) : ''}
      ${c.maintainers?.length ? fact('Maintainers', markup`${c.maintainers.map((m) => markup`${m.name}${m.email ? ` <${m.email}>` : ''}<br />`)}`) : ''}
      ${dependencies.length ? fact('Dependencies', dependencies.join(', ')) : ''}
      ${c.deprecated ? fact('Deprecated', 'yes') : ''}
    </dl>`;
}

function channelsSection(p: PackagePageView): Html {
  if (p.view.channels.length === 0) return markup``;
  return markup`<h2>Channels</h2>
    <dl>
      ${p.view.channels.map(
        (c) =>
          markup`<dt>${c.name}</dt>
            <dd>${c.current}</dd>`,
      )}
    </dl>`;
}

function visibilityForm(ctx: PageContext, p: PackagePageView): Html {
  const next = p.view.visibility === 'private' ? 'public' : 'private';
  return markup`<h2>Visibility</h2>
    <form method="post" action="/ui/-/visibility">
      ${csrfField(ctx)} <input type="hidden" name="namespace" value="${p.view.namespace}" /><input
        type="hidden"
        name="package"
        value="${p.view.name}"
      />
      <input type="hidden" name="visibility" value="${next}" />
      <p>This package is <strong>${p.view.visibility}</strong>.</p>
      <button type="submit">Make ${next}</button>
    </form>`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * The manifest of a release that is not a chart, as the appr API serves it (media types, digest,
 * size, the metadata its publisher sent), and the OCI digests when it was pushed over OCI.
 */
function manifestSection(p: PackagePageView): Html {
  if (p.manifests.length === 0) return markup``;
  const fact = (term: string, value: Html | string) =>
    markup`<dt>${term}</dt>
      <dd>${value}</dd>`;
  return markup`<section aria-labelledby="manifest">
    <h2 id="manifest">Manifest</h2>
    ${p.manifests.map(
      (m) =>
        markup`<h3>${m.mediaType}</h3>
          <dl>
            ${fact('Manifest media type', markup`<code>${manifestMediaType(m.mediaType)}</code>`)}
            ${fact('Content media type', markup`<code>${contentMediaType(m.mediaType)}</code>`)}
            ${fact('Content digest', markup`<code class="digest">sha256:${m.apprDigest}</code>`)}
            ${fact('Archive', markup`<code class="digest">sha256:${m.blobDigest}</code> (${formatSize(m.size)})`)}
            ${m.oci ? fact('OCI manifest', markup`<code class="digest">sha256:${m.oci.manifestDigest}</code>`) : ''}
            ${m.oci ? fact('OCI config', markup`<code class="digest">sha256:${m.oci.configDigest}</code>`) : ''}
          </dl>
          ${
            m.metadata === null
              ? ''
              : markup`<h4>Metadata</h4>
                <pre tabindex="0"><code>${JSON.stringify(m.metadata, null, 2)}</code></pre>`
          }`,
    )}
  </section>`;
}
