/**
 * Wharf's tar reader against Go's archive/tar, the reader Helm unpacks charts with: every archive
 * of the hostile corpus and of the well-formed one (libs/testing tar-corpus.factory) and a few
 * that GNU tar writes, read by both. Whatever Wharf ACCEPTS must have, as Go reads it, exactly the
 * entries Wharf saw (names and types) and only safe ones: no absolute name, no `..` segment, no
 * backslash, nothing but files and directories (and the global headers Go lists as entries, which
 * must be safely named too). Go reading an archive differently from Wharf is how hostile entries
 * reach a Helm user; the unit specs only ask Wharf's own reader. No server is involved; the suite
 * lives with the other real clients so it builds its Go program the same way (go-appr.e2e.spec.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { inspectArchive, readTarEntries, type ArchiveLimits } from '@wharf/domain';
import { hostileTars, wellFormedTars } from '@wharf/testing';
import { CACHE, CLIENTS_DIR, INSTALL_TIMEOUT_MS, runOk, tempDir } from './support/clients';

const BIN = join(CACHE, 'bin', 'wharf-go-tar');
const LIMITS: ArchiveLimits = {
  maxBlobBytes: 8 * 1024 * 1024,
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxExpansionRatio: 200,
  maxEntries: 1000,
};

interface GoEntry {
  name: string;
  typeflag: string;
  linkname: string;
  size: number;
}

interface GoListing {
  file: string;
  entries: GoEntry[];
  error: string | null;
}

interface Case {
  label: string;
  tar: Buffer;
}

/** Archives GNU tar writes (its default format, with GNU long names, and PAX). */
function gnuTarArchives(dir: string): Case[] {
  const chart = join(dir, 'src', 'gnu');
  mkdirSync(join(chart, 'templates', 'a-directory-name-long-enough-to-need-an-extended-header-in-any-format'), {
    recursive: true,
  });
  writeFileSync(join(chart, 'Chart.yaml'), 'apiVersion: v2\nname: gnu\nversion: 1.0.0\n');
  writeFileSync(
    join(
      chart,
      'templates',
      'a-directory-name-long-enough-to-need-an-extended-header-in-any-format',
      'configmap-with-a-long-name-too.yaml',
    ),
    'kind: ConfigMap\n',
  );
  return ['gnu', 'pax'].map((format) => {
    const out = join(dir, `gnu-tar-${format}.tgz`);
    execFileSync('tar', [`--format=${format}`, '-czf', out, '-C', join(dir, 'src'), 'gnu']);
    return { label: `GNU tar --format=${format}`, tar: gunzipSync(readFileSync(out)) };
  });
}

/** What a client unpacking into a directory must never be given. */
function unsafeNameReason(name: string): string | null {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'absolute';
  if (name.split('/').includes('..')) return "'..' segment";
  if (name.includes('\\')) return 'backslash';
  return null;
}

const GO_FILE_TYPES = new Set(['0', '\0', '7']);

function goEntryType(typeflag: string): string {
  if (GO_FILE_TYPES.has(typeflag)) return 'file';
  if (typeflag === '5') return 'directory';
  return `typeflag ${JSON.stringify(typeflag)}`;
}

function wharfAccepts(tar: Buffer): boolean {
  try {
    inspectArchive(gzipSync(tar), LIMITS);
    return true;
  } catch {
    return false;
  }
}

let cases: Case[];
let listings: GoListing[];

beforeAll(async () => {
  await runOk('go', ['build', '-o', BIN, '.'], {
    cwd: join(CLIENTS_DIR, 'go-tar'),
    env: { GOMODCACHE: join(CACHE, 'gomod'), GOFLAGS: '-modcacherw -mod=readonly', GOTOOLCHAIN: 'local' },
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
  const dir = tempDir('go-tar');
  cases = [...hostileTars(), ...wellFormedTars(), ...gnuTarArchives(dir)];
  const files = cases.map((c, i) => {
    const file = join(dir, `${i}.tar`);
    writeFileSync(file, c.tar);
    return file;
  });
  // One process for the whole corpus; GODEBUG keeps Go listing names it considers insecure.
  listings = JSON.parse((await runOk(BIN, files, { env: { GODEBUG: 'tarinsecurepath=1' } })).stdout) as GoListing[];
}, INSTALL_TIMEOUT_MS);

it('should have Go read the corpus', () => {
  expect(listings).toHaveLength(cases.length);
  // The corpus keeps archives on both sides, or the check below would hold vacuously.
  expect(cases.filter((c) => wharfAccepts(c.tar)).length).toBeGreaterThanOrEqual(wellFormedTars().length);
  expect(hostileTars().every((c) => !wharfAccepts(c.tar))).toBe(true);
});

it('should give every archive Wharf accepts, read by Go, the same entries as Wharf and only safe ones', () => {
  const problems: string[] = [];
  cases.forEach((c, i) => {
    if (!wharfAccepts(c.tar)) return;
    const go = listings[i]!;
    if (go.error !== null) problems.push(`${c.label}: Go refuses what Wharf accepted (${go.error})`);
    for (const entry of go.entries) {
      const reason = unsafeNameReason(entry.name);
      if (reason) problems.push(`${c.label}: Go sees the name ${JSON.stringify(entry.name)} (${reason})`);
      if (entry.typeflag !== 'g' && !GO_FILE_TYPES.has(entry.typeflag) && entry.typeflag !== '5') {
        problems.push(`${c.label}: Go sees ${JSON.stringify(entry.name)} as ${goEntryType(entry.typeflag)}`);
      }
    }
    const seenByGo = go.entries.filter((e) => e.typeflag !== 'g').map((e) => `${goEntryType(e.typeflag)} ${e.name}`);
    const seenByWharf = [...readTarEntries(c.tar)].map((e) => `${e.type} ${e.path}`);
    if (JSON.stringify(seenByGo) !== JSON.stringify(seenByWharf)) {
      problems.push(`${c.label}: Go sees ${JSON.stringify(seenByGo)}, Wharf saw ${JSON.stringify(seenByWharf)}`);
    }
  });
  expect(problems).toEqual([]);
});
