import { parse } from 'yaml';
import { ChartVersionRecord, selectChartEntries } from '@wharf/domain';
import { chartVersionJson, indexDocument, renderIndex, renderIndexFromFragments } from './helm-index.presenter';

const record: ChartVersionRecord = {
  name: 'web',
  version: '1.2.0',
  chart: {
    apiVersion: 'v2',
    name: 'chart-yaml-name',
    version: '0.0.9',
    description: 'A web app',
    keywords: ['http'],
    appVersion: '3.1',
    maintainers: [{ name: 'Ann', email: 'ann@example.com' }],
    annotations: { 'example.com/a.b': 'x' },
    dependencies: [{ name: 'db', version: '1.x', repository: 'https://charts.example.com' }],
    type: 'application',
  },
  blobDigest: 'b'.repeat(64),
  apprDigest: 'a'.repeat(64),
  size: 123,
  createdAt: '2024-05-01T10:00:00.000Z',
};

describe('chartVersionJson', () => {
  it('is the Chart.yaml metadata named by package and release, with relative urls, created and the .tgz digest', () => {
    expect(chartVersionJson(record)).toEqual({
      apiVersion: 'v2',
      name: 'web',
      version: '1.2.0',
      description: 'A web app',
      keywords: ['http'],
      appVersion: '3.1',
      maintainers: [{ name: 'Ann', email: 'ann@example.com' }],
      annotations: { 'example.com/a.b': 'x' },
      dependencies: [{ name: 'db', version: '1.x', repository: 'https://charts.example.com' }],
      type: 'application',
      urls: ['charts/web-1.2.0.tgz'],
      created: '2024-05-01T10:00:00.000Z',
      digest: 'b'.repeat(64),
    });
  });

  it('defaults apiVersion to v1 as Helm does', () => {
    expect(chartVersionJson({ ...record, chart: { name: 'web', version: '1.2.0' } }).apiVersion).toBe('v1');
  });
});

describe('indexDocument and renderIndex', () => {
  const document = indexDocument(selectChartEntries([record, { ...record, version: '1.10.0' }]), {
    generated: '2024-06-01T00:00:00.000Z',
    contextPath: '/helm',
  });

  it("renders Helm's IndexFile in YAML, versions highest first, with serverInfo.contextPath", () => {
    const parsed = parse(renderIndex(document, 'yaml').toString('utf8'));
    expect(parsed.apiVersion).toBe('v1');
    expect(parsed.generated).toBe('2024-06-01T00:00:00.000Z');
    expect(parsed.serverInfo).toEqual({ contextPath: '/helm' });
    expect(parsed.entries.web.map((v: { version: string }) => v.version)).toEqual(['1.10.0', '1.2.0']);
    expect(parsed.entries.web[1]).toEqual(chartVersionJson(record));
  });

  it('renders the same document as JSON', () => {
    expect(JSON.parse(renderIndex(document, 'json').toString('utf8'))).toEqual(JSON.parse(JSON.stringify(document)));
  });

  it('renders an empty repository', () => {
    expect(
      parse(renderIndex(indexDocument(new Map(), { generated: 'g', contextPath: '/helm' }), 'yaml').toString()).entries,
    ).toEqual({});
  });
});

describe('renderIndexFromFragments', () => {
  const multiline: ChartVersionRecord = {
    ...record,
    name: 'docs',
    version: '0.1.0',
    chart: { ...record.chart, description: 'line one\nline two\n  indented: not a key\n' },
  };
  const entries = selectChartEntries([record, { ...record, version: '1.10.0' }, multiline]);
  const options = { generated: '2024-06-01T00:00:00.000Z', contextPath: '/cnr/helm' };
  const noMemo = (_key: string, render: () => string) => render();

  it.each(['yaml', 'json'] as const)('produces the same document as the whole-document renderer (%s)', (format) => {
    const whole = renderIndex(indexDocument(entries, options), format).toString();
    const assembled = renderIndexFromFragments(entries, options, format, noMemo).toString();
    expect(format === 'yaml' ? parse(assembled) : JSON.parse(assembled)).toEqual(
      format === 'yaml' ? parse(whole) : JSON.parse(whole),
    );
    if (format === 'json') expect(assembled).toBe(whole);
  });

  it('renders an empty repository', () => {
    expect(parse(renderIndexFromFragments(new Map(), options, 'yaml', noMemo).toString()).entries).toEqual({});
    expect(JSON.parse(renderIndexFromFragments(new Map(), options, 'json', noMemo).toString()).entries).toEqual({});
  });

  it('renders a chart again only when its versions changed', () => {
    const rendered = new Map<string, string>();
    let renders = 0;
    const memo = (key: string, render: () => string) => {
      if (!rendered.has(key)) {
        renders++;
        rendered.set(key, render());
      }
      return rendered.get(key)!;
    };
    renderIndexFromFragments(entries, options, 'yaml', memo);
    expect(renders).toBe(2);
    renderIndexFromFragments(
      selectChartEntries([record, { ...record, version: '1.10.0' }, multiline, { ...multiline, version: '0.2.0' }]),
      options,
      'yaml',
      memo,
    );
    expect(renders).toBe(3);
  });
});
