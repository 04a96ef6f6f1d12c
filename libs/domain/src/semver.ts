/**
 * Releases are strict SemVer 2.0.0 (https://semver.org): `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`,
 * no `v` prefix, no leading zeros in numeric identifiers, all three numbers present. This is what
 * the reference server's `semantic_version.Version(release)` accepts on push.
 *
 * Release queries (the `{release}` path segment of pulls and shows) follow the reference server's
 * `PackageBase.get_release`, which hands them to python-semantic_version's `Spec`; the rules are
 * documented on `resolveReleaseQuery`.
 */
import { InvalidReleaseError } from './errors';

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  /** Numeric identifiers as numbers, alphanumeric ones as strings; empty for a normal version. */
  prerelease: (string | number)[];
  build: string[];
  /** The text as given; used to break precedence ties so that ordering is total. */
  raw: string;
}

export const MAX_RELEASE_LENGTH = 128;
const MAX_QUERY_LENGTH = 512;

const NUMBER = '0|[1-9]\\d*';
const IDENTIFIER = '[0-9A-Za-z-]+';
const DOTTED_IDENTIFIERS = `${IDENTIFIER}(?:\\.${IDENTIFIER})*`;
const SEMVER = new RegExp(
  `^(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${DOTTED_IDENTIFIERS}))?(?:\\+(${DOTTED_IDENTIFIERS}))?$`,
);
const NUMERIC_IDENTIFIER = /^\d+$/;

/** Parses strict SemVer 2.0.0; null for anything else, including numbers beyond 2^53 - 1. */
export function parseSemVer(text: string): SemVer | null {
  if (typeof text !== 'string' || text.length > MAX_RELEASE_LENGTH) return null;
  const match = SEMVER.exec(text);
  if (!match) return null;
  const [, majorText, minorText, patchText, prereleaseText, buildText] = match;
  const core = [majorText, minorText, patchText].map(Number);
  if (!core.every(Number.isSafeInteger)) return null;
  const prerelease = prereleaseText === undefined ? [] : parsePrerelease(prereleaseText);
  if (prerelease === null) return null;
  const [major, minor, patch] = core as [number, number, number];
  return { major, minor, patch, prerelease, build: buildText === undefined ? [] : buildText.split('.'), raw: text };
}

/** Numeric pre-release identifiers must not have leading zeros and must be safe integers. */
function parsePrerelease(text: string): (string | number)[] | null {
  const identifiers: (string | number)[] = [];
  for (const part of text.split('.')) {
    if (!NUMERIC_IDENTIFIER.test(part)) {
      identifiers.push(part);
      continue;
    }
    const value = Number(part);
    if ((part.length > 1 && part.startsWith('0')) || !Number.isSafeInteger(value)) return null;
    identifiers.push(value);
  }
  return identifiers;
}

/** The push-time check: returns the release if it is a strict SemVer string. */
export function assertRelease(text: unknown): string {
  if (typeof text !== 'string') throw new InvalidReleaseError(String(text), 'release must be a string');
  if (text.length > MAX_RELEASE_LENGTH) {
    throw new InvalidReleaseError(text, `release must be at most ${MAX_RELEASE_LENGTH} characters`);
  }
  if (parseSemVer(text) === null) {
    throw new InvalidReleaseError(text, 'release must be a SemVer 2.0.0 version such as 1.2.3 or 1.2.3-rc.1');
  }
  return text;
}

/**
 * SemVer §11 precedence (build metadata ignored), then the raw text, so that distinct versions
 * never compare equal and sorting is deterministic.
 */
export function compareSemVer(a: SemVer, b: SemVer): number {
  return comparePrecedence(a, b) || compareText(a.raw, b.raw);
}

function comparePrecedence(a: SemVer, b: SemVer): number {
  return (
    compareNumbers(a.major, b.major) ||
    compareNumbers(a.minor, b.minor) ||
    compareNumbers(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/** A version without pre-release identifiers ranks above any pre-release of the same core. */
function comparePrerelease(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  if (a.length === 0 || b.length === 0) return compareNumbers(b.length, a.length);
  const shared = Math.min(a.length, b.length);
  for (let i = 0; i < shared; i++) {
    const order = compareIdentifier(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return compareNumbers(a.length, b.length);
}

/** Numeric identifiers rank below alphanumeric ones; alphanumerics compare in ASCII order. */
function compareIdentifier(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return compareNumbers(a, b);
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return compareText(a, b);
}

function compareNumbers(a: number, b: number): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Highest first. Strings that are not SemVer (never stored, but tolerated) sort last, by text. */
export function sortReleasesDescending(releases: readonly string[]): string[] {
  const parsed = releases.map((raw) => ({ raw, version: parseSemVer(raw) }));
  return parsed.sort(compareParsedDescending).map((entry) => entry.raw);
}

/** The order of `sortReleasesDescending` for two releases: negative when `a` comes first (a total order). */
export function compareReleasesDescending(a: string, b: string): number {
  return compareParsedDescending({ raw: a, version: parseSemVer(a) }, { raw: b, version: parseSemVer(b) });
}

function compareParsedDescending(
  a: { raw: string; version: SemVer | null },
  b: { raw: string; version: SemVer | null },
): number {
  if (a.version && b.version) return compareSemVer(b.version, a.version);
  if (a.version) return -1;
  if (b.version) return 1;
  return compareText(a.raw, b.raw);
}

// ---------------------------------------------------------------------------------------------
// Release queries
// ---------------------------------------------------------------------------------------------

type Operator = '==' | '!=' | '<' | '<=' | '>' | '>=' | '^' | '~' | '~=';

/** One comparison against a full target; `exactBuild` makes `==`/`!=` also compare build metadata. */
interface Bound {
  op: '==' | '!=' | '<' | '<=' | '>' | '>=';
  target: SemVer;
  /** `<1.2.3-` and `!=1.2.3-`: pre-releases of 1.2.3 count as below / different from 1.2.3. */
  prereleasesOfTargetCount: boolean;
  exactBuild: boolean;
}

/** A version matches a clause if it matches every bound of any one alternative. */
type Clause = Bound[][];

const CLAUSE = new RegExp(
  '^(==|=|!=|<=|<|>=|>|\\^|~=|~)?' +
    `(${NUMBER})(?:\\.(${NUMBER})(?:\\.(${NUMBER}))?)?` +
    `(?:-((?:${DOTTED_IDENTIFIERS})?))?` +
    `(?:\\+((?:${DOTTED_IDENTIFIERS})?))?$`,
);

/**
 * Resolves a release query against the stored releases, as the reference server does.
 *
 * - `undefined`, `''` and `default` select the highest release, pre-releases included.
 * - Anything else is a comma-separated list of clauses that must all match (spaces are ignored).
 *   A clause is an optional operator (`==`, `=`, `!=`, `<`, `<=`, `>`, `>=`, `^`, `~`, `~=`; none
 *   means `==`) and a version that may be partial (`1`, `1.5`) or `*` (any version). Partial
 *   versions cover a range: `1.5` and `==1.5` mean `>=1.5.0,<1.6.0`, `>1.5` means `>=1.6.0`,
 *   `<=1.5` means `<1.6.0`, `!=1.5` means outside `[1.5.0, 1.6.0)`. `^1.2.3` is `[1.2.3, 2.0.0)`,
 *   `^0.2.3` is `[0.2.3, 0.3.0)`, `^0.0.3` is `[0.0.3, 0.0.4)`; `~1.2.3` and `~1.2` are
 *   `[1.2.x, 1.3.0)`, `~1` is `[1.0.0, 2.0.0)`; `~=1.4.5` is `[1.4.5, 1.5.0)`, `~=1.4` and `~=1`
 *   are `[1.x, 2.0.0)`. Pre-release and build parts are only allowed after a full version, and
 *   build parts only with `==` and `!=`.
 * - `<X.Y.Z` does not match pre-releases of X.Y.Z (so `<2.0.0` excludes `2.0.0-rc.1`); write
 *   `<X.Y.Z-` to include them.
 * - Pre-release versions are only candidates when the query contains `-`.
 *
 * Returns the highest matching release, or null if none matches. Throws InvalidReleaseError when
 * the query cannot be parsed.
 */
export function resolveReleaseQuery(query: string | undefined, releases: readonly string[]): string | null {
  if (query === undefined || query === '' || query === 'default') return highest(parseAll(releases));
  // The common query, a release named in full without build metadata, is `==` it: equal
  // precedence, which among strict SemVer texts means the same text up to a `+build`. Only
  // those releases need parsing; the answer is the one the general rule below gives.
  if (!query.includes('+') && parseSemVer(query) !== null)
    return highest(parseAll(releases.filter((r) => r === query || r.startsWith(`${query}+`))));
  const candidates = parseAll(releases);
  const clauses = parseQuery(query);
  const includePrereleases = query.includes('-');
  const matches = (v: SemVer): boolean => clauses.every((clause) => clauseMatches(clause, v));
  return highest(candidates.filter((v) => (includePrereleases || v.prerelease.length === 0) && matches(v)));
}

/**
 * `resolveReleaseQuery(query, releases)` over releases sorted highest first (as
 * `sortReleasesDescending` sorts them, the order of a package head's release index), with the
 * same answer. The default query takes the first release, and a release named in full without
 * build metadata is found by binary search (equal precedence means the same text up to a
 * `+build`, and the highest of those comes first): a handful of parses, not one per release,
 * so a show of one release costs the same in a package of 100,000. Other queries read every
 * release, as `resolveReleaseQuery` does.
 */
export function resolveReleaseQuerySorted(query: string | undefined, sortedDesc: readonly string[]): string | null {
  if (query === undefined || query === '' || query === 'default') {
    // Texts that are not SemVer sort last: the first release is the highest if any is SemVer.
    const first = sortedDesc[0];
    return first !== undefined && parseSemVer(first) !== null ? first : null;
  }
  const target = query.includes('+') ? null : parseSemVer(query);
  if (target === null) return resolveReleaseQuery(query, sortedDesc);
  let low = 0;
  let high = sortedDesc.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const version = parseSemVer(sortedDesc[middle]!);
    if (version !== null && comparePrecedence(version, target) > 0) low = middle + 1;
    else high = middle;
  }
  const found = low < sortedDesc.length ? parseSemVer(sortedDesc[low]!) : null;
  return found !== null && comparePrecedence(found, target) === 0 ? found.raw : null;
}

function parseAll(releases: readonly string[]): SemVer[] {
  return releases.map(parseSemVer).filter((v): v is SemVer => v !== null);
}

function highest(versions: SemVer[]): string | null {
  let best: SemVer | null = null;
  for (const version of versions) if (best === null || compareSemVer(version, best) > 0) best = version;
  return best?.raw ?? null;
}

function parseQuery(query: string): Clause[] {
  if (typeof query !== 'string' || query.length > MAX_QUERY_LENGTH) {
    throw new InvalidReleaseError(
      String(query).slice(0, MAX_QUERY_LENGTH),
      `query must be at most ${MAX_QUERY_LENGTH} characters`,
    );
  }
  return query
    .replace(/ /g, '')
    .split(',')
    .map((text) => parseClause(text, query));
}

function parseClause(text: string, query: string): Clause {
  if (text === '*') return [[]];
  const match = CLAUSE.exec(text);
  if (!match) throw new InvalidReleaseError(query, `'${text}' is not a version requirement such as >=1.2.0 or ^1.2`);
  const [, opText, majorText, minorText, patchText, prereleaseText, buildText] = match;
  const op = normaliseOperator(opText);
  const partial = minorText === undefined ? 'major' : patchText === undefined ? 'minor' : null;
  if (partial && (prereleaseText !== undefined || buildText !== undefined)) {
    throw new InvalidReleaseError(query, `'${text}': pre-release and build parts need a full version`);
  }
  if (buildText !== undefined && op !== '==' && op !== '!=') {
    throw new InvalidReleaseError(query, `'${text}': build metadata has no ordering, use it only with == or !=`);
  }
  const target = parseSemVer(fullVersionText(majorText!, minorText, patchText, prereleaseText, buildText));
  if (!target) throw new InvalidReleaseError(query, `'${text}' is not a valid version`);
  const shape: ClauseShape = {
    op,
    target,
    partial,
    emptyPrerelease: prereleaseText === '',
    hasBuild: buildText !== undefined,
  };
  return expandClause(shape);
}

interface ClauseShape {
  op: Operator;
  /** The version with missing parts filled with zeros and any empty `-`/`+` dropped. */
  target: SemVer;
  /** Which part the query stopped at, or null for a full version. */
  partial: 'major' | 'minor' | null;
  emptyPrerelease: boolean;
  hasBuild: boolean;
}

function normaliseOperator(text: string | undefined): Operator {
  return text === undefined || text === '=' ? '==' : (text as Operator);
}

function fullVersionText(major: string, minor = '0', patch = '0', prerelease?: string, build?: string): string {
  return `${major}.${minor}.${patch}${prerelease ? `-${prerelease}` : ''}${build ? `+${build}` : ''}`;
}

/** Turns one clause into bounds, following python-semantic_version's `SimpleSpec` rules. */
function expandClause({ op, target, partial, emptyPrerelease, hasBuild }: ClauseShape): Clause {
  const bound = (boundOp: Bound['op'], version: SemVer, prereleasesOfTargetCount = false): Bound => ({
    op: boundOp,
    target: version,
    prereleasesOfTargetCount,
    exactBuild: hasBuild && (boundOp === '==' || boundOp === '!='),
  });
  const range = (upper: SemVer): Clause => [[bound('>=', target), bound('<', upper)]];
  const nextOfPartial = partial === 'major' ? nextMajor(target) : nextMinor(target);
  switch (op) {
    case '==':
      return partial ? range(nextOfPartial) : [[bound('==', target)]];
    case '!=':
      return partial ? [[bound('<', target)], [bound('>=', nextOfPartial)]] : [[bound('!=', target, emptyPrerelease)]];
    case '>':
      return partial ? [[bound('>=', nextOfPartial)]] : [[bound('>', target)]];
    case '>=':
      return [[bound('>=', target)]];
    case '<':
      return [[bound('<', target, emptyPrerelease)]];
    case '<=':
      return partial ? [[bound('<', nextOfPartial)]] : [[bound('<=', target)]];
    case '^':
      return range(target.major !== 0 ? nextMajor(target) : target.minor !== 0 ? nextMinor(target) : nextPatch(target));
    case '~':
      return range(partial === 'major' ? nextMajor(target) : nextMinor(target));
    case '~=':
      return range(partial ? nextMajor(target) : nextMinor(target));
    default:
      return assertNever(op);
  }
}

function nextMajor(v: SemVer): SemVer {
  return core(v.major + 1, 0, 0);
}

function nextMinor(v: SemVer): SemVer {
  return core(v.major, v.minor + 1, 0);
}

function nextPatch(v: SemVer): SemVer {
  return core(v.major, v.minor, v.patch + 1);
}

function core(major: number, minor: number, patch: number): SemVer {
  return { major, minor, patch, prerelease: [], build: [], raw: `${major}.${minor}.${patch}` };
}

function clauseMatches(clause: Clause, version: SemVer): boolean {
  return clause.some((alternative) => alternative.every((b) => boundMatches(b, version)));
}

function boundMatches(bound: Bound, version: SemVer): boolean {
  const order = comparePrecedence(version, bound.target);
  // `<1.2.3` and `!=1.2.3` leave out 1.2.3-rc.1 unless written `<1.2.3-` / `!=1.2.3-`.
  const naturalPrerelease =
    !bound.prereleasesOfTargetCount &&
    version.prerelease.length > 0 &&
    bound.target.prerelease.length === 0 &&
    sameCore(version, bound.target);
  switch (bound.op) {
    case '==':
      return order === 0 && (!bound.exactBuild || sameBuild(version, bound.target));
    case '!=':
      if (naturalPrerelease) return false;
      return order !== 0 || (bound.exactBuild && !sameBuild(version, bound.target));
    case '<':
      return !naturalPrerelease && order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    case '>=':
      return order >= 0;
    default:
      return assertNever(bound.op);
  }
}

function sameCore(a: SemVer, b: SemVer): boolean {
  return a.major === b.major && a.minor === b.minor && a.patch === b.patch;
}

function sameBuild(a: SemVer, b: SemVer): boolean {
  return a.build.join('.') === b.build.join('.');
}

function assertNever(value: never): never {
  throw new Error(`unexpected value ${String(value)}`);
}

// ---------------------------------------------------------------------------------------------
// Sort keys
// ---------------------------------------------------------------------------------------------

/**
 * A text whose binary order is the order of `compareReleasesDescending`, reversed: the higher
 * release has the greater key (SemVer precedence, then the raw text). For stores that sort
 * releases themselves (an index over a column, a keyword field). Strings that are not SemVer
 * (never stored) get keys below every SemVer one, by text.
 *
 * Numbers are their digits behind a two-digit length; a pre-release is `-`, then each
 * identifier (`0` and the number for a numeric one, `1` and the text for others) closed by `!`,
 * then `#`; a release without one is `~`, above `-`. The raw text follows a space.
 */
export function releaseSortKey(release: string): string {
  const version = parseSemVer(release);
  if (!version) return ` ${release}`;
  const num = (n: number) => String(n).length.toString().padStart(2, '0') + String(n);
  const core = `${num(version.major)}.${num(version.minor)}.${num(version.patch)}`;
  const pre =
    version.prerelease.length === 0
      ? '~'
      : '-' + version.prerelease.map((id) => (typeof id === 'number' ? `0${num(id)}!` : `1${id}!`)).join('') + '#';
  return `${core}${pre} ${release}`;
}
