/**
 * The hostile tar corpus: archives that every part of Wharf must refuse (the inspector's unit
 * spec, the push routes over HTTP in test/e2e/bad-input) and that test/clients/go-tar reads with
 * Go's archive/tar, the reader Helm uses, to show what they would have smuggled past a reader
 * that disagrees with Go. Next to it, well-formed archives in the unusual shapes real tools write,
 * which every reader must accept and list alike. Each archive is a valid chart apart from its
 * one defect, so a reader that misses the defect accepts it. Built in memory, as tar (not gzip).
 */
import { chartEntries, paxRecord, patchTarHeader, tarArchive, type ArchiveEntry } from './chart-archive.factory';

/** The error code Wharf answers: 422 for an entry it judged unsafe, 400 for a tar that readers read differently. */
export type TarRefusal = 'unsafe-archive' | 'invalid-blob';

export interface HostileTar {
  label: string;
  tar: Buffer;
  refusal: TarRefusal;
}

export interface WellFormedTar {
  label: string;
  tar: Buffer;
}

export interface TarCorpusOptions {
  /** The chart (and top directory) name; `app` by default. */
  chart?: string;
  /** Makes the archives of one call differ in bytes from every other call's. */
  salt?: string;
}

const BLOCK = 512;
const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);

/** A tar's headers and data without its end-of-archive blocks, for splicing. */
function withoutEnd(tar: Buffer): Buffer {
  return tar.subarray(0, tar.length - END_OF_ARCHIVE.length);
}

/** Extended-header blocks (typeflag `x` or `g`) carrying `records`, under the raw name `name`. */
function extendedHeader(typeflag: 'x' | 'g', name: string, records: Record<string, string>): Buffer {
  const data = Object.entries(records)
    .map(([key, value]) => paxRecord(key, value))
    .join('');
  return withoutEnd(tarArchive([{ name, content: data, typeflag }]));
}

/** One entry (its last header, after any PAX header) written with a raw ustar name (which the factory never writes over 100 bytes or with a prefix). */
function withRawName(entry: ArchiveEntry, rawName: string): Buffer {
  const tar = withoutEnd(tarArchive([{ ...entry, name: 'placeholder' }]));
  return patchTarHeader(tar, tar.length - blocksOf(entry) * BLOCK, (block) => {
    block.fill(0, 0, 100);
    block.write(rawName, 0, 'utf8');
  });
}

function blocksOf(entry: ArchiveEntry): number {
  const size = entry.type === undefined || entry.type === 'file' ? Buffer.byteLength(entry.content ?? '') : 0;
  return 1 + Math.ceil(size / BLOCK);
}

/** Entries that are unsafe on their own: every reader agrees on their names; Wharf refuses them. */
function unsafeEntries(chart: string): Array<[string, ArchiveEntry]> {
  return [
    ['an absolute path', { name: '/etc/cron.d/evil', content: '* * * * * root id\n' }],
    ['a path escaping with ..', { name: `${chart}/../../evil.sh`, content: 'id\n' }],
    ['a path starting with ..', { name: '../evil.sh', content: 'id\n' }],
    [
      'a long (PAX) path escaping with ..',
      { name: `${chart}/${'a'.repeat(120)}/../../../../evil.sh`, content: 'id\n' },
    ],
    ['an absolute symlink', { name: `${chart}/templates/passwd.yaml`, type: 'symlink', linkname: '/etc/passwd' }],
    ['a relative symlink', { name: `${chart}/templates/up.yaml`, type: 'symlink', linkname: '../../../etc/passwd' }],
    ['a hardlink', { name: `${chart}/templates/copy.yaml`, type: 'hardlink', linkname: `${chart}/Chart.yaml` }],
    ['a character device', { name: `${chart}/tty`, type: 'char-device' }],
    ['a block device', { name: `${chart}/sda`, type: 'block-device' }],
    ['a fifo', { name: `${chart}/pipe`, type: 'fifo' }],
  ];
}

/**
 * The chart with a second Chart.yaml (version 9.9.9) smuggled behind extended headers: the first
 * entry holds the other Chart.yaml under the ustar name `Chart.yaml`, its `x` header renames it
 * README.md; the next entry holds the real Chart.yaml under the ustar name NOTES.md, its `x` header
 * renames it Chart.yaml. Between each `x` header and its entry sits `between` (a second `x`, or a
 * `g`), after which Go no longer applies the renaming `x`: Wharf read the real chart, Go and Helm
 * load version 9.9.9.
 */
function chartYamlSwappedBehind(between: Buffer, chart: string, salt: string | undefined): Buffer {
  const [directory, realChartYaml, ...rest] = chartEntries({ name: chart, salt });
  const otherChartYaml = chartEntries({ name: chart, version: '9.9.9', salt })[1]!;
  const renamed = (path: string, entry: ArchiveEntry) =>
    Buffer.concat([
      extendedHeader('x', `${chart}/PaxHeaders/${path}`, { path: `${chart}/${path}` }),
      between,
      withoutEnd(tarArchive([entry])),
    ]);
  return Buffer.concat([
    withoutEnd(tarArchive([directory!])),
    renamed('README.md', otherChartYaml),
    renamed('Chart.yaml', { ...realChartYaml!, name: `${chart}/NOTES.md` }),
    withoutEnd(tarArchive(rest)),
    END_OF_ARCHIVE,
  ]);
}

export function hostileTars(options: TarCorpusOptions = {}): HostileTar[] {
  const chart = options.chart ?? 'app';
  const valid = withoutEnd(tarArchive(chartEntries({ name: chart, salt: options.salt })));
  const hidden = withoutEnd(
    tarArchive([
      { name: `${chart}/templates/passwd.yaml`, type: 'symlink', linkname: '/etc/passwd' },
      { name: '../evil.sh', content: 'id\n' },
    ]),
  );
  const escape = '../../../tmp/wharf-escape';
  return [
    ...unsafeEntries(chart).map(([label, entry]): HostileTar => ({
      label,
      tar: tarArchive([...chartEntries({ name: chart, salt: options.salt }), entry]),
      refusal: 'unsafe-archive',
    })),
    {
      // GNU `tar -i` and tar-stream read on past a single zero block; Go refuses the archive.
      label: 'a zero block hiding a symlink to /etc/passwd and a ../ entry',
      tar: Buffer.concat([valid, Buffer.alloc(BLOCK), hidden, END_OF_ARCHIVE]),
      refusal: 'invalid-blob',
    },
    {
      label: 'entries after the end-of-archive marker',
      tar: Buffer.concat([valid, END_OF_ARCHIVE, hidden, END_OF_ARCHIVE]),
      refusal: 'invalid-blob',
    },
    {
      // Go lists the global header itself as an entry named by its `path`.
      label: `a global PAX header whose path Go reads as ${escape}`,
      tar: Buffer.concat([valid, extendedHeader('g', 'pax_global_header', { path: escape }), END_OF_ARCHIVE]),
      refusal: 'invalid-blob',
    },
    {
      // GNU tar applies the global path to the next entry; Go reads the entry's own name.
      label: `a safe global PAX path over an entry whose own name is ${escape}`,
      tar: Buffer.concat([
        valid,
        extendedHeader('g', 'pax_global_header', { path: `${chart}/notes.txt` }),
        withRawName({ name: '', content: 'x\n' }, escape),
        END_OF_ARCHIVE,
      ]),
      refusal: 'invalid-blob',
    },
    {
      // Go, GNU tar and tar-stream read the PAX path; a reader without PAX support the raw name.
      label: `a safe PAX path over a raw ustar name ${escape}`,
      tar: Buffer.concat([
        valid,
        withRawName({ name: '', content: 'x\n', pax: { path: `${chart}/notes.txt` } }, escape),
        END_OF_ARCHIVE,
      ]),
      refusal: 'unsafe-archive',
    },
    {
      // Go takes the GNU long name over the PAX path.
      label: 'a PAX path and a GNU long name that differ',
      tar: Buffer.concat([
        valid,
        extendedHeader('x', 'PaxHeader', { path: `${chart}/notes.txt` }),
        withoutEnd(tarArchive([{ name: `${escape}/${'l'.repeat(100)}`, content: 'x\n' }], { longNames: 'gnu' })),
        END_OF_ARCHIVE,
      ]),
      refusal: 'invalid-blob',
    },
    {
      // Go renames a PAX GNU sparse file to its `GNU.sparse.name`.
      label: `a PAX GNU sparse file that Go renames to ${escape}`,
      tar: Buffer.concat([
        valid,
        extendedHeader('x', 'PaxHeader', {
          'GNU.sparse.major': '1',
          'GNU.sparse.minor': '0',
          'GNU.sparse.name': escape,
          'GNU.sparse.realsize': '2',
        }),
        withoutEnd(tarArchive([{ name: `${chart}/GNUSparseFile.0/notes.txt`, content: '1\n2\n' }])),
        END_OF_ARCHIVE,
      ]),
      refusal: 'invalid-blob',
    },
    {
      // Go keeps only the last `x` header's records (tar-stream merges them).
      label: 'two x headers in a row, whose first renames a second Chart.yaml (version 9.9.9) that Go reads',
      tar: chartYamlSwappedBehind(
        extendedHeader('x', `${chart}/PaxHeaders/comment`, { comment: 'second x header' }),
        chart,
        options.salt,
      ),
      refusal: 'invalid-blob',
    },
    {
      // Go lists the `g` header as an entry and drops the `x` before it.
      label: 'a g header between an x header and its entry, hiding a second Chart.yaml (version 9.9.9) that Go reads',
      tar: chartYamlSwappedBehind(extendedHeader('g', 'pax_global_header', { comment: 'global' }), chart, options.salt),
      refusal: 'invalid-blob',
    },
    {
      // A reader that does not know typeflag `x` extracts the header as a file under its own name.
      label: `an extended header named ${escape}`,
      tar: Buffer.concat([
        valid,
        extendedHeader('x', escape, { mtime: '1700000000' }),
        withoutEnd(tarArchive([{ name: `${chart}/notes.txt`, content: 'x\n' }])),
        END_OF_ARCHIVE,
      ]),
      refusal: 'unsafe-archive',
    },
  ];
}

/** Archives in the shapes real tools write; every reader must accept them and list the same entries. */
export function wellFormedTars(options: TarCorpusOptions = {}): WellFormedTar[] {
  const chart = options.chart ?? 'app';
  const entries = chartEntries({ name: chart, salt: options.salt });
  const plain = tarArchive(entries);
  const long = `${chart}/templates/${'long-directory-name/'.repeat(6)}deployment.yaml`;
  return [
    { label: 'a plain chart', tar: plain },
    { label: 'PAX long names', tar: tarArchive([...entries, { name: long, content: 'kind: Deployment\n' }]) },
    {
      label: 'GNU long names',
      tar: tarArchive([...entries, { name: long, content: 'kind: Deployment\n' }], { longNames: 'gnu' }),
    },
    {
      label: 'a git archive global comment header',
      tar: Buffer.concat([extendedHeader('g', 'pax_global_header', { comment: 'f'.repeat(40) }), plain]),
    },
    {
      label: 'record padding after the end-of-archive marker',
      tar: Buffer.concat([plain, Buffer.alloc(10240 - (plain.length % 10240))]),
    },
    { label: 'a lone zero block at the end', tar: Buffer.concat([withoutEnd(plain), Buffer.alloc(BLOCK)]) },
    { label: 'no end-of-archive marker', tar: withoutEnd(plain) },
    {
      label: 'a ustar prefix field',
      tar: patchTarHeader(plain, plain.length - END_OF_ARCHIVE.length - 2 * BLOCK, (block) => {
        block.fill(0, 0, 100);
        block.write('deployment.yaml', 0, 'utf8');
        block.write(`${chart}/templates`, 345, 'utf8');
      }),
    },
    {
      // Schily's star format: a 131-byte prefix, then times, then `tar\0` at the end of the block.
      label: 'a star header with times right after a full 131-byte prefix',
      tar: patchTarHeader(plain, plain.length - END_OF_ARCHIVE.length - 2 * BLOCK, (block) => {
        block.fill(0, 0, 100);
        block.write('deployment.yaml', 0, 'utf8');
        block.fill(0, 345, 512);
        block.write(`${chart}/${'s'.repeat(131 - chart.length - 1)}`, 345, 'utf8');
        block.write('14560354444\0', 476, 'latin1');
        block.write('14560354444\0', 488, 'latin1');
        block.write('tar\0', 508, 'latin1');
      }),
    },
  ];
}
