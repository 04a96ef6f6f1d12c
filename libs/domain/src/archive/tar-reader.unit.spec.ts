import { paxRecord, patchTarHeader, tarArchive, type ArchiveEntry } from '@wharf/testing';
import { InvalidBlobError } from '../errors';
import { readTarEntries, type TarEntry } from './tar-reader';

function read(tar: Buffer): TarEntry[] {
  return [...readTarEntries(tar)];
}

/** One extended header (typeflag x, g, L or K) and its data, without an end-of-archive marker. */
function extendedHeader(typeflag: string, content: string): Buffer {
  return tarArchive([{ name: 'PaxHeader', content, typeflag }]).subarray(0, -1024);
}

function contentOf(tar: Buffer, entry: TarEntry): string {
  return tar.toString('utf8', entry.dataOffset, entry.dataOffset + entry.size);
}

describe('readTarEntries', () => {
  it('should list entries in order with their type, size and data', () => {
    const tar = tarArchive([
      { name: 'app/', type: 'directory' },
      { name: 'app/Chart.yaml', content: 'name: app\n' },
      { name: 'app/empty.txt', content: '' },
    ]);
    const entries = read(tar);
    expect(entries.map((e) => [e.path, e.type, e.size])).toEqual([
      ['app/', 'directory', 0],
      ['app/Chart.yaml', 'file', 10],
      ['app/empty.txt', 'file', 0],
    ]);
    expect(contentOf(tar, entries[1]!)).toBe('name: app\n');
  });

  it.each<[ArchiveEntry['type'], string]>([
    ['symlink', 'symlink'],
    ['hardlink', 'hardlink'],
    ['char-device', 'char-device'],
    ['block-device', 'block-device'],
    ['fifo', 'fifo'],
  ])('should report a %s entry as %p with its link target', (type, expected) => {
    const [entry] = read(tarArchive([{ name: 'x', type, linkname: 'target' }]));
    expect(entry).toMatchObject({ path: 'x', type: expected, linkPath: 'target' });
  });

  it('should report unknown typeflags as other, keeping the flag', () => {
    const [entry] = read(tarArchive([{ name: 'sparse', content: 'abc', typeflag: 'S' }]));
    expect(entry).toMatchObject({ type: 'other', typeflag: 'S', size: 3 });
  });

  it('should apply PAX path and linkpath records to the next entry only', () => {
    const longName = `app/${'d'.repeat(120)}/values.yaml`;
    const longTarget = `${'t'.repeat(150)}`;
    const tar = tarArchive([
      { name: longName, content: 'x: 1\n' },
      { name: 'app/link', type: 'symlink', linkname: longTarget },
      { name: 'app/after' },
    ]);
    const entries = read(tar);
    expect(entries.map((e) => e.path)).toEqual([longName, 'app/link', 'app/after']);
    expect(entries[1]!.linkPath).toBe(longTarget);
    expect(contentOf(tar, entries[0]!)).toBe('x: 1\n');
  });

  it('should apply GNU L and K long names', () => {
    const longName = `app/${'g'.repeat(200)}.yaml`;
    const longTarget = `${'k'.repeat(180)}`;
    const tar = tarArchive(
      [
        { name: longName, content: 'gnu' },
        { name: `l${'n'.repeat(150)}`, type: 'symlink', linkname: longTarget },
      ],
      { longNames: 'gnu' },
    );
    const entries = read(tar);
    expect(entries[0]).toMatchObject({ path: longName, type: 'file', size: 3 });
    expect(contentOf(tar, entries[0]!)).toBe('gnu');
    expect(entries[1]).toMatchObject({ path: `l${'n'.repeat(150)}`, linkPath: longTarget });
  });

  it('should decode non-ASCII UTF-8 names from PAX records', () => {
    const name = `app/${'é'.repeat(60)}.yaml`;
    const [entry] = read(tarArchive([{ name, content: 'x' }]));
    expect(entry).toMatchObject({ path: name, pathIsUtf8: true });
  });

  it('should honour a PAX size record over the header size field', () => {
    const tar = tarArchive([
      { name: 'a', content: 'hello', pax: { size: '5' } },
      { name: 'b', content: 'next' },
    ]);
    const headerSaysEmpty = patchTarHeader(tar, 1024, (block) => block.write('00000000000\0', 124, 'ascii'));
    const entries = read(headerSaysEmpty);
    expect(entries.map((e) => [e.path, e.size])).toEqual([
      ['a', 5],
      ['b', 4],
    ]);
  });

  it('should ignore global PAX records that name nothing (git archive writes a comment)', () => {
    const tar = tarArchive([
      { name: 'a', content: '1', pax: { comment: 'f'.repeat(40) } },
      { name: 'b', content: '2' },
    ]);
    const globalised = patchTarHeader(tar, 0, (block) => block.write('g', 156, 'ascii'));
    expect(read(globalised).map((e) => e.path)).toEqual(['a', 'b']);
  });

  it.each(['path', 'linkpath'])(
    'should refuse a global PAX header with a %s record (Go lists it as an entry of that name)',
    (key) => {
      const tar = tarArchive([
        { name: 'a', content: '1', pax: { [key]: 'x' } },
        { name: 'b', content: '2' },
      ]);
      const globalised = patchTarHeader(tar, 0, (block) => block.write('g', 156, 'ascii'));
      expect(() => read(globalised)).toThrow(
        new InvalidBlobError(`tar archive has a global PAX header with a '${key}' record`),
      );
    },
  );

  it('should report the ustar name under a PAX path, and the names of the extended headers, as shadow paths', () => {
    const tar = tarArchive([
      { name: 'raw/name', content: 'x', pax: { path: 'pax/name' } },
      { name: 'plain', content: 'y' },
    ]);
    const entries = read(patchTarHeader(tar, 0, (block) => block.write('PaxHeaders/raw', 0, 'utf8')));
    expect(entries.map((e) => [e.path, e.shadowPaths])).toEqual([
      ['pax/name', ['raw/name', 'PaxHeaders/raw']],
      ['plain', ['plain']],
    ]);
  });

  it('should refuse a PAX path and a GNU long name that differ (Go takes the GNU one), and accept equal ones', () => {
    const longName = `app/${'g'.repeat(200)}.yaml`;
    const gnu = tarArchive([{ name: longName, content: 'x' }], { longNames: 'gnu' });
    const withPax = (path: string) =>
      Buffer.concat([
        tarArchive([{ name: 'PaxHeader', content: paxRecord('path', path), typeflag: 'x' }]).subarray(0, 1024),
        gnu,
      ]);
    expect(() => read(withPax('app/other.yaml'))).toThrow(
      new InvalidBlobError('tar entry has a PAX path and a GNU long name that differ'),
    );
    expect(read(withPax(longName)).map((e) => e.path)).toEqual([longName]);
  });

  it('should refuse PAX GNU sparse records (Go renames the entry from GNU.sparse.name)', () => {
    const tar = tarArchive([
      {
        name: 'app/GNUSparseFile.0/a',
        content: 'x',
        pax: { 'GNU.sparse.major': '1', 'GNU.sparse.minor': '0', 'GNU.sparse.name': 'b' },
      },
    ]);
    expect(() => read(tar)).toThrow(
      new InvalidBlobError('tar archive has GNU sparse PAX records (sparse files are not supported)'),
    );
  });

  it("should refuse two x headers before one entry (Go keeps only the last one's records, tar-stream merges them)", () => {
    const tar = Buffer.concat([
      extendedHeader('x', paxRecord('path', 'app/README.md')),
      extendedHeader('x', paxRecord('comment', 'c')),
      tarArchive([{ name: 'app/Chart.yaml', content: 'version: 9.9.9\n' }]),
    ]);
    expect(() => read(tar)).toThrow(
      new InvalidBlobError('tar archive has two PAX extended headers (x) before one entry'),
    );
  });

  it.each([
    ['x', paxRecord('path', 'app/README.md')],
    ['L', 'app/README.md\0'],
    ['K', 'app/README.md\0'],
  ])(
    'should refuse a g header between an %s header and its entry (Go lists the g as an entry and drops what was pending)',
    (typeflag, content) => {
      const tar = Buffer.concat([
        extendedHeader(typeflag, content),
        extendedHeader('g', paxRecord('comment', 'c')),
        tarArchive([{ name: 'app/Chart.yaml', content: 'version: 9.9.9\n' }]),
      ]);
      expect(() => read(tar)).toThrow(
        new InvalidBlobError('tar archive has a global PAX header (g) between an extended header and its entry'),
      );
    },
  );

  it('should accept one x header per entry, entry after entry, and a g header before an x header', () => {
    const tar = Buffer.concat([
      extendedHeader('g', paxRecord('comment', 'c')),
      extendedHeader('x', paxRecord('path', 'app/a.yaml')),
      tarArchive([{ name: 'raw-a', content: '1' }]).subarray(0, -1024),
      extendedHeader('x', paxRecord('path', 'app/b.yaml')),
      tarArchive([{ name: 'raw-b', content: '2' }]),
    ]);
    expect(read(tar).map((e) => [e.path, contentOf(tar, e)])).toEqual([
      ['app/a.yaml', '1'],
      ['app/b.yaml', '2'],
    ]);
  });

  it('should join the ustar prefix field and the name field', () => {
    const tar = patchTarHeader(tarArchive([{ name: 'Chart.yaml', content: 'x' }]), 0, (block) =>
      block.write('prefix/dir', 345, 'ascii'),
    );
    expect(read(tar)[0]!.path).toBe('prefix/dir/Chart.yaml');
  });

  it('should read a 131-byte prefix in a star header (tar\\0 at its end), as Go does', () => {
    const prefix = 'p'.repeat(131);
    const tar = patchTarHeader(tarArchive([{ name: 'Chart.yaml', content: 'x' }]), 0, (block) => {
      block.write(prefix, 345, 'ascii');
      block.write('14560354444\0', 476, 'latin1');
      block.write('tar\0', 508, 'latin1');
    });
    expect(read(tar)[0]!.path).toBe(`${prefix}/Chart.yaml`);
  });

  it('should read a GNU base-256 size field', () => {
    const tar = patchTarHeader(tarArchive([{ name: 'a', content: 'abc' }]), 0, (block) => {
      block.fill(0, 124, 136);
      block[124] = 0x80;
      block[135] = 3;
    });
    expect(read(tar)[0]!.size).toBe(3);
  });

  it('should treat an untyped entry whose name ends in / as a directory', () => {
    const tar = patchTarHeader(tarArchive([{ name: 'old/', type: 'directory' }]), 0, (block) => {
      block[156] = 0;
    });
    expect(read(tar)[0]!.type).toBe('directory');
  });

  it('should flag names that are not valid UTF-8', () => {
    const tar = patchTarHeader(tarArchive([{ name: 'abc', content: 'x' }]), 0, (block) => {
      block[1] = 0xff;
    });
    expect(read(tar)[0]!.pathIsUtf8).toBe(false);
  });

  it('should accept an archive without the end-of-archive blocks', () => {
    const tar = tarArchive([{ name: 'a', content: 'x' }]);
    expect(read(tar.subarray(0, tar.length - 1024)).map((e) => e.path)).toEqual(['a']);
  });

  it('should stop at the first zero block and ignore record padding after it', () => {
    const tar = Buffer.concat([tarArchive([{ name: 'a', content: 'x' }]), Buffer.alloc(10240 - 2048)]);
    expect(read(tar)).toHaveLength(1);
  });

  it('should accept a lone zero block at the very end, as Go and GNU tar do', () => {
    const tar = tarArchive([{ name: 'a', content: 'x' }]);
    expect(read(tar.subarray(0, tar.length - 512)).map((e) => e.path)).toEqual(['a']);
  });

  it.each([
    ['one zero block', 512],
    ['the end-of-archive marker', 1024],
  ])('should refuse entries hidden after %s (GNU tar -i and tar-stream read them)', (_label, zeros) => {
    const first = tarArchive([{ name: 'a', content: 'x' }]);
    const hidden = tarArchive([{ name: 'link', type: 'symlink', linkname: '/etc/passwd' }]);
    const tar = Buffer.concat([first.subarray(0, first.length - 1024), Buffer.alloc(zeros), hidden]);
    expect(() => read(tar)).toThrow(new InvalidBlobError('tar archive has data after its end-of-archive marker'));
  });

  it('should refuse a non-zero byte anywhere in the padding after the end-of-archive marker', () => {
    const tar = Buffer.concat([tarArchive([{ name: 'a', content: 'x' }]), Buffer.alloc(4096)]);
    tar[tar.length - 1] = 1;
    expect(() => read(tar)).toThrow(new InvalidBlobError('tar archive has data after its end-of-archive marker'));
  });

  it('should return no entries for an archive of zero blocks', () => {
    expect(read(Buffer.alloc(1024))).toEqual([]);
    expect(read(Buffer.alloc(0))).toEqual([]);
  });

  it('should accept a checksum computed over signed bytes', () => {
    const tar = patchTarHeader(tarArchive([{ name: 'a', content: 'x' }]), 0, (block) => {
      block.write('é', 1, 'utf8');
    });
    let signed = 0;
    for (let i = 0; i < 512; i++) {
      const byte = i >= 148 && i < 156 ? 0x20 : tar[i]!;
      signed += byte > 127 ? byte - 256 : byte;
    }
    tar.write(signed.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
    expect(read(tar)[0]!.path).toBe('aé');
  });

  describe('damaged archives', () => {
    const tar = tarArchive([
      { name: 'app/Chart.yaml', content: 'name: app\nversion: 1.0.0\n' },
      { name: 'app/values.yaml', content: 'x'.repeat(2000) },
    ]);

    it('should throw "not a tar archive" when the first header is not a tar header', () => {
      expect(() => read(Buffer.from('hello world'.repeat(100)))).toThrow(new InvalidBlobError('not a tar archive'));
    });

    it('should throw for a bad checksum in a later header', () => {
      const damaged = Buffer.from(tar);
      damaged[1024 + 5] ^= 0x01;
      expect(() => read(damaged)).toThrow(new InvalidBlobError('tar header 2 has a bad checksum'));
    });

    it('should throw when the data of an entry is cut short', () => {
      expect(() => read(tar.subarray(0, 1024 + 512 + 1000))).toThrow(
        new InvalidBlobError('tar archive is truncated inside an entry'),
      );
    });

    it('should throw when a header is cut short', () => {
      expect(() => read(tar.subarray(0, 1024 + 100))).toThrow(
        new InvalidBlobError('tar archive is truncated inside a header'),
      );
    });

    it('should throw for a malformed numeric field', () => {
      const damaged = patchTarHeader(tar, 0, (block) => block.write('12x4', 124, 'ascii'));
      expect(() => read(damaged)).toThrow(InvalidBlobError);
    });

    it('should throw for a malformed PAX record', () => {
      const withPax = tarArchive([{ name: 'a', content: 'x', pax: { comment: 'hi' } }]);
      const damaged = Buffer.from(withPax);
      damaged.write('99', 512, 'ascii');
      expect(() => read(damaged)).toThrow(new InvalidBlobError('tar archive has a malformed PAX header'));
    });

    it.each(['x', 'g'])('should throw when an extended header (%s) is not followed by an entry', (typeflag) => {
      const withPax = patchTarHeader(tarArchive([{ name: 'a', content: 'x', pax: { comment: 'hi' } }]), 0, (block) =>
        block.write(typeflag, 156, 'ascii'),
      );
      expect(() => read(Buffer.concat([withPax.subarray(0, 1024), Buffer.alloc(1024)]))).toThrow(
        new InvalidBlobError('tar archive ends with an extended header but no entry'),
      );
    });
  });
});
