import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  chartArchive,
  chartEntries,
  gzipArchive,
  hostileTars,
  patchTarHeader,
  tarArchive,
  wellFormedTars,
  type ArchiveEntry,
} from '@wharf/testing';
import { ArchiveTooLargeError, InvalidBlobError, UnsafeArchiveError } from '../errors';
import { EXPANSION_RATIO_FLOOR_BYTES, inspectArchive, type ArchiveLimits } from './archive-inspector';

const limits: ArchiveLimits = {
  maxBlobBytes: 2 * 1024 * 1024,
  maxUnpackedBytes: 10 * 1024 * 1024,
  maxExpansionRatio: 100,
  maxEntries: 100,
};

function hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

function unsafeReason(entries: ArchiveEntry[]): unknown {
  const error = thrown(() => inspectArchive(gzipArchive(entries), limits));
  expect(error).toBeInstanceOf(UnsafeArchiveError);
  return (error as UnsafeArchiveError).details;
}

describe('inspectArchive', () => {
  describe('a valid chart', () => {
    const gz = chartArchive({ name: 'nginx', version: '1.2.3', keywords: ['web', 'proxy'], appVersion: '1.25.0' });
    const inspection = inspectArchive(gz, limits);

    it('should digest the gunzipped tar stream as the App Registry does', () => {
      expect(inspection.apprDigest).toBe(hex(gunzipSync(gz)));
      expect(inspection.apprDigest).toMatch(/^[0-9a-f]{64}$/);
    });

    it('should digest the gzip bytes as given for blob addressing', () => {
      expect(inspection.blobDigest).toBe(hex(gz));
      expect(inspection.blobDigest).not.toBe(inspection.apprDigest);
    });

    it('should report the gzip size, the tar size and the entry count', () => {
      expect(inspection.size).toBe(gz.length);
      expect(inspection.unpackedSize).toBe(gunzipSync(gz).length);
      expect(inspection.entryCount).toBe(5);
    });

    it('should extract the chart metadata from <dir>/Chart.yaml', () => {
      expect(inspection.chartProblem).toBeNull();
      expect(inspection.chart).toEqual({
        apiVersion: 'v2',
        name: 'nginx',
        version: '1.2.3',
        description: 'The nginx chart',
        keywords: ['web', 'proxy'],
        appVersion: '1.25.0',
      });
    });
  });

  it('should give identical archives identical digests and different archives different ones', () => {
    const a = inspectArchive(chartArchive({ salt: 'a' }), limits);
    expect(inspectArchive(chartArchive({ salt: 'a' }), limits).apprDigest).toBe(a.apprDigest);
    expect(inspectArchive(chartArchive({ salt: 'b' }), limits).apprDigest).not.toBe(a.apprDigest);
  });

  it('should digest the whole tar stream, including the record padding Python tarfile writes', () => {
    const unpadded = tarArchive(chartEntries());
    const tar = Buffer.concat([unpadded, Buffer.alloc(10240 - (unpadded.length % 10240))]);
    const inspection = inspectArchive(gzipSync(tar), limits);
    expect(inspection.apprDigest).toBe(hex(tar));
    expect(inspection.unpackedSize % 10240).toBe(0);
  });

  describe('Chart.yaml lookup', () => {
    it('should read a Chart.yaml at the archive root', () => {
      const gz = gzipArchive([
        { name: 'Chart.yaml', content: 'name: root\nversion: 0.1.0\n' },
        { name: 'values.yaml', content: '' },
      ]);
      expect(inspectArchive(gz, limits).chart).toEqual({ name: 'root', version: '0.1.0' });
    });

    it('should read Chart.yml when there is no Chart.yaml', () => {
      const gz = gzipArchive([{ name: 'app/Chart.yml', content: 'name: yml\nversion: 0.1.0\n' }]);
      expect(inspectArchive(gz, limits).chart).toEqual({ name: 'yml', version: '0.1.0' });
    });

    it('should find the chart behind ./ prefixes', () => {
      const gz = gzipArchive([
        { name: './', type: 'directory' },
        { name: './app/', type: 'directory' },
        { name: './app/Chart.yaml', content: 'name: dot\nversion: 0.1.0\n' },
      ]);
      expect(inspectArchive(gz, limits).chart?.name).toBe('dot');
    });

    it('should prefer the first directory over a Chart.yaml nested deeper or in another directory', () => {
      const gz = gzipArchive([
        { name: 'app/values.yaml', content: '' },
        { name: 'app/charts/sub/Chart.yaml', content: 'name: sub\nversion: 0.1.0\n' },
        { name: 'other/Chart.yaml', content: 'name: other\nversion: 0.1.0\n' },
        { name: 'app/Chart.yaml', content: 'name: app\nversion: 0.1.0\n' },
      ]);
      expect(inspectArchive(gz, limits).chart?.name).toBe('app');
    });

    it('should report a problem, not fail, when there is no Chart.yaml', () => {
      const gz = gzipArchive([
        { name: 'pkg/manifest.jsonnet', content: '{}' },
        { name: 'pkg/deep/Chart.yaml', content: 'name: x\nversion: 1.0.0\n' },
      ]);
      const inspection = inspectArchive(gz, limits);
      expect(inspection.chart).toBeNull();
      expect(inspection.chartProblem).toBe('no Chart.yaml in the top directory or at the root of the archive');
    });

    it('should report a problem, not fail, for a broken Chart.yaml', () => {
      const inspection = inspectArchive(chartArchive({ chartYaml: 'name: [broken\nversion: 1.0.0\n' }), limits);
      expect(inspection.chart).toBeNull();
      expect(inspection.chartProblem).toMatch(/^Chart\.yaml is not valid YAML/);
      expect(inspection.apprDigest).toMatch(/^[0-9a-f]{64}$/);
    });

    it('should report a problem for a Chart.yaml without a version', () => {
      const inspection = inspectArchive(chartArchive({ chartYaml: 'name: app\n' }), limits);
      expect(inspection.chart).toBeNull();
      expect(inspection.chartProblem).toContain("'version'");
    });

    it('should ignore a directory named Chart.yaml', () => {
      const gz = gzipArchive([
        { name: 'app/Chart.yaml/', type: 'directory' },
        { name: 'Chart.yaml', content: 'name: root\nversion: 0.1.0\n' },
      ]);
      expect(inspectArchive(gz, limits).chart?.name).toBe('root');
    });
  });

  describe('long names', () => {
    const longPath = `app/templates/${'very-long-directory-name/'.repeat(6)}deployment.yaml`;

    it('should accept PAX long names', () => {
      const inspection = inspectArchive(
        gzipArchive([...chartEntries(), { name: longPath, content: 'kind: Deployment\n' }]),
        limits,
      );
      expect(inspection.entryCount).toBe(6);
      expect(inspection.chart?.name).toBe('app');
    });

    it('should accept GNU long names', () => {
      const inspection = inspectArchive(
        gzipArchive([...chartEntries(), { name: longPath, content: 'kind: Deployment\n' }], { longNames: 'gnu' }),
        limits,
      );
      expect(inspection.entryCount).toBe(6);
    });

    it('should check the PAX name, not the truncated ustar name', () => {
      const escaping = `app/${'x'.repeat(100)}/../../../../etc/passwd`;
      expect(unsafeReason([{ name: escaping, content: 'root' }])).toMatchObject({ entry: escaping });
    });
  });

  describe('not an archive', () => {
    it.each([
      ['plain text', Buffer.from('hello world')],
      ['an empty buffer', Buffer.alloc(0)],
      ['a zip file', Buffer.from('504b030414000000', 'hex')],
    ])('should throw InvalidBlobError for %s', (_label, blob) => {
      expect(() => inspectArchive(blob, limits)).toThrow(new InvalidBlobError('blob is not a gzip stream'));
    });

    it('should throw InvalidBlobError for a gzip stream that is not tar', () => {
      expect(() => inspectArchive(gzipSync(Buffer.from('not a tar archive, just text\n'.repeat(50))), limits)).toThrow(
        new InvalidBlobError('not a tar archive'),
      );
    });

    it('should throw InvalidBlobError for a truncated gzip stream', () => {
      const gz = chartArchive();
      expect(() => inspectArchive(gz.subarray(0, gz.length - 12), limits)).toThrow(InvalidBlobError);
    });

    it('should throw InvalidBlobError for a corrupt gzip stream', () => {
      const gz = Buffer.from(chartArchive());
      gz.fill(0xff, 20, 40);
      expect(() => inspectArchive(gz, limits)).toThrow(InvalidBlobError);
    });

    it('should throw InvalidBlobError for a truncated tar inside a valid gzip stream', () => {
      const tar = tarArchive(chartEntries());
      expect(() => inspectArchive(gzipSync(tar.subarray(0, 1024 + 100)), limits)).toThrow(InvalidBlobError);
    });

    it('should throw InvalidBlobError for a tar header with a bad checksum', () => {
      const tar = tarArchive(chartEntries());
      tar[512 * 1 + 3] ^= 0x20;
      expect(() => inspectArchive(gzipSync(tar), limits)).toThrow(
        new InvalidBlobError('tar header 2 has a bad checksum'),
      );
    });

    it.each([
      ['only end-of-archive blocks', Buffer.alloc(1024)],
      ['nothing', Buffer.alloc(0)],
    ])('should throw InvalidBlobError for a tar with %s', (_label, tar) => {
      expect(() => inspectArchive(gzipSync(tar), limits)).toThrow(new InvalidBlobError('tar archive has no entries'));
    });
  });

  describe('unsafe entries', () => {
    it.each<[string, ArchiveEntry, string]>([
      ['an absolute path', { name: '/etc/passwd', content: 'x' }, 'absolute path'],
      ['a Windows drive path', { name: 'C:/Windows/win.ini', content: 'x' }, 'absolute path'],
      ['a leading .. segment', { name: '../evil.sh', content: 'x' }, "path contains a '..' segment"],
      ['an inner .. segment', { name: 'app/../../evil.sh', content: 'x' }, "path contains a '..' segment"],
      ['a bare ..', { name: '..', type: 'directory' }, "path contains a '..' segment"],
      ['a backslash', { name: 'app\\..\\evil', content: 'x' }, 'name contains a backslash'],
      [
        'a NUL in a PAX path',
        { name: 'app/ok', content: 'x', pax: { path: 'app/ok\0.sh' } },
        'name contains a NUL byte',
      ],
      ['an empty PAX path', { name: 'app/ok', content: 'x', pax: { path: '' } }, 'name is empty'],
      ['a name over 4096 bytes', { name: `app/${'n'.repeat(4100)}`, content: 'x' }, 'name is longer than 4096 bytes'],
      ['a symlink', { name: 'app/link', type: 'symlink', linkname: 'values.yaml' }, 'symbolic links are not allowed'],
      [
        'a symlink out of the tree',
        { name: 'app/link', type: 'symlink', linkname: '/etc/passwd' },
        'symbolic links are not allowed',
      ],
      [
        'a hard link',
        { name: 'app/link', type: 'hardlink', linkname: 'app/values.yaml' },
        'hard links are not allowed',
      ],
      ['a character device', { name: 'app/tty', type: 'char-device' }, 'character devices are not allowed'],
      ['a block device', { name: 'app/sda', type: 'block-device' }, 'block devices are not allowed'],
      ['a FIFO', { name: 'app/pipe', type: 'fifo' }, 'FIFOs are not allowed'],
      ['a sparse file', { name: 'app/sparse', content: 'x', typeflag: 'S' }, "unsupported entry type 'S'"],
    ])('should throw UnsafeArchiveError for %s', (_label, entry, reason) => {
      expect(unsafeReason([...chartEntries(), entry])).toMatchObject({ reason });
    });

    it('should throw UnsafeArchiveError for a name that is not UTF-8', () => {
      const tar = patchTarHeader(tarArchive([{ name: 'app/bad-name', content: 'x' }]), 0, (block) => {
        block[5] = 0xc0;
      });
      const error = thrown(() => inspectArchive(gzipSync(tar), limits));
      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect((error as UnsafeArchiveError).details.reason).toBe('name is not valid UTF-8');
    });

    it('should name the offending entry', () => {
      expect(unsafeReason([...chartEntries(), { name: 'app/../../x', content: '' }])).toMatchObject({
        entry: 'app/../../x',
      });
    });

    it('should check the raw ustar name under a safe PAX path', () => {
      const tar = patchTarHeader(
        tarArchive([...chartEntries(), { name: 'app/notes.txt', content: 'x', pax: { path: 'app/notes.txt' } }]),
        10 * 512,
        (block) => {
          block.fill(0, 0, 100);
          block.write('../../etc/notes.txt', 0, 'utf8');
        },
      );
      const error = thrown(() => inspectArchive(gzipSync(tar), limits));
      expect(error).toBeInstanceOf(UnsafeArchiveError);
      expect((error as UnsafeArchiveError).details).toMatchObject({
        entry: '../../etc/notes.txt',
        reason: expect.stringContaining("path contains a '..' segment"),
      });
    });

    it.each(['app/..data/file', 'app/file..txt', 'app/.hidden', './app/x', 'app//x'])(
      'should accept the harmless name %p',
      (name) => {
        expect(inspectArchive(gzipArchive([...chartEntries(), { name, content: 'x' }]), limits).entryCount).toBe(6);
      },
    );
  });

  describe('limits', () => {
    it('should refuse a gzip blob larger than maxBlobBytes before decompressing it', () => {
      const gz = chartArchive();
      expect(() => inspectArchive(gz, { ...limits, maxBlobBytes: gz.length - 1 })).toThrow(
        new ArchiveTooLargeError('blob-size', gz.length - 1),
      );
      expect(inspectArchive(gz, { ...limits, maxBlobBytes: gz.length }).size).toBe(gz.length);
    });

    it('should stop a gzip bomb quickly at the expansion ratio', () => {
      const bomb = gzipArchive([{ name: 'zeros.bin', content: Buffer.alloc(50 * 1024 * 1024) }]);
      expect(bomb.length).toBeLessThan(100 * 1024);
      const started = process.hrtime.bigint();
      const error = thrown(() => inspectArchive(bomb, { ...limits, maxUnpackedBytes: 64 * 1024 * 1024 }));
      const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
      expect(error).toEqual(new ArchiveTooLargeError('expansion-ratio', 100));
      expect((error as ArchiveTooLargeError).details).toEqual({ limit: 'expansion-ratio', max: 100 });
      expect(elapsedMs).toBeLessThan(1000);
    });

    it('should stop at maxUnpackedBytes when that is the tighter limit', () => {
      const bomb = gzipArchive([{ name: 'zeros.bin', content: Buffer.alloc(4 * 1024 * 1024) }]);
      const error = thrown(() =>
        inspectArchive(bomb, { ...limits, maxUnpackedBytes: 2 * 1024 * 1024, maxExpansionRatio: 1_000_000 }),
      );
      expect((error as ArchiveTooLargeError).details).toEqual({ limit: 'unpacked-size', max: 2 * 1024 * 1024 });
    });

    it('should accept an archive of exactly maxUnpackedBytes', () => {
      const gz = chartArchive();
      const unpacked = gunzipSync(gz).length;
      expect(inspectArchive(gz, { ...limits, maxUnpackedBytes: unpacked }).unpackedSize).toBe(unpacked);
      expect(() => inspectArchive(gz, { ...limits, maxUnpackedBytes: unpacked - 1 })).toThrow(ArchiveTooLargeError);
    });

    it('should not apply the ratio to small archives, whose tar padding alone exceeds it', () => {
      const padded = gzipArchive([
        { name: 'app/Chart.yaml', content: 'name: app\nversion: 1.0.0\n' },
        { name: 'app/blank', content: Buffer.alloc(EXPANSION_RATIO_FLOOR_BYTES / 2) },
      ]);
      expect(gunzipSync(padded).length / padded.length).toBeGreaterThan(100);
      expect(inspectArchive(padded, limits).chart?.name).toBe('app');
    });

    it('should refuse more than maxEntries entries, not counting extended headers', () => {
      const entries = Array.from({ length: 11 }, (_, i) => ({ name: `pkg/${'f'.repeat(120)}${i}`, content: `${i}` }));
      expect(inspectArchive(gzipArchive(entries.slice(0, 10)), { ...limits, maxEntries: 10 }).entryCount).toBe(10);
      expect(() => inspectArchive(gzipArchive(entries), { ...limits, maxEntries: 10 })).toThrow(
        new ArchiveTooLargeError('entries', 10),
      );
    });
  });

  describe('the hostile tar corpus (test/clients/go-tar reads it with Go)', () => {
    const errorOf: Record<string, new (...args: never[]) => Error> = {
      'unsafe-archive': UnsafeArchiveError,
      'invalid-blob': InvalidBlobError,
    };

    it.each(hostileTars().map((c) => [c.label, c] as const))('should refuse %s', (_label, { tar, refusal }) => {
      expect(() => inspectArchive(gzipSync(tar), limits)).toThrow(errorOf[refusal]!);
    });

    it.each(wellFormedTars().map((c) => [c.label, c] as const))('should accept %s', (_label, { tar }) => {
      expect(inspectArchive(gzipSync(tar), limits).chart?.name).toBe('app');
    });
  });
});
