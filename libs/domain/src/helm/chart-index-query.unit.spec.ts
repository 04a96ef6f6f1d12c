import { ChartVersionRecord } from './chart-versions';
import { selectChartEntries } from './chart-index-query';

function version(name: string, v: string, createdAt = '2024-01-01T00:00:00.000Z'): ChartVersionRecord {
  return {
    name,
    version: v,
    chart: { apiVersion: 'v2', name, version: v },
    blobDigest: 'b'.repeat(64),
    apprDigest: 'a'.repeat(64),
    size: 1,
    createdAt,
  };
}

const names = (entries: Map<string, ChartVersionRecord[]>) =>
  Object.fromEntries([...entries].map(([n, vs]) => [n, vs.map((v) => v.version)]));

describe('selectChartEntries', () => {
  it('groups by chart, names ascending, versions highest first by SemVer precedence', () => {
    const entries = selectChartEntries([
      version('web', '1.10.0'),
      version('api', '1.0.0'),
      version('web', '1.9.0'),
      version('web', '2.0.0-rc.1'),
      version('web', '2.0.0'),
    ]);
    expect([...entries.keys()]).toEqual(['api', 'web']);
    expect(names(entries)).toEqual({ api: ['1.0.0'], web: ['2.0.0', '2.0.0-rc.1', '1.10.0', '1.9.0'] });
  });

  it('keeps the N highest versions of each chart with latest', () => {
    const entries = selectChartEntries(
      [version('a', '1.0.0'), version('a', '3.0.0'), version('a', '2.0.0'), version('b', '0.1.0')],
      { latest: 2 },
    );
    expect(names(entries)).toEqual({ a: ['3.0.0', '2.0.0'], b: ['0.1.0'] });
  });

  it("keeps versions created since the cut-off, and always each chart's highest", () => {
    const entries = selectChartEntries(
      [
        version('a', '1.0.0', '2024-01-01T00:00:00Z'),
        version('a', '1.1.0', '2024-03-01T00:00:00Z'),
        version('a', '2.0.0', '2024-02-01T00:00:00Z'),
        version('old', '9.0.0', '2020-01-01T00:00:00Z'),
        version('old', '8.0.0', '2020-01-01T00:00:00Z'),
      ],
      { since: '2024-02-15T00:00:00Z' },
    );
    expect(names(entries)).toEqual({ a: ['2.0.0', '1.1.0'], old: ['9.0.0'] });
  });

  it('combines both controls', () => {
    const all = Array.from({ length: 10 }, (_, i) =>
      version('a', `1.${i}.0`, `2024-01-${String(i + 1).padStart(2, '0')}T00:00:00Z`),
    );
    expect(names(selectChartEntries(all, { since: '2024-01-05T00:00:00Z', latest: 3 }))).toEqual({
      a: ['1.9.0', '1.8.0', '1.7.0'],
    });
  });
});
