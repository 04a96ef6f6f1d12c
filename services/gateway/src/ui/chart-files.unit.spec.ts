import { chartArchive, gzipArchive } from '@wharf/testing';
import { MAX_SHOWN_FILE_BYTES, readChartFiles } from './chart-files';

describe('readChartFiles', () => {
  it('lists the files without the top directory and reads README, values.yaml and the templates', () => {
    const gz = gzipArchive([
      { name: 'demo/', type: 'directory' },
      { name: 'demo/Chart.yaml', content: 'apiVersion: v2\nname: demo\nversion: 1.0.0\n' },
      { name: 'demo/README.md', content: '# Demo' },
      { name: 'demo/values.yaml', content: 'replicaCount: 1\n' },
      { name: 'demo/templates/service.yaml', content: 'kind: Service' },
      { name: 'demo/templates/deployment.yaml', content: 'kind: Deployment' },
      { name: 'demo/charts/sub/values.yaml', content: 'nested: true' },
    ]);
    const files = readChartFiles(gz, 1024 * 1024);
    expect(files.readme).toBe('# Demo');
    expect(files.values).toBe('replicaCount: 1\n');
    expect(files.templates).toEqual(['templates/deployment.yaml', 'templates/service.yaml']);
    expect(files.files.map((f) => f.path)).toEqual([
      'Chart.yaml',
      'charts/sub/values.yaml',
      'README.md',
      'templates/deployment.yaml',
      'templates/service.yaml',
      'values.yaml',
    ]);
    expect(files.files.find((f) => f.path === 'README.md')?.size).toBe(6);
  });

  it('shows at most MAX_SHOWN_FILE_BYTES of a text file', () => {
    const big = 'x'.repeat(MAX_SHOWN_FILE_BYTES + 10);
    const files = readChartFiles(gzipArchive([{ name: 'demo/README.md', content: big }]), 4 * MAX_SHOWN_FILE_BYTES);
    expect(files.readme).toHaveLength(MAX_SHOWN_FILE_BYTES);
  });

  it('refuses to unpack past the registry limit (a page is no way around the push limits)', () => {
    expect(() => readChartFiles(chartArchive(), 100)).toThrow(
      expect.objectContaining({ code: 'ERR_BUFFER_TOO_LARGE' }),
    );
  });

  it('has no README or values when the archive has none', () => {
    const files = readChartFiles(gzipArchive([{ name: 'pkg/manifest.yaml', content: 'a: 1' }]), 1024 * 1024);
    expect(files).toMatchObject({ readme: null, values: null, templates: [] });
  });
});
