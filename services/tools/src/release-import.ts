/**
 * Bulk import of releases through each package's single writer (`npm run import`, and the bench's
 * seeding): every release is validated as a push is (names, strict SemVer, media type, the archive
 * inspected with the registry's limits, a chart named by its Chart.yaml), its blob stored first
 * (content-addressed, so storing it again is harmless), then the releases of a package go to its
 * writer in ImportReleases commands, each decided at once and appended in one write. Nothing is
 * appended behind a writer's back: the embedded profile runs the package writer in this process
 * (the server must not run, see data-dir-lock), the distributed one sends the commands over the
 * command bus to the metadata service, and every projection folds the events as it folds pushes.
 *
 * Resumable: the writer skips a release its package already holds with the same digests, so a
 * run started again after a crash adds only what is missing; a release held with other digests
 * is a conflict, reported and never overwritten. A bad item (unreadable archive, no Chart.yaml,
 * an invalid name or release) is reported and skipped, and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  ArchiveLimits,
  ImportConflict,
  ImportReleases,
  ImportedChannel,
  ImportedRelease,
  JsonValue,
  ReleaseContent,
  Visibility,
  assertProvenance,
  assertRelease,
  chartCoordinates,
  inspectArchive,
  parseChannelName,
  parseMediaType,
  parsePackageRef,
  splitPackageName,
} from '@wharf/domain';
import { BlobStore, PackageCommands, isOutage } from '@wharf/ports';

/** One release to import. Without `package` and `release`, the chart's Chart.yaml names them (then `mediaType` is helm). */
export interface ReleaseItem {
  kind: 'release';
  /** Where it comes from, for reports: a file, an export's entry, a generator's index. */
  origin: string;
  namespace: string;
  /** Package name within the namespace. */
  name?: string;
  release?: string;
  mediaType?: string;
  archive: Buffer;
  metadata?: JsonValue;
  provenance?: Buffer;
  /** Visibility of the package if this import creates it (default: the registry's). */
  visibility?: Visibility;
  /** Digests the source says the archive has (an export: both; cnr-server: appr's): checked, a mismatch refuses the item. */
  expected?: { apprDigest?: string; blobDigest?: string };
  /** When the source created it (source-times.ts: an ISO instant, not in the future); absent: the import's time. */
  createdAt?: string;
}

/** The channels of a package, after every release of it (an export). */
export interface ChannelsItem {
  kind: 'channels';
  origin: string;
  package: string;
  channels: ImportedChannel[];
}

/** Something the source could not read at all (a file that is not there, a broken entry). */
export interface UnreadableItem {
  kind: 'unreadable';
  origin: string;
  reason: string;
}

export type ImportItem = ReleaseItem | ChannelsItem | UnreadableItem;

export interface ImportSource {
  /** Releases the source holds, if it knows (for the ETA). */
  total?: number;
  items(): AsyncIterable<ImportItem>;
}

/** Where releases go: the blob store and the package writers of one profile. */
export interface ImportTarget {
  blobs: BlobStore;
  commands: PackageCommands;
  /** The most releases, and bytes of them as JSON, one command should carry to these writers. */
  commandBounds?: { releases: number; bytes: number };
}

export interface ImportProgress {
  /** Releases accounted for: imported, skipped, in conflict or failed. */
  done: number;
  imported: number;
  skipped: number;
  conflicts: number;
  failed: number;
  total: number | null;
  /** Releases per second since the start. */
  rate: number;
  etaSeconds: number | null;
  seconds: number;
}

export interface ImportProblem {
  origin: string;
  /** `conflict`: held with other digests; `invalid`: refused, nothing written; `failed`: its command failed. */
  kind: 'conflict' | 'invalid' | 'failed';
  message: string;
  package?: string;
  release?: string;
}

export interface ImportReport extends ImportProgress {
  problems: ImportProblem[];
}

export interface ImportOptions {
  archiveLimits: ArchiveLimits;
  defaultVisibility: Visibility;
  onProgress?: (progress: ImportProgress) => void;
  onProblem?: (problem: ImportProblem) => void;
  /** Least time between two progress reports (ms). */
  progressEveryMs?: number;
  /** Most releases in one command. */
  maxReleasesPerCommand?: number;
  /** Most bytes of releases (as JSON) in one command: the command and its events each stay well under a Kafka message (1 MB). */
  maxBytesPerCommand?: number;
  /** Commands in flight at once (to different packages). */
  concurrency?: number;
  /** Items inspected and stored at once (their blob writes overlap). */
  prepareConcurrency?: number;
  /** Attempts of a command whose writer is unavailable (503, timeout) before its releases count as failed. */
  attempts?: number;
  /** Releases waiting in batches, all packages together, above which every batch is sent. */
  maxPending?: number;
}

const DEFAULTS = {
  progressEveryMs: 1000,
  maxReleasesPerCommand: 200,
  maxBytesPerCommand: 256 * 1024,
  concurrency: 8,
  prepareConcurrency: 16,
  attempts: 5,
  maxPending: 2_000,
};

interface PendingPackage {
  releases: { release: ImportedRelease; origin: string }[];
  bytes: number;
  visibility: Visibility;
  channels?: ImportedChannel[];
  /** The package's commands, one after the other. */
  tail: Promise<void>;
}

/** Imports every item of `source` into `target`; resolves with the counts and every problem met. */
export async function importReleases(
  source: ImportSource,
  target: ImportTarget,
  options: ImportOptions,
): Promise<ImportReport> {
  const bounds = target.commandBounds
    ? { maxReleasesPerCommand: target.commandBounds.releases, maxBytesPerCommand: target.commandBounds.bytes }
    : {};
  const o = { ...DEFAULTS, ...bounds, ...options };
  const started = Date.now();
  const counts = { imported: 0, skipped: 0, conflicts: 0, failed: 0 };
  const problems: ImportProblem[] = [];
  const packages = new Map<string, PendingPackage>();
  /** Commands flushed and not answered yet (each waits for its package's earlier ones, then for `sending`). */
  const inFlight = new Set<Promise<void>>();
  const sending = new Limiter(o.concurrency);
  /** Items being inspected and stored. */
  const preparing = new Set<Promise<void>>();
  let pending = 0;
  let lastReport = 0;

  const progress = (): ImportProgress => {
    const seconds = (Date.now() - started) / 1000;
    const done = counts.imported + counts.skipped + counts.conflicts + counts.failed;
    const rate = seconds > 0 ? done / seconds : 0;
    const total = source.total ?? null;
    const etaSeconds = total !== null && rate > 0 ? Math.max(0, total - done) / rate : null;
    return { done, ...counts, total, rate, etaSeconds, seconds };
  };
  const report = (force = false) => {
    if (!o.onProgress || (!force && Date.now() - lastReport < o.progressEveryMs)) return;
    lastReport = Date.now();
    o.onProgress(progress());
  };
  const problem = (p: ImportProblem) => {
    problems.push(p);
    o.onProblem?.(p);
  };

  const send = async (pkg: string, command: ImportReleases, origins: string[]) => {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await target.commands.execute({
          ...command,
          meta: {
            commandId: randomUUID(),
            correlationId: command.meta.correlationId,
            issuedAt: new Date().toISOString(),
          },
        });
        const outcome = result.import ?? { imported: 0, skipped: command.releases.length, conflicts: [] };
        counts.imported += outcome.imported;
        counts.skipped += outcome.skipped;
        counts.conflicts += outcome.conflicts.length;
        for (const c of outcome.conflicts) problem(conflictProblem(pkg, c, command, origins));
        return;
      } catch (error) {
        // The writer is down or slow: the command is idempotent by content, so sending it again is safe.
        if (isOutage(error) && attempt < o.attempts) {
          await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
          continue;
        }
        counts.failed += command.releases.length;
        problem({ origin: origins[0] ?? pkg, kind: 'failed', package: pkg, message: messageOf(error) });
        return;
      }
    }
  };

  /** Sends what `pkg` has waiting (with its channels when `last`), after its earlier commands. */
  const flush = (pkg: string, last: boolean) => {
    const p = packages.get(pkg);
    if (!p || (p.releases.length === 0 && !(last && p.channels))) return;
    const batch = p.releases.splice(0);
    pending -= batch.length;
    p.bytes = 0;
    const command: ImportReleases = {
      type: 'ImportReleases',
      package: pkg,
      releases: batch.map((b) => b.release),
      ...(last && p.channels ? { channels: p.channels } : {}),
      visibility: p.visibility,
      meta: { commandId: '', correlationId: randomUUID(), issuedAt: '' },
    };
    const origins = batch.map((b) => b.origin);
    const run = p.tail.then(() => sending.run(() => send(pkg, command, origins)));
    p.tail = run;
    const tracked = run.finally(() => {
      inFlight.delete(tracked);
      report();
    });
    inFlight.add(tracked);
  };

  const accept = (item: ReleaseItem, prepared: Prepared) => {
    const p = packageOf(packages, prepared.pkg, prepared.visibility);
    const bytes = JSON.stringify(prepared.release).length;
    if (p.releases.length >= o.maxReleasesPerCommand || (p.bytes + bytes > o.maxBytesPerCommand && p.bytes > 0))
      flush(prepared.pkg, false);
    p.releases.push({ release: prepared.release, origin: item.origin });
    p.bytes += bytes;
    pending++;
    if (pending >= o.maxPending) for (const pkg of packages.keys()) flush(pkg, false);
  };
  const refuse = (item: ReleaseItem, error: unknown) => {
    counts.failed++;
    problem({
      origin: item.origin,
      kind: isOutage(error) ? 'failed' : 'invalid',
      message: messageOf(error),
      ...(item.name ? { package: `${item.namespace}/${item.name}` } : {}),
      ...(item.release ? { release: item.release } : {}),
    });
    report();
  };

  for await (const item of source.items()) {
    if (item.kind === 'unreadable') {
      counts.failed++;
      problem({ origin: item.origin, kind: 'invalid', message: item.reason });
      report();
      continue;
    }
    if (item.kind === 'channels') {
      try {
        const { namespace, name } = splitPackageName(item.package);
        parsePackageRef(namespace, name);
        for (const channel of item.channels) {
          parseChannelName(channel.name);
          for (const release of [...channel.releases, channel.current]) assertRelease(release);
        }
      } catch (error) {
        problem({ origin: item.origin, kind: 'invalid', package: item.package, message: messageOf(error) });
        continue;
      }
      // After every release of the package before it is in its batch.
      await Promise.all(preparing);
      packageOf(packages, item.package, o.defaultVisibility).channels = item.channels;
      continue;
    }
    // Bounded: archives being stored, and commands waiting to be sent.
    while (preparing.size >= o.prepareConcurrency || inFlight.size >= 2 * o.concurrency)
      await Promise.race([...preparing, ...inFlight]);
    const task: Promise<void> = prepare(item, target.blobs, o.archiveLimits, o.defaultVisibility)
      .then(
        (prepared) => accept(item, prepared),
        (error: unknown) => refuse(item, error),
      )
      .finally(() => preparing.delete(task));
    preparing.add(task);
  }
  await Promise.all(preparing);
  for (const pkg of packages.keys()) flush(pkg, true);
  while (inFlight.size > 0) await Promise.race(inFlight);
  const final = progress();
  o.onProgress?.(final);
  return { ...final, problems };
}

/** At most `limit` calls running at once. */
class Limiter {
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  async run<T>(call: () => Promise<T>): Promise<T> {
    // A call that waits is handed the slot of the one that finishes, so none slips in between.
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await call();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

function packageOf(packages: Map<string, PendingPackage>, pkg: string, visibility: Visibility): PendingPackage {
  let p = packages.get(pkg);
  if (!p) {
    p = { releases: [], bytes: 0, visibility, tail: Promise.resolve() };
    packages.set(pkg, p);
  }
  return p;
}

/**
 * Validates a release item as a push is validated and stores its blobs; throws the typed refusal
 * (nothing is stored then). The coordinates of a chart without them come from its Chart.yaml,
 * by the rule of the ChartMuseum upload (`chartCoordinates`).
 */
interface Prepared {
  pkg: string;
  release: ImportedRelease;
  visibility: Visibility;
}

async function prepare(
  item: ReleaseItem,
  blobs: BlobStore,
  limits: ArchiveLimits,
  defaultVisibility: Visibility,
): Promise<Prepared> {
  const inspection = inspectArchive(item.archive, limits);
  let pkg: string;
  let release: string;
  if (item.name === undefined || item.release === undefined) {
    const coordinates = chartCoordinates(item.namespace, inspection.chart, inspection.chartProblem);
    pkg = coordinates.ref.full;
    release = coordinates.release;
  } else {
    pkg = parsePackageRef(item.namespace, item.name).full;
    release = assertRelease(item.release);
  }
  const mediaType = parseMediaType(item.mediaType ?? 'helm');
  const expected = item.expected;
  if (
    expected &&
    ((expected.apprDigest !== undefined && expected.apprDigest !== inspection.apprDigest) ||
      (expected.blobDigest !== undefined && expected.blobDigest !== inspection.blobDigest))
  ) {
    throw new Error(
      `the archive's digests (${inspection.blobDigest}, appr ${inspection.apprDigest}) are not the ones its source names (${expected.blobDigest ?? '-'}, appr ${expected.apprDigest ?? '-'})`,
    );
  }
  if (item.provenance) assertProvenance(item.provenance, inspection.blobDigest);
  const content: ReleaseContent = {
    apprDigest: inspection.apprDigest,
    blobDigest: inspection.blobDigest,
    size: inspection.size,
    chart: inspection.chart,
  };
  if (item.provenance) {
    content.provenanceDigest = (await blobs.put(item.provenance)).digest;
    content.provenanceSize = item.provenance.length;
  }
  await blobs.put(item.archive, inspection.blobDigest);
  return {
    pkg,
    release: {
      release,
      mediaType,
      content,
      metadata: item.metadata ?? null,
      ...(item.createdAt !== undefined ? { createdAt: item.createdAt } : {}),
    },
    visibility: item.visibility ?? defaultVisibility,
  };
}

function conflictProblem(pkg: string, c: ImportConflict, command: ImportReleases, origins: string[]): ImportProblem {
  const i = command.releases.findIndex((r) => r.release === c.release && r.mediaType === c.mediaType);
  return {
    origin: origins[i] ?? pkg,
    kind: 'conflict',
    package: pkg,
    release: c.release,
    message: `${pkg} holds ${c.release} (${c.mediaType}) with other bytes (${c.heldBlobDigest}); the import's (${c.importedBlobDigest}) were not written`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
