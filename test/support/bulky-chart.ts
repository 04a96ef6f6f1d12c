/**
 * A chart that is small on the wire and large unpacked, within the default limits: about
 * 470 KB of gzip that unpacks to 60 MiB (a ratio near 134, under the 200 allowed), the
 * shape of the archive that stalled the event loop in issue 15 (413 KB → 66 MB). Inspecting one
 * costs a few hundred milliseconds of CPU, which is what the upload bounds are about.
 */
import { createHash } from 'node:crypto';
// A relative import, not @wharf/testing: the bench (bench/upload-stall.ts) compiles this file too.
import { chartArchive } from '../../libs/testing/src/factories/chart-archive.factory';

export const BULKY_UNPACKED_BYTES = 60 * 1024 * 1024;

/** Zeros with one pseudo-random byte every 512: gzip gets it down about 150 times, not 1000. */
function lowEntropy(bytes: number, seed: string): Buffer {
  const data = Buffer.alloc(bytes);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0, i = 0; at < bytes; at += 512, i++) {
    if (i % 32 === 0) block = createHash('sha256').update(block).digest();
    data[at] = block[i % 32] | 1;
  }
  return data;
}

export function bulkyChart(name: string, version: string, salt = ''): Buffer {
  return chartArchive({
    name,
    version,
    salt,
    extraEntries: [
      { name: `${name}/data.bin`, content: lowEntropy(BULKY_UNPACKED_BYTES, `${name}@${version}/${salt}`) },
    ],
  });
}
