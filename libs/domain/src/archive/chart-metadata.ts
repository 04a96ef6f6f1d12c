/**
 * Helm chart metadata read from a package's Chart.yaml. The file is untrusted: parsing is bounded
 * (file size, YAML aliases), uses the YAML 1.2 core schema with no custom tags, and only fields
 * of the expected type and length are kept. A bad Chart.yaml never fails a push; it yields a
 * `problem` that explains why no metadata was extracted.
 */
import { parseDocument } from 'yaml';

export interface ChartMaintainer {
  name: string;
  email?: string;
  url?: string;
}

export interface ChartMetadata {
  apiVersion?: string;
  name: string;
  version: string;
  description?: string;
  keywords?: string[];
  appVersion?: string;
  home?: string;
  sources?: string[];
  icon?: string;
  deprecated?: boolean;
  type?: string;
  kubeVersion?: string;
  maintainers?: ChartMaintainer[];
  annotations?: Record<string, string>;
  dependencies?: Record<string, unknown>[];
}

export type ChartMetadataResult = { chart: ChartMetadata; problem: null } | { chart: null; problem: string };

export const CHART_FILE_NAMES: readonly string[] = ['Chart.yaml', 'Chart.yml'];
export const MAX_CHART_FILE_BYTES = 256 * 1024;

const MAX_ALIASES = 100;
const MAX_LIST_ITEMS = 100;
const MAX_NESTING = 4;
const LIMITS = {
  name: 255,
  version: 128,
  short: 256,
  url: 2048,
  description: 4096,
  keyword: 128,
  annotationValue: 4096,
} as const;

/** Parses Chart.yaml bytes; never throws. */
export function parseChartMetadata(source: Buffer): ChartMetadataResult {
  if (source.length > MAX_CHART_FILE_BYTES) return problem(`Chart.yaml is larger than ${MAX_CHART_FILE_BYTES} bytes`);
  const parsed = parseYamlMapping(source.toString('utf8'));
  if ('problem' in parsed) return problem(parsed.problem);
  return chartFromMapping(parsed.mapping);
}

function problem(reason: string): ChartMetadataResult {
  return { chart: null, problem: reason };
}

type YamlMapping = Record<string, unknown>;

function parseYamlMapping(text: string): { mapping: YamlMapping } | { problem: string } {
  try {
    const doc = parseDocument(text, { schema: 'core', version: '1.2', uniqueKeys: true, prettyErrors: false });
    const [error] = doc.errors;
    if (error) return { problem: `Chart.yaml is not valid YAML: ${firstLine(error.message)}` };
    if (doc.warnings.some((w) => w.code === 'TAG_RESOLVE_FAILED'))
      return { problem: 'Chart.yaml uses an unsupported YAML tag' };
    const value: unknown = doc.toJS({ maxAliasCount: MAX_ALIASES });
    if (!isPlainObject(value)) return { problem: 'Chart.yaml is not a YAML mapping' };
    return { mapping: value };
  } catch (error) {
    return {
      problem: `Chart.yaml could not be read: ${firstLine(error instanceof Error ? error.message : String(error))}`,
    };
  }
}

function chartFromMapping(doc: YamlMapping): ChartMetadataResult {
  const name = boundedString(own(doc, 'name'), LIMITS.name);
  if (!name) return problem(`Chart.yaml needs a 'name' string of 1 to ${LIMITS.name} characters`);
  const version = boundedString(own(doc, 'version'), LIMITS.version);
  if (!version) return problem(`Chart.yaml needs a 'version' string of 1 to ${LIMITS.version} characters`);
  const chart: ChartMetadata = { name, version };
  assignDefined(chart, {
    apiVersion: boundedString(own(doc, 'apiVersion'), LIMITS.short),
    description: boundedString(own(doc, 'description'), LIMITS.description),
    keywords: stringList(own(doc, 'keywords'), LIMITS.keyword),
    appVersion: boundedString(own(doc, 'appVersion'), LIMITS.short),
    home: boundedString(own(doc, 'home'), LIMITS.url),
    sources: stringList(own(doc, 'sources'), LIMITS.url),
    icon: boundedString(own(doc, 'icon'), LIMITS.url),
    deprecated: typeof own(doc, 'deprecated') === 'boolean' ? (own(doc, 'deprecated') as boolean) : undefined,
    type: boundedString(own(doc, 'type'), LIMITS.short),
    kubeVersion: boundedString(own(doc, 'kubeVersion'), LIMITS.short),
    maintainers: maintainers(own(doc, 'maintainers')),
    annotations: annotations(own(doc, 'annotations')),
    dependencies: dependencies(own(doc, 'dependencies')),
  });
  return { chart, problem: null };
}

function assignDefined<T extends object>(target: T, values: Partial<T>): void {
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined) (target as Record<string, unknown>)[key] = value;
  }
}

function maintainers(value: unknown): ChartMaintainer[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const result: ChartMaintainer[] = [];
  for (const item of value.slice(0, MAX_LIST_ITEMS)) {
    if (!isPlainObject(item)) continue;
    const name = boundedString(own(item, 'name'), LIMITS.short);
    if (!name) continue;
    const maintainer: ChartMaintainer = { name };
    assignDefined(maintainer, {
      email: boundedString(own(item, 'email'), LIMITS.short),
      url: boundedString(own(item, 'url'), LIMITS.url),
    });
    result.push(maintainer);
  }
  return result;
}

function annotations(value: unknown): Record<string, string> | undefined {
  if (!isPlainObject(value)) return undefined;
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_LIST_ITEMS)) {
    const text = boundedString(item, LIMITS.annotationValue);
    if (key.length <= LIMITS.short && text !== undefined) defineOwn(result, key, text);
  }
  return result;
}

function dependencies(value: unknown): Record<string, unknown>[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .slice(0, MAX_LIST_ITEMS)
    .map((item) => boundedJson(item, 0))
    .filter(isPlainObject);
}

/** A JSON-safe copy: bounded strings, finite numbers, booleans, null, small arrays and maps. */
function boundedJson(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string') return value.length <= LIMITS.description ? value : undefined;
  if (depth >= MAX_NESTING) return undefined;
  if (Array.isArray(value)) {
    return value
      .slice(0, MAX_LIST_ITEMS)
      .map((item) => boundedJson(item, depth + 1))
      .filter((item) => item !== undefined);
  }
  if (!isPlainObject(value)) return undefined;
  const result: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value).slice(0, MAX_LIST_ITEMS)) {
    const copy = boundedJson(item, depth + 1);
    if (copy !== undefined && key.length <= LIMITS.short) defineOwn(result, key, copy);
  }
  return result;
}

function stringList(value: unknown, maxLength: number): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  return value
    .slice(0, MAX_LIST_ITEMS)
    .map((item) => boundedString(item, maxLength))
    .filter((item): item is string => item !== undefined);
}

/** A non-empty string of at most `maxLength` characters, else undefined. */
function boundedString(value: unknown, maxLength: number): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= maxLength ? value : undefined;
}

/** Own properties only, so keys such as `__proto__` or `constructor` never reach the prototype. */
function own(record: YamlMapping, key: string): unknown {
  return Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

/** Plain assignment of a `__proto__` key would replace the prototype instead of adding a field. */
function defineOwn(record: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
}

function isPlainObject(value: unknown): value is YamlMapping {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]!.slice(0, 200);
}
