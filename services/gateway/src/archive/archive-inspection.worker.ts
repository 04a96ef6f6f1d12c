/**
 * The body of an archive inspection worker thread (see ArchiveInspectionPool): runs the pure
 * `inspectArchive` of @wharf/domain on one archive at a time and answers with the inspection and
 * the archive's bytes, handed back without a copy. A refusal travels as a wire error (code,
 * message, details), so it renders exactly as it would have on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { ArchiveInspection, ArchiveLimits, WharfError, inspectArchive } from '@wharf/domain';
import { WireErrorBody, toWire } from '@wharf/contracts';

export interface InspectionTask {
  archive: Uint8Array;
  limits: ArchiveLimits;
}

export type InspectionReply =
  | { ok: true; inspection: ArchiveInspection; archive: Uint8Array }
  | { ok: false; refusal: WireErrorBody }
  | { ok: false; failure: string };

parentPort?.on('message', (task: InspectionTask) => {
  const port = parentPort!;
  try {
    const bytes = Buffer.from(task.archive.buffer, task.archive.byteOffset, task.archive.byteLength);
    const inspection = inspectArchive(bytes, task.limits);
    port.postMessage({ ok: true, inspection, archive: task.archive } satisfies InspectionReply, [
      task.archive.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    const reply: InspectionReply =
      error instanceof WharfError
        ? { ok: false, refusal: toWire(error) }
        : { ok: false, failure: String((error as Error)?.message ?? error) };
    port.postMessage(reply);
  }
});
