/**
 * Inspects pushed archives off the event loop. Gunzipping and walking a chart that unpacks to
 * 64 MiB takes a few hundred milliseconds of CPU; on the event loop, a dozen such uploads (even
 * duplicates) stalled every other request for seconds. Here `config.archiveWorkers` worker
 * threads (see archive-inspection.worker.ts) run the same pure `inspectArchive`, one archive each
 * at a time; further archives wait in order. With 0 workers the archive is inspected inline, on
 * the event loop, as before.
 *
 * The archive's memory is moved to the worker and back, not copied, when the Buffer owns it
 * whole (an archive decoded from base64 does); a Buffer that shares its memory (a slice of a
 * multipart body) is copied first, so nothing else is ever detached. Either way the caller uses
 * `bytes` of the answer from then on.
 *
 * A refusal (InvalidBlobError, UnsafeArchiveError, ArchiveTooLargeError) keeps its code, message
 * and details. A worker that dies (out of memory, a bug) fails only the archive it held, with an
 * unexpected error (500), and is replaced by the next inspection that needs one.
 */
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ArchiveInspection, ArchiveLimits, inspectArchive } from '@wharf/domain';
import { fromWire } from '@wharf/contracts';
import { WHARF_CONFIG, WharfConfig } from '@wharf/config';
import type { InspectionReply, InspectionTask } from './archive-inspection.worker';

export interface InspectedArchive {
  /** The archive's bytes (the same memory as the Buffer given, or a copy of it). */
  bytes: Buffer;
  inspection: ArchiveInspection;
}

/** The compiled worker next to this file (dist/); workers inherit the process's `-r dist-paths.js`. */
const WORKER_SCRIPT = join(__dirname, 'archive-inspection.worker.js');

interface Pending {
  archive: Uint8Array;
  resolve: (inspected: InspectedArchive) => void;
  reject: (error: Error) => void;
}

@Injectable()
export class ArchiveInspectionPool implements OnApplicationShutdown {
  private readonly limits: ArchiveLimits;
  private readonly maxWorkers: number;
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly queue: Pending[] = [];
  private workers = 0;
  private closed = false;

  constructor(@Inject(WHARF_CONFIG) config: Pick<WharfConfig, 'archive' | 'archiveWorkers'>) {
    this.limits = config.archive;
    this.maxWorkers = config.archiveWorkers;
  }

  /**
   * Resolves with the inspection, or rejects with the refusal `inspectArchive` would throw.
   * `archive` may be detached when this resolves: use the answer's `bytes`.
   */
  async inspect(archive: Buffer): Promise<InspectedArchive> {
    if (this.maxWorkers === 0) return { bytes: archive, inspection: inspectArchive(archive, this.limits) };
    if (this.closed) throw new Error('archive inspection pool is shut down');
    return new Promise<InspectedArchive>((resolve, reject) => {
      this.queue.push({ archive: ownsItsMemory(archive) ? archive : new Uint8Array(archive), resolve, reject });
      this.dispatch();
    });
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    for (const pending of this.queue.splice(0)) pending.reject(new Error('archive inspection pool is shut down'));
    await Promise.all([...this.idle, ...this.busy.keys()].map((worker) => worker.terminate()));
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const worker = this.idle.pop() ?? this.spawn();
      if (!worker) return;
      const pending = this.queue.shift()!;
      this.busy.set(worker, pending);
      const task: InspectionTask = { archive: pending.archive, limits: this.limits };
      worker.postMessage(task, [pending.archive.buffer as ArrayBuffer]);
    }
  }

  private spawn(): Worker | null {
    if (this.closed || this.workers >= this.maxWorkers) return null;
    const worker = new Worker(WORKER_SCRIPT);
    // An idle worker must not keep the process alive; a pending inspection has its request.
    worker.unref();
    this.workers++;
    let crash = 'exited';
    worker.on('message', (reply: InspectionReply) => {
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      this.idle.push(worker);
      if (pending) settle(pending, reply);
      this.dispatch();
    });
    worker.on('error', (error) => (crash = error.message));
    worker.on('exit', () => {
      this.workers--;
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      pending?.reject(new Error(`archive inspection worker failed: ${crash}`));
      this.dispatch();
    });
    return worker;
  }
}

function settle(pending: Pending, reply: InspectionReply): void {
  if (reply.ok) {
    const bytes = Buffer.from(reply.archive.buffer, reply.archive.byteOffset, reply.archive.byteLength);
    pending.resolve({ bytes, inspection: reply.inspection });
  } else if ('refusal' in reply) {
    pending.reject(fromWire(reply.refusal));
  } else {
    pending.reject(new Error(`archive inspection failed: ${reply.failure}`));
  }
}

/** True when `bytes` spans its whole ArrayBuffer, which may then move to a worker without detaching anyone else's view. */
function ownsItsMemory(bytes: Buffer): boolean {
  return bytes.buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}
