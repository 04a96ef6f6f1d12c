/**
 * Helm provenance files (`<chart>.tgz.prov`): a PGP clear-signed document naming the chart
 * archive and its sha256. Wharf stores and serves them; `helm pull --verify` checks the
 * signature. Before storing one, Wharf checks that it is a clear-signed message of bounded size
 * that names the archive it came with (by digest), so a `.prov` is never served next to a
 * chart it does not describe.
 */
import { InvalidChartError } from '../errors';

export const MAX_PROVENANCE_BYTES = 256 * 1024;
const CLEARSIGN_HEADER = '-----BEGIN PGP SIGNED MESSAGE-----';
const SIGNATURE_HEADER = '-----BEGIN PGP SIGNATURE-----';

export function assertProvenance(bytes: Buffer, chartBlobDigest: string): void {
  if (bytes.length === 0) throw new InvalidChartError('the provenance file is empty');
  if (bytes.length > MAX_PROVENANCE_BYTES)
    throw new InvalidChartError(`the provenance file is larger than ${MAX_PROVENANCE_BYTES} bytes`);
  const text = bytes.toString('utf8');
  if (!text.trimStart().startsWith(CLEARSIGN_HEADER) || !text.includes(SIGNATURE_HEADER)) {
    throw new InvalidChartError('the provenance file is not a PGP clear-signed message');
  }
  if (!text.includes(`sha256:${chartBlobDigest}`)) {
    throw new InvalidChartError('the provenance file does not name this chart archive (sha256 mismatch)');
  }
}
