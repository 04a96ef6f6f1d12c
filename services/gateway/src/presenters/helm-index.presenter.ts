/**
 * The Helm chart repository formats: the index file (`index.yaml`, Helm's IndexFile: apiVersion,
 * entries, generated, serverInfo) and a chart version as both the index and the ChartMuseum API
 * show it (Chart.yaml metadata plus urls, created, digest). Every Helm-facing body is built here.
 */
import { stringify } from 'yaml';
import { ChartEntries, ChartVersionRecord, chartFileName } from '@wharf/domain';

/** Relative to the repository URL, so a client's credentials and host stay on the same origin. */
export function chartUrl(name: string, version: string): string {
  return `charts/${chartFileName(name, version)}`;
}

export function chartVersionJson(v: ChartVersionRecord): Record<string, unknown> {
  const { name: _chartName, version: _chartVersion, apiVersion, ...metadata } = v.chart;
  return {
    apiVersion: apiVersion ?? 'v1',
    name: v.name,
    version: v.version,
    ...metadata,
    urls: [chartUrl(v.name, v.version)],
    created: v.createdAt,
    digest: v.blobDigest,
  };
}

export interface IndexDocumentOptions {
  generated: string;
  /** Where the repository's ChartMuseum API lives relative to the origin (cm-push reads it). */
  contextPath: string;
}

export function indexDocument(entries: ChartEntries, options: IndexDocumentOptions) {
  const json: Record<string, Record<string, unknown>[]> = {};
  for (const [name, versions] of entries) json[name] = versions.map(chartVersionJson);
  return {
    apiVersion: 'v1',
    entries: json,
    generated: options.generated,
    serverInfo: { contextPath: options.contextPath },
  };
}

export function chartsJson(entries: ChartEntries): Record<string, Record<string, unknown>[]> {
  return indexDocument(entries, { generated: '', contextPath: '' }).entries;
}

export function renderIndex(document: ReturnType<typeof indexDocument>, format: 'yaml' | 'json'): Buffer {
  return Buffer.from(format === 'json' ? JSON.stringify(document) : stringify(document, { lineWidth: 0 }), 'utf8');
}

/** Renders one chart's entry (`name: [versions]`) at most once per content; see renderIndexFromFragments. */
export type FragmentMemo = (key: string, render: () => string) => string;

/**
 * The same bytes as `renderIndex(indexDocument(...))`, assembled from one fragment per chart, each
 * rendered through `memo` under a key naming exactly what it shows (chart, format and every
 * version's identity). A push changes one chart, so a new index re-renders that chart and reuses
 * the others: the cost of a new index after a push is the package's, plus concatenation.
 */
export function renderIndexFromFragments(
  entries: ChartEntries,
  options: IndexDocumentOptions,
  format: 'yaml' | 'json',
  memo: FragmentMemo,
): Buffer {
  const fragments: string[] = [];
  for (const [name, versions] of entries) {
    const key = `${format}\0${name}\0${versions.map((v) => `${v.version}:${v.blobDigest}:${v.createdAt}:${v.provenanceDigest ?? ''}`).join(',')}`;
    fragments.push(
      memo(key, () =>
        format === 'json'
          ? `${JSON.stringify(name)}:${JSON.stringify(versions.map(chartVersionJson))}`
          : indent(stringify({ [name]: versions.map(chartVersionJson) }, { lineWidth: 0 })),
      ),
    );
  }
  const tail = { generated: options.generated, serverInfo: { contextPath: options.contextPath } };
  if (format === 'json') {
    return Buffer.from(
      `{"apiVersion":"v1","entries":{${fragments.join(',')}},${JSON.stringify(tail).slice(1)}`,
      'utf8',
    );
  }
  const head =
    fragments.length === 0 ? 'apiVersion: v1\nentries: {}\n' : `apiVersion: v1\nentries:\n${fragments.join('')}`;
  return Buffer.from(head + stringify(tail, { lineWidth: 0 }), 'utf8');
}

/** Every line two spaces deeper: a whole document becomes the value of a key, structure intact. */
function indent(yaml: string): string {
  return yaml.replace(/^(?=.)/gm, '  ');
}
