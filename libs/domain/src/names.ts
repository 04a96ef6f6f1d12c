/**
 * Naming rules for namespaces, packages and channels.
 *
 * The reference server validates nothing beyond "no `/`"; Wharf follows Quay, which is stricter,
 * because names become storage keys, URL segments and search terms.
 *
 * - Namespace and package name: 1 to 255 characters of lowercase ASCII letters, digits, `.`, `_`
 *   and `-`, starting with a letter or digit (Quay's `^[a-z0-9][\.a-z0-9_-]{0,254}$`). They must
 *   not contain `..` anywhere and must not end with `.`. Uppercase is refused, not folded.
 * - Channel name: 1 to 128 characters of ASCII letters (either case), digits, `_`, `.` and `-`,
 *   starting with a letter, digit or `_` (Quay's TAG_REGEX `^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`),
 *   and no `..` anywhere.
 * - Anything outside ASCII is refused, so look-alikes such as Cyrillic `а` never alias a Latin
 *   name. A `/` or `\` (for example a `%2F` the router already decoded) is refused as a path trick.
 *
 * Names are checked, never normalised: the value that passes is the value stored.
 */
import { InvalidNameError } from './errors';

export interface PackageRef {
  namespace: string;
  name: string;
  /** `namespace/name`, the package's identity in the App Registry API. */
  full: string;
}

const MAX_PACKAGE_PART_LENGTH = 255;
const MAX_CHANNEL_LENGTH = 128;

const PACKAGE_FIRST = /^[a-z0-9]/;
const PACKAGE_CHAR = /[a-z0-9._-]/;
const CHANNEL_FIRST = /^[A-Za-z0-9_]/;
const CHANNEL_CHAR = /[A-Za-z0-9_.-]/;

type NameKind = 'namespace' | 'package' | 'channel' | 'robot';

/** The same rules as a pattern, for documents that describe them (the OpenAPI document). */
export const PACKAGE_NAME_PATTERN = `^(?!.*\\.\\.)(?!.*\\.$)[a-z0-9][a-z0-9._-]{0,${MAX_PACKAGE_PART_LENGTH - 1}}$`;
export const CHANNEL_NAME_PATTERN = `^(?!.*\\.\\.)[A-Za-z0-9_][A-Za-z0-9_.-]{0,${MAX_CHANNEL_LENGTH - 1}}$`;

/** Validates both parts of a package reference; throws InvalidNameError naming the bad part. */
export function parsePackageRef(namespace: string, name: string): PackageRef {
  assertPackagePart('namespace', namespace);
  assertPackagePart('package', name);
  return { namespace, name, full: `${namespace}/${name}` };
}

/**
 * The two parts of a full package name (`namespace/name`) as events, views and commands carry it,
 * already checked where it came in (parsePackageRef): no validation here.
 */
export function splitPackageName(full: string): { namespace: string; name: string } {
  const slash = full.indexOf('/');
  return slash < 0 ? { namespace: full, name: '' } : { namespace: full.slice(0, slash), name: full.slice(slash + 1) };
}

/**
 * A user or organisation name: it becomes a namespace, so it follows the namespace rule.
 * Returns the name unchanged if valid; throws InvalidNameError('namespace', …) otherwise.
 */
export function parseAccountName(name: string): string {
  assertPackagePart('namespace', name);
  return name;
}

const ROBOT_NAME = /^[a-z0-9][a-z0-9_]{0,63}$/;
export const ROBOT_NAME_PATTERN = ROBOT_NAME.source;

/** A robot's short name (its account is `<org>+<name>`): lowercase letters, digits, `_`. */
export function parseRobotName(name: string): string {
  if (typeof name !== 'string' || !ROBOT_NAME.test(name)) {
    throw new InvalidNameError(
      'robot',
      String(name),
      'must be 1-64 lowercase letters, digits or underscores, starting with a letter or digit',
    );
  }
  return name;
}

/** Returns the channel name unchanged if valid; throws InvalidNameError('channel', …) otherwise. */
export function parseChannelName(channel: string): string {
  assertCommonRules('channel', channel, MAX_CHANNEL_LENGTH);
  assertCharacters('channel', channel, CHANNEL_CHAR);
  if (!CHANNEL_FIRST.test(channel)) {
    throw new InvalidNameError('channel', channel, 'must start with a letter, digit or underscore');
  }
  return channel;
}

function assertPackagePart(kind: 'namespace' | 'package', value: string): void {
  assertCommonRules(kind, value, MAX_PACKAGE_PART_LENGTH);
  if (/[A-Z]/.test(value)) throw new InvalidNameError(kind, value, 'must be lowercase');
  assertCharacters(kind, value, PACKAGE_CHAR);
  if (!PACKAGE_FIRST.test(value))
    throw new InvalidNameError(kind, value, 'must start with a lowercase letter or digit');
  if (value.endsWith('.')) throw new InvalidNameError(kind, value, "must not end with '.'");
}

/** Rules shared by every kind of name, checked in an order that gives the most useful reason. */
function assertCommonRules(kind: NameKind, value: unknown, maxLength: number): asserts value is string {
  if (typeof value !== 'string') throw new InvalidNameError(kind, String(value), 'must be a string');
  if (value.length === 0) throw new InvalidNameError(kind, value, 'must not be empty');
  if (value.length > maxLength) throw new InvalidNameError(kind, value, `must be at most ${maxLength} characters`);
  if (/[/\\]/.test(value)) throw new InvalidNameError(kind, value, 'must not contain a path separator');
  if (value.includes('..')) throw new InvalidNameError(kind, value, "must not contain '..'");
  if (/[^\x20-\x7e]/.test(value))
    throw new InvalidNameError(kind, value, 'must contain only printable ASCII characters');
}

function assertCharacters(kind: NameKind, value: string, allowed: RegExp): void {
  for (const char of value) {
    if (!allowed.test(char)) throw new InvalidNameError(kind, value, `must not contain '${char}'`);
  }
}
